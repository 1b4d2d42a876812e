"""`meting discover --ct-log` against the lab's RFC 6962 log (lab/ct_log.py: nginx serving
what the lab CA issued, at most four entries an answer) from the scanner namespace: the
same names as the CA's export, the bound on entries, and one line for each bad log."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from meting.lab import ct_log, netns
from meting.lab import lab as lab_module
from tests.lab.conftest import Lab
from tests.unit.cli_support import meting as in_process

pytestmark = pytest.mark.lab

# The bad logs, each asked by the CLI in one process inside the scanner namespace:
# (the log, settings of that run, the line it must print).
BAD = [
    ("/kapot", {}, "fout: niets ontdekt: https://ct.labdns.nl/kapot/ct/v1/get-sth: het "
                   "antwoord is geen JSON"),
    ("/leeg", {}, "fout: niets ontdekt: https://ct.labdns.nl/leeg: get-entries vanaf 0 gaf "
                  "nul regels, terwijl de boom er meer heeft"),
    ("/weg", {}, "fout: niets ontdekt: https://ct.labdns.nl/weg/ct/v1/get-sth: de log "
                 "antwoordde met HTTP-status 404"),
    ("/lab", {"METING_ALLOWED_NETWORKS": ""},
     "fout: niets ontdekt: log ct.labdns.nl: niet verbonden, {v4} is een adres voor "
     "documentatie of testen (allowed_networks)"),
    ("/lab", {"METING_TRUST_STORE": "{stranger}"}, "CERTIFICATE_VERIFY_FAILED"),
]
SCRIPT = """
import json, sys
from typer.testing import CliRunner
from meting.cli import app
said = []
for url, env, *more in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, ["discover", "--sources", "ct", "--ct-log", url, *more],
                                env=env)
    said.append([result.exit_code, result.stderr, result.stdout])
print(json.dumps(said))
"""


def stranger_ca(path: Path) -> Path:
    """A CA that issued nothing in the lab: a trust store that must refuse the log."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vreemde CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    return path


def registry_without_www(source: Path, out: Path) -> set[str]:
    """The lab's registry with each web test on the bare domain: the www hosts are the
    unlisted ones. Returns the registered domains."""
    with source.open() as given:
        rows = list(csv.DictReader(given))
    with out.open("w", newline="") as written:
        writer = csv.DictWriter(written, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "web_host": r["domain"]} for r in rows)
    return {r["domain"] for r in rows}


def in_lab(lab: Lab, *argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Python in the scanner namespace, told the lab's resolver, CA and networks."""
    told = {"METING_RESOLVER": lab.info["resolver"], "METING_TRUST_STORE": lab.trust_store,
            "METING_ALLOWED_NETWORKS": netns.LAB_NETWORKS, **env}
    return lab.run("env", *(f"{k}={v}" for k, v in told.items()), sys.executable, *argv,
                   timeout=300)


def names(env: dict[str, str]) -> dict[str, dict[str, str]]:
    listed = in_process("candidates", "list", "--json", env=env)
    assert listed.exit_code == 0, listed.stderr
    return {c["name"]: c["sources"] for c in json.loads(listed.stdout)}


def test_discovery_reads_the_lab_log(lab: Lab, tmp_path: Path) -> None:
    state = lab_module.state_dir()
    url = str(lab.info["ct_log"])
    size = json.loads((state / "ctlog" / "www" / "lab" / "sth.json").read_text())["tree_size"]
    registry = tmp_path / "registry.csv"
    domains = registry_without_www(state / "registry.csv", registry)
    envs = {}
    for source in ("log", "file"):
        envs[source] = {"METING_DATABASE": f"sqlite:///{tmp_path / source}.db",
                        "METING_CONFIG": str(tmp_path / "none.toml"),
                        "METING_DISCOVERY_RATE": "200"}
        assert in_process("import", str(registry), env=envs[source]).exit_code == 0

    read = in_lab(lab, "-m", "meting.cli", "discover", "--sources", "ct", "--ct-log", url,
                  env=envs["log"])
    assert read.returncode == 0, read.stderr
    requests = 1 + math.ceil(size / ct_log.BATCH)  # the STH, then the log's short answers
    assert (f"{url}: {size} regels gelezen (van 0 tot en met {size - 1}, boomgrootte "
            f"{size}) in {requests} verzoeken") in read.stdout
    by_file = in_process("discover", "--sources", "ct", "--ct-file",
                         str(state / "ct" / "crtsh.json"), env=envs["file"])
    assert by_file.exit_code == 0, by_file.stderr
    from_log, from_file = names(envs["log"]), names(envs["file"])
    assert set(from_log) == set(from_file)
    issued = {n for c in json.loads((state / "ct" / "crtsh.json").read_text())
              for n in c["name_value"].split()}
    unlisted = {f"www.{d}" for d in domains} & issued
    assert len(unlisted) > 10 and unlisted <= set(from_log)
    assert all(s["ct"].startswith("entry ") and s["ct"].endswith(f" of {url}")
               for s in from_log.values())


def test_the_bound_and_each_bad_log(lab: Lab, tmp_path: Path) -> None:
    env = {"METING_DATABASE": f"sqlite:///{tmp_path / 'm.db'}",
           "METING_CONFIG": str(tmp_path / "none.toml")}
    registry = tmp_path / "registry.csv"
    registry_without_www(lab_module.state_dir() / "registry.csv", registry)
    assert in_process("import", str(registry), env=env).exit_code == 0
    base = "https://" + ct_log.HOST
    stranger = str(stranger_ca(tmp_path / "vreemd.pem"))
    cases = [[base + path, {k: v.format(stranger=stranger) for k, v in extra.items()}]
             for path, extra, _ in BAD]
    cases.append([ct_log.url(), {}, "--ct-max-entries", "6", "--lang", "en"])
    ran = in_lab(lab, "-c", SCRIPT, json.dumps(cases), env=env)
    assert ran.returncode == 0, ran.stderr
    v4 = lab.info["ct_log_addresses"][0]
    *refused, (code, stderr, stdout) = json.loads(ran.stdout)
    size = json.loads((lab_module.state_dir() / "ctlog" / "www" / "lab" / "sth.json")
                      .read_text())["tree_size"]
    assert code == 0, stderr
    assert (f"{ct_log.url()}: only the newest 6 of {size} entries read (ct_max_entries); "
            f"the {size - 6} older ones were not") in stdout
    for (path, _extra, line), (code, stderr, stdout) in zip(BAD, refused, strict=True):
        assert code == 2, (path, stdout, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in stderr, (path, stderr)
        assert line.format(v4=v4) in lines[0], (path, stderr)
