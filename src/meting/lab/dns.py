"""The lab's DNS: Knot for the root, the TLDs and the scenario zones; Unbound validating.

Knot signs zones itself (ECDSA P-256). Every Knot instance shares one KSK over its
zones (``ksk-shared``), so that the DS records of thousands of delegations can be
computed from a single DNSKEY instead of asking ``keymgr`` once per zone. Zones
whose signatures must be expired are signed here with dnspython, because Knot
refuses to produce expired signatures; Knot serves them as they are.
"""

from __future__ import annotations

import subprocess
import time
from collections import defaultdict
from pathlib import Path

import dns.dnssec
import dns.dnssectypes
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from meting.lab import netns
from meting.lab.model import LabPlan, NameServer, Record, Zone
from meting.lab.plan import owning_zone, within

SERVERS = ("auth", "tld", "root")  # start order: children before parents
SIGNED = ("signed", "bogus_ds", "bogus_expired", "signed_nsec3")
KNOT_SIGNS = {"signed": "lab", "bogus_ds": "lab", "signed_nsec3": "lab-nsec3"}  # -> policy


def fqdn(name: str) -> str:
    return name.rstrip(".") + "." if name else "."


def parent_of(zone: str, zones: dict[str, Zone]) -> str | None:
    labels = zone.split(".")
    for i in range(len(labels) + 1):
        candidate = ".".join(labels[i:])
        if candidate in zones:
            return candidate
    return None


def server_addresses(ns: NameServer) -> list[tuple[str, str]]:
    v4 = [("A", a) for a in ns.ipv4]
    v6 = [("AAAA", a) for a in ns.ipv6 + ns.ipv6_dead]
    return v4 + v6


def host_records(plan: LabPlan) -> dict[str, list[Record]]:
    """Name-server address records, placed in the zone that holds each name."""
    out: dict[str, list[Record]] = defaultdict(list)
    for ns in plan.nameservers.values():
        zone = owning_zone(ns.hostname, plan.zones)
        out[zone] += [Record(ns.hostname, t, a) for t, a in server_addresses(ns)]
    return out


def delegation_records(plan: LabPlan, child: Zone) -> list[Record]:
    """NS and glue for a child zone, to be placed in its parent."""
    records = [Record(child.name, "NS", fqdn(n)) for n in child.nameservers]
    for name in child.nameservers:
        if within(name, child.name):
            ns = plan.nameservers[name]
            records += [Record(name, t, a) for t, a in server_addresses(ns)]
    return records


def render_zone(zone: Zone, extra: list[Record]) -> str:
    origin = fqdn(zone.name)
    lines = [f"$ORIGIN {origin}", "$TTL 3600",
             f"@ SOA {fqdn(zone.nameservers[0])} hostmaster.{origin.lstrip('.')} "
             "1 3600 900 604800 300"]
    lines += [f"@ NS {fqdn(n)}" for n in zone.nameservers]
    for r in [*zone.records, *extra]:
        lines.append(f"{fqdn(r.owner)} {r.ttl} {r.rtype} {r.rdata}")
    return "\n".join(lines) + "\n"


class DnsLab:
    """Writes, starts and chains the three Knot servers and the resolver."""

    def __init__(self, plan: LabPlan, state: Path) -> None:
        self.plan = plan
        self.dir = state / "dns"
        self.extra: dict[str, list[Record]] = defaultdict(list)
        self.ksk: dict[str, dns.rdata.Rdata] = {}  # per Knot server
        self.expired_ksk: dict[str, dns.rdata.Rdata] = {}  # zones signed here, expired

    # -- layout ---------------------------------------------------------------
    def zones_of(self, server: str) -> list[Zone]:
        return [z for z in self.plan.zones.values() if z.server == server]

    def conf_path(self, server: str) -> Path:
        return self.dir / server / "knot.conf"

    def start(self) -> None:
        for zone_name, records in host_records(self.plan).items():
            self.extra[zone_name] += records
        for zone in self.plan.zones.values():
            parent = parent_of_nonself(zone.name, self.plan.zones)
            if parent is not None:
                self.extra[parent] += delegation_records(self.plan, zone)
        for server in SERVERS:
            self.add_child_ds(server)
            self.write_knot(server)
            self.spawn_knot(server)
            self.wait_signed(server)
        self.start_unbound()

    def add_child_ds(self, server: str) -> None:
        """DS records for signed children whose parents are served by ``server``."""
        for zone in self.plan.zones.values():
            parent = parent_of_nonself(zone.name, self.plan.zones)
            if parent is None or self.plan.zones[parent].server != server:
                continue
            if zone.dnssec not in SIGNED:
                continue
            key = (self.expired_ksk[zone.name] if zone.dnssec == "bogus_expired"
                   # the NSEC3 policy shares a KSK of its own
                   else self.read_ksk(zone.server, zone.name) if zone.dnssec == "signed_nsec3"
                   else self.ksk[zone.server])
            ds = dns.dnssec.make_ds(fqdn(zone.name), key, "SHA256")
            text = str(ds.to_text())  # type: ignore[no-untyped-call]
            if zone.dnssec == "bogus_ds":
                digest = text.split()[-1]
                text = text[: -len(digest)] + ("0" * len(digest))
            self.extra[parent].append(Record(zone.name, "DS", text))

    def write_knot(self, server: str) -> None:
        base = self.dir / server
        (base / "zones").mkdir(parents=True, exist_ok=True)
        (base / "db").mkdir(exist_ok=True)
        for zone in self.zones_of(server):
            path = base / "zones" / f"{zone.name or 'root'}.zone"
            text = render_zone(zone, self.extra[zone.name])
            if zone.dnssec == "bogus_expired":
                text = self.sign_expired(zone, text)
            path.write_text(text)
        listen = [f'"{a}@53"' for a in self.plan.hosts[server].addresses
                  if not self.is_dead(a)]
        self.conf_path(server).write_text(knot_conf(base, listen, self.zones_of(server)))

    def is_dead(self, address: str) -> bool:
        return any(address in ns.ipv6_dead for ns in self.plan.nameservers.values())

    def sign_expired(self, zone: Zone, text: str) -> str:
        """Sign with signatures that expired a week ago (Knot will not make those)."""
        key = ec.generate_private_key(ec.SECP256R1())
        dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssectypes.Algorithm.ECDSAP256SHA256,
                                        flags=257)
        self.expired_ksk[zone.name] = dnskey
        z = dns.zone.from_text(text, origin=fqdn(zone.name), relativize=False)
        now = time.time()
        with z.writer() as txn:
            dns.dnssec.sign_zone(z, txn=txn, keys=[(key, dnskey)],
                                 inception=now - 30 * 86400, expiration=now - 7 * 86400)
        return str(z.to_text(relativize=False))

    def spawn_knot(self, server: str) -> None:
        ns = netns.ns_name(self.plan.prefix, server)
        conf = str(self.conf_path(server).resolve())
        netns.spawn_in(ns, ["knotd", "-c", conf], self.dir / server / "knotd.out")

    def knotc(self, server: str, *args: str) -> subprocess.CompletedProcess[str]:
        conf = str(self.conf_path(server).resolve())
        return subprocess.run(["knotc", "-c", conf, *args], capture_output=True, text=True,
                              check=False, timeout=120)

    def wait_signed(self, server: str, timeout: float = 300) -> None:
        """Wait until Knot has loaded (and signed) every zone, then read its shared KSK."""
        zones = self.zones_of(server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.knotc(server, "zone-status")
            if status.returncode == 0 and "serial: none" not in status.stdout \
                    and status.stdout.count("serial:") >= len(zones):
                break
            time.sleep(0.2)
        else:
            log = (self.dir / server / "knot.log").read_text()[-2000:]
            raise netns.LabError(f"Knot ({server}) did not load its zones in time:\n{log}")
        knot_signed = [z for z in zones if KNOT_SIGNS.get(z.dnssec) == "lab"]
        if knot_signed:
            self.ksk[server] = self.read_ksk(server, knot_signed[0].name)

    def read_ksk(self, server: str, zone: str) -> dns.rdata.Rdata:
        conf = str(self.conf_path(server).resolve())
        out = subprocess.run(["keymgr", "-c", conf, fqdn(zone), "dnskey"], capture_output=True,
                             text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if "DNSKEY" in parts and parts[parts.index("DNSKEY") + 1] == "257":
                rdata = " ".join(parts[parts.index("DNSKEY") + 1:])
                return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, rdata)
        raise netns.LabError(f"Knot ({server}) has no KSK for {zone}: {out}")

    # -- resolver --------------------------------------------------------------
    def start_unbound(self) -> None:
        base = self.dir / "unbound"
        base.mkdir(parents=True, exist_ok=True)
        root = self.plan.nameservers[self.plan.zones[""].nameservers[0]]
        root_name = fqdn(root.hostname)
        hints = [f". 3600000 NS {root_name}"]
        hints += [f"{root_name} 3600000 {t} {a}" for t, a in server_addresses(root)]
        (base / "root.hints").write_text("\n".join(hints) + "\n")
        anchor = f". 3600 IN DNSKEY {self.ksk['root'].to_text()}\n"
        (base / "root.key").write_text(anchor)
        (base / "unbound.conf").write_text(unbound_conf(base, self.plan))
        ns = netns.ns_name(self.plan.prefix, "res")
        netns.spawn_in(ns, ["unbound", "-d", "-c", str((base / "unbound.conf").resolve())],
                       base / "unbound.out")
        wait_resolver(self.plan)


def parent_of_nonself(zone: str, zones: dict[str, Zone]) -> str | None:
    """The closest enclosing lab zone of a zone, not the zone itself."""
    if zone == "":
        return None
    return parent_of(zone.split(".", 1)[1] if "." in zone else "", zones)


def knot_conf(base: Path, listen: list[str], zones: list[Zone]) -> str:
    b = base.resolve()
    lines = [
        "server:", f'    rundir: "{b}/run"', "    user: root:root",
        f"    listen: [ {', '.join(listen)} ]", "    background-workers: 2",
        "database:", f'    storage: "{b}/db"',
        "log:", f"  - target: {b}/knot.log", "    any: info",
        "policy:", "  - id: lab", "    algorithm: ecdsap256sha256", "    ksk-shared: on",
        "    ksk-lifetime: 0", "    zsk-lifetime: 0", "    rrsig-lifetime: 30d",
        "    rrsig-refresh: 7d", "    nsec3: off",
        "  - id: lab-nsec3", "    algorithm: ecdsap256sha256", "    ksk-shared: on",
        "    ksk-lifetime: 0", "    zsk-lifetime: 0", "    rrsig-lifetime: 30d",
        "    rrsig-refresh: 7d", "    nsec3: on", "    nsec3-iterations: 0",
        "template:", "  - id: default", f'    storage: "{b}/zones"', "    zonefile-sync: -1",
        "    zonefile-load: difference-no-serial", "    journal-content: all",
        "    semantic-checks: off",
        "zone:",
    ]
    for zone in zones:
        lines.append(f'  - domain: "{fqdn(zone.name)}"')
        lines.append(f'    file: "{zone.name or "root"}.zone"')
        if zone.dnssec in KNOT_SIGNS:
            lines += ["    dnssec-signing: on", f"    dnssec-policy: {KNOT_SIGNS[zone.dnssec]}"]
    (b / "run").mkdir(parents=True, exist_ok=True)
    return "\n".join(lines) + "\n"


def unbound_conf(base: Path, plan: LabPlan) -> str:
    b = base.resolve()
    return f"""server:
    interface: {plan.resolver}
    interface: {plan.resolver6}
    access-control: 198.18.0.0/15 allow
    access-control: 2001:db8::/32 allow
    do-ip6: yes
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "{b}"
    pidfile: "{b}/unbound.pid"
    logfile: "{b}/unbound.log"
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    num-threads: 2
    so-reuseport: yes
    outgoing-range: 4096
    num-queries-per-thread: 2048
    msg-cache-size: 64m
    rrset-cache-size: 128m
    key-cache-size: 32m
    infra-host-ttl: 60
    root-hints: "{b}/root.hints"
    trust-anchor-file: "{b}/root.key"
    module-config: "validator iterator"
    harden-referral-path: no
    qname-minimisation: no
    minimal-responses: no
    val-permissive-mode: no
remote-control:
    control-enable: no
"""


def wait_resolver(plan: LabPlan, timeout: float = 30) -> None:
    ns = netns.ns_name(plan.prefix, "scan")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(netns.exec_argv(ns, ["kdig", f"@{plan.resolver}", "+dnssec",
                                                  "+timeout=1", "+retry=0", ".", "SOA"]),
                             capture_output=True, text=True, check=False)
        flags = [line for line in out.stdout.splitlines() if line.startswith(";; Flags:")]
        if "NOERROR" in out.stdout and flags and " ad" in flags[0]:
            return
        time.sleep(0.2)
    raise netns.LabError("the lab resolver does not validate the lab root; see "
                         "dns/unbound/unbound.log in the lab directory")
