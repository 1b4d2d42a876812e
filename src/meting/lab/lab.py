"""Bring the lab up, take it down, and say how it is."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from meting.lab import netns, user_catalogue
from meting.lab.bridge import Bridge
from meting.lab.forward import run_forwarding
from meting.lab.model import LabPlan, MailServer, Record
from meting.lab.plan import build_plan, load_catalogue, owning_zone

# command -> the Debian package that provides it
REQUIRED = {"ip": "iproute2", "knotd": "knot", "knotc": "knot", "keymgr": "knot",
            "kdig": "knot-dnsutils", "unbound": "unbound", "nginx": "nginx-light",
            "postfix": "postfix", "openssl": "openssl"}
REGISTRY_COLUMNS = ["organisation", "category", "domain", "web_host", "mail", "umbrella", "sets"]


def prefix() -> str:
    return os.environ.get("METING_LAB_PREFIX", "mtl-")


def state_dir() -> Path:
    return Path(os.environ.get("METING_LAB_DIR", "/var/lib/meting-lab"))


def preflight() -> None:
    """Stop at once, saying what to do, when the lab cannot be built here."""
    if os.geteuid() != 0:
        raise netns.LabError("the lab needs root (network namespaces): run it with sudo")
    missing = sorted({pkg for cmd, pkg in REQUIRED.items() if shutil.which(cmd) is None})
    if missing:
        raise netns.LabError("missing Debian packages; install them with: "
                             f"apt-get install -y {' '.join(missing)}")


def quiet(stage: str) -> None:
    """Default progress callback: say nothing."""


def up(domains: int = 0, progress: Callable[[str], None] = quiet,
       catalogue: Path | None = None, changes: int = 0) -> dict[str, Any]:
    """Build the lab; a healthy lab of the same size, scenarios and changes is left as it is.

    ``catalogue``: a user's file of scenarios to add (lab.user_catalogue), checked first.
    ``changes``: rounds of owners' changes applied to the generated domains (0: as drawn).
    """
    preflight()
    if changes < 0:
        raise netns.LabError("changes must be 0 or more")
    added = user_catalogue.read(catalogue) if catalogue is not None else None
    added_from = catalogue_identity(catalogue)
    state = state_dir()
    info = read_info(state)
    if (info and info.get("domains") == domains and info.get("catalogue") == added_from
            and info.get("changes", 0) == changes and status()["healthy"]):
        return info
    down()
    state.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    plan = build(state, domains, progress, added, changes)
    from meting.lab import mailbox
    info = {"prefix": plan.prefix, "domains": domains, "catalogue": added_from,
            "changes": changes,
            "resolver": plan.resolver,
            "resolver6": plan.resolver6, "trust_store": str(state / "pki" / "root.pem"),
            "registry": str(state / "registry.csv"), "scanner_namespace": f"{plan.prefix}scan",
            "rpki_vrps": str(state / "rpki" / "vrps.json"),
            "rpki_routes": str(state / "rpki" / "riswhoisdump.txt"),
            "mail_relay": plan.mailbox[0], "mailbox": str(state / "mailbox" / "boxes"),
            "mail_relay_user": mailbox.RELAY_USER,
            "mail_relay_password_file": str(mailbox.password_file(state)),
            "ct_log": ct_log_url(),
            "ct_log_addresses": plan.ct_log,
            "seconds_to_start": round(time.monotonic() - started, 1)}
    (state / "lab.json").write_text(json.dumps(info, indent=2))
    return info


def ct_log_url() -> str:
    from meting.lab import ct_log

    return ct_log.url()


def catalogue_identity(path: Path | None) -> dict[str, str] | None:
    """The user's catalogue as lab.json records it: where, and a hash of what it said."""
    if path is None:
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"path": str(path.resolve()), "sha256": digest}


def build(state: Path, domains: int, progress: Callable[[str], None],
          added: dict[str, Any] | None = None, changes: int = 0) -> LabPlan:
    from meting.lab import ct_export, ct_log, dns, hostile, mail, mailbox, pki, rpki, web

    progress("planning addresses, zones and servers")
    ca = pki.LabCA.load_or_create(state / "pki")
    dkim_key = ca.key_for("rsa2048", state / "pki" / "dkim.key.pem")
    scenarios = user_catalogue.merged(load_catalogue(), added) if added is not None else None
    plan = build_plan(prefix(), domains, dkim_public=dkim_spki(dkim_key),
                      scenarios=scenarios, changes=changes)
    netns.create_switch(plan.prefix)
    for host in plan.hosts.values():
        netns.add_host(plan.prefix, host.name, host.addresses)
    progress(f"issuing certificates for {len(plan.domains)} domains")
    webs = list(plan.web_servers.values())
    mails = list(plan.mail_servers.values())
    web.configure(webs, state, ca)
    for ms in mails:
        if ms.software == "postfix":
            ms.certs = ca.issue(ms.names, ms.cert, state / "pki" / "mail", ms.name,
                                ocsp=False)
    add_tlsa(plan, mails, pki.ca_tlsa_rdata(ca.intermediate))
    mail.configure(mails, state)
    save_plan(plan, state)
    progress(f"signing and serving {len(plan.zones)} zones (Knot), starting Unbound")
    dns.DnsLab(plan, state).start()
    progress("starting nginx, Postfix and the hostile servers")
    web.start(webs, state, f"{plan.prefix}web")
    mail.start(mails, state, f"{plan.prefix}mail")
    hostile.start_hostile(hostile.configure_hostile(webs, mails, state), state,
                          f"{plan.prefix}hostile")
    infra = plan.networks["infra"]
    mailbox.configure(plan.mailbox, [infra.ipv4_prefix, infra.ipv6_prefix], state, ca)
    mailbox.start(plan.mailbox, state, f"{plan.prefix}mbox")
    write_registry(plan, state / "registry.csv")
    ct_export.write(plan, state / "ct")
    ct_log.configure(plan, state, ca)
    ct_log.start(plan, state)
    rpki.write(list(plan.networks.values()), state / "rpki")
    return plan


def dkim_spki(key_pem: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def add_tlsa(plan: LabPlan, mails: list[MailServer], ca_rdata: str) -> None:
    from meting.lab.pki import tlsa_rdata

    for ms in mails:
        if ms.tlsa == "none" or ms.certs is None:
            continue
        leaf = tlsa_rdata(ms.certs)
        mismatch = "3 1 1 " + hashlib.sha256(ms.hostname.encode()).hexdigest()
        records = {"match": [leaf], "mismatch": [mismatch], "ta": [ca_rdata],
                   "rollover": [leaf, ca_rdata]}[ms.tlsa]
        for name in ms.names:
            zone = plan.zones[owning_zone(name, plan.zones)]
            zone.records += [Record(f"_25._tcp.{name}", "TLSA", r) for r in records]


def save_plan(plan: LabPlan, state: Path) -> None:
    (state / "plan.json").write_text(json.dumps(dataclasses.asdict(plan)))


def read_info(state: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((state / "lab.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_registry(plan: LabPlan, path: Path) -> None:
    umbrellas = load_catalogue()["umbrellas"]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REGISTRY_COLUMNS)
        for d in plan.domains:
            sets = "lab;" + ("generated" if d.generated else "scenarios")
            writer.writerow([d.organisation, d.category, d.domain, d.web_host, "yes",
                             umbrellas[d.category], sets])
            for host in d.registered_hosts:  # a host registered on its own: web only
                writer.writerow([d.organisation, d.category, host, host, "no",
                                 umbrellas[d.category], sets])


def down() -> list[str]:
    """Remove every namespace, process and file of the lab."""
    removed = netns.delete_all(prefix())
    state = state_dir()
    if state.exists():
        shutil.rmtree(state)
    return removed


def status() -> dict[str, Any]:
    """Every scenario with its targets, expected statuses and whether its servers answer."""
    state = state_dir()
    try:
        plan = json.loads((state / "plan.json").read_text())
    except (OSError, ValueError):
        return {"healthy": False, "up": False, "scenarios": []}
    probe = health_probe(plan)
    own = {s["name"] for s in load_catalogue()["scenarios"]}
    added = (read_info(state) or {}).get("catalogue")
    scenarios = []
    for d in plan["domains"]:
        if d["generated"]:
            continue
        ok = all(probe.get(key, False) for key in endpoints_of(plan, d))
        scenarios.append({"name": d["scenario"], "domain": d["domain"],
                          "web_host": d["web_host"], "mail_domain": d["mail_domain"],
                          "category": d["category"], "healthy": ok,
                          "catalogue": "meting" if d["scenario"] in own or not added
                          else added["path"],
                          "expected": {"web": d["expected_web"], "mail": d["expected_mail"]}})
    resolver_ok = probe.get(f"dns:{plan['resolver']}", False)
    ct_log_ok = all(probe.get(key, False) for key in ct_log_endpoints(plan))
    healthy = resolver_ok and ct_log_ok and all(s["healthy"] for s in scenarios)
    return {"healthy": healthy, "up": True, "resolver": plan["resolver"],
            "domains": len(plan["domains"]), "scenarios": scenarios}


def endpoints_of(plan: dict[str, Any], domain: dict[str, Any]) -> list[str]:
    """Keys of the health probe that a scenario's servers must pass."""
    keys = [f"dns:{plan['resolver']}"]
    zone = plan["zones"][domain["domain"]]
    for name in zone["nameservers"]:
        ns = plan["nameservers"][name]
        keys += [f"dns:{a}" for a in ns["ipv4"] + ns["ipv6"]]
    for server in plan["web_servers"].values():
        if domain["web_host"] in server["sites"]:
            port = 443 if server["tls"] else 80
            keys += [f"tcp:{a}:{port}" for a in server["ipv4"] + server["ipv6"]]
    mx_hosts = {r["rdata"].split()[-1].rstrip(".") for r in zone["records"]
                if r["rtype"] == "MX" and r["owner"] == domain["domain"]}
    for server in plan["mail_servers"].values():
        if mx_hosts & {server["hostname"], *server.get("aliases", [])}:
            keys += [f"tcp:{a}:25" for a in server["ipv4"] + server["ipv6"]]
    return keys


def ct_log_endpoints(plan: dict[str, Any]) -> list[str]:
    """Keys of the health probe that the CT log (lab/ct_log.py) must pass."""
    return [f"tcp:{a}:443" for a in plan.get("ct_log", [])]


def health_probe(plan: dict[str, Any]) -> dict[str, bool]:
    """Run the reachability probe from inside the scanner namespace."""
    keys = sorted({k for d in plan["domains"] if not d["generated"]
                   for k in endpoints_of(plan, d)} | set(ct_log_endpoints(plan)))
    ns = f"{plan['prefix']}scan"
    if ns not in netns.existing(plan["prefix"]):
        return {}
    argv = netns.exec_argv(ns, [sys.executable, "-m", "meting.lab.health"])
    result = subprocess.run(argv, input=json.dumps(keys), capture_output=True, text=True,
                            check=False, timeout=120)
    if result.returncode != 0:
        return {}
    answer = json.loads(result.stdout)
    return {str(k): bool(v) for k, v in answer.items()}


def exec_in_scanner(argv: list[str]) -> int:
    """Run a command in the scanner namespace, told where the lab's resolver and CA are."""
    info = _running_info()
    # Ctrl-C reaches the child itself (same process group); a signal sent to this
    # process is passed on, so the child finishes its own shutdown (a round marks
    # itself interrupted) and is never orphaned.
    return run_forwarding(netns.exec_argv(info["scanner_namespace"], argv),
                          scanner_env(info))


def serve_dashboard(host: str, port: int, on_ready: Callable[[str], None]) -> int:
    """``meting serve`` in the scanner namespace, so that its re-tests and rounds reach
    the lab's servers, on a Unix socket bridged to ``host``:``port`` on the machine
    (0: a free port). ``on_ready`` gets the address to open; the server's exit status."""
    info = _running_info()
    folder = Path(tempfile.mkdtemp(prefix="meting-lab-dashboard-"))
    socket_path = folder / "dashboard.sock"
    try:
        bridge = Bridge(socket_path, host, port)
        try:
            argv = [sys.executable, "-m", "meting.cli", "serve", "--uds", str(socket_path)]
            on_ready(f"http://{host}:{bridge.port}/")
            return run_forwarding(netns.exec_argv(info["scanner_namespace"], argv),
                                  scanner_env(info))
        finally:
            bridge.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scanner_env(info: dict[str, Any]) -> dict[str, str]:
    """This process's environment with the lab's resolver, CA, RPKI data and networks."""
    return {**os.environ, "METING_RESOLVER": info["resolver"],
            "METING_TRUST_STORE": info["trust_store"], "METING_RPKI_VRPS": info["rpki_vrps"],
            "METING_RPKI_ROUTES": info["rpki_routes"],
            "METING_ALLOWED_NETWORKS": netns.LAB_NETWORKS}


def _running_info() -> dict[str, Any]:
    info = read_info(state_dir())
    if info is None:
        raise netns.LabError("the lab is not up: run `meting lab up` first")
    return info
