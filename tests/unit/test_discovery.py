"""Discovery's pure parts: CT exports, names in evidence, which organisation a name is of,
and the candidates' way through the store (discover from files, accept, ignore)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from meting.discovery import ct
from meting.discovery.evidence_names import names_in
from meting.discovery.found import Owners, Registered, clean
from tests.unit.cli_support import meting, store_env

RECORDED = Path(__file__).parent / "data" / "recorded"


def certificate(names: list[str]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                           critical=False)
            .sign(key, hashes.SHA256()))


def der(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding
    return cert.public_bytes(Encoding.DER)


def test_crtsh_export_gives_every_name_with_its_id(tmp_path: Path) -> None:
    path = tmp_path / "crtsh.json"
    path.write_text(json.dumps([
        {"id": 11, "common_name": "www.gemeente.nl",
         "name_value": "www.gemeente.nl\nmijn.gemeente.nl"},
        {"id": 12, "common_name": "*.gemeente.nl", "name_value": "*.gemeente.nl"}]))
    names = ct.read_export(path, 2**20)
    assert {(n.name, n.note) for n in names} == {
        ("www.gemeente.nl", "crt.sh id 11"), ("mijn.gemeente.nl", "crt.sh id 11"),
        ("*.gemeente.nl", "crt.sh id 12")}


def test_get_entries_x509_and_precert_entries(tmp_path: Path) -> None:
    leaf = der(certificate(["portaal.gemeente.nl", "loket.gemeente.nl"]))
    pre = certificate(["nieuw.gemeente.nl"])
    precert_leaf = ct.precert_leaf_input(bytes(32), pre.tbs_certificate_bytes, 0)
    entries = [{"leaf_input": base64.b64encode(ct.leaf_input(leaf, 1)).decode(),
                "extra_data": base64.b64encode(ct.extra_data([])).decode()},
               {"leaf_input": base64.b64encode(precert_leaf).decode(),
                "extra_data": base64.b64encode(ct.precert_extra_data(der(pre), [])).decode()}]
    path = tmp_path / "entries.json"
    path.write_text(json.dumps({"entries": entries}))
    names = {(n.name, n.note) for n in ct.read_export(path, 2**20)}
    assert ("portaal.gemeente.nl", "log entry 0") in names
    assert ("loket.gemeente.nl", "log entry 0") in names
    assert ("nieuw.gemeente.nl", "log entry 1") in names


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not JSON"),
    ('{"entries": [{"leaf_input": "!!"}]}', "log entry 0: leaf_input is not base64"),
    ('{"entries": [{"leaf_input": "AAAA"}]}', "log entry 0: leaf_input is no version 1"),
    ('[1, 2]', "entry 1 is not a crt.sh certificate object"),
    ('{"something": 1}', "neither a crt.sh export"),
])
def test_a_bad_export_is_one_line_naming_the_entry(tmp_path: Path, content: str,
                                                    message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ct.CtFileError, match=message):
        ct.read_export(path, 2**20)


def test_names_in_recorded_evidence() -> None:
    web = json.loads((RECORDED / "cert-rsa-2048.web.json").read_text())["evidence"]
    mail = json.loads((RECORDED / "cert-rsa-2048.mail.json").read_text())["evidence"]
    web_names = dict(names_in(web))
    mail_names = set(names_in(mail))
    assert web_names[f"{web['target']}"] == "certificate name"
    assert ("mx.lab-hosting.nl.", "MX host") in mail_names
    assert ("spf.lab-hosting.nl", "SPF include") in mail_names


def test_names_in_evidence_cname_spf_and_redirect() -> None:
    evidence = {"host": {"a": {"answers": ["198.18.1.2"], "cname_chain": ["web01.x.nl."]}},
                "mail_auth": {"txt": {"answers": [
                    '"v=spf1 include:_spf.x.nl redirect=spf.y.nl -all"']}},
                "http": {"hops": [{"location": "https://nieuw.x.nl/start"}]}}
    assert set(names_in(evidence)) == {("web01.x.nl.", "CNAME target"),
                                        ("_spf.x.nl", "SPF include"),  # left out by clean
                                        ("spf.y.nl", "SPF include"),
                                        ("nieuw.x.nl", "redirect target")}


def test_owners_take_names_under_their_own_domains_only() -> None:
    owners = Owners([Registered("Gemeente X", ("x.nl", "mijn.y.nl"), ("www.x.nl", "x.nl")),
                     Registered("Provincie Z", ("z.nl",), ("www.z.nl",))],
                    {"y.nl": "Gemeente X"})
    assert owners.candidate("portaal.x.nl.", "dns", "") is not None
    assert owners.candidate("loket.y.nl", "dns", "").organisation == "Gemeente X"  # type: ignore[union-attr]
    assert owners.candidate("a.b.z.nl", "ct", "").organisation == "Provincie Z"  # type: ignore[union-attr]
    assert owners.candidate("www.x.nl", "ct", "") is None  # known target
    assert owners.candidate("mx.lab-hosting.nl", "evidence", "") is None  # a supplier's
    assert owners.candidate("*.x.nl", "ct", "") is None  # x.nl itself is registered


@pytest.mark.parametrize(("raw", "clean_name"), [
    ("WWW.X.NL.", "www.x.nl"), ("*.x.nl", "x.nl"), ("a.*.x.nl", None), ("198.18.0.1", None),
    ("info@x.nl", None), ("_dmarc.x.nl", None), ("x", None), ("bücher.nl", "xn--bcher-kva.nl"),
    ("2001:db8::1", None)])
def test_clean(raw: str, clean_name: str | None) -> None:
    assert clean(raw) == clean_name


LIST = """organisation,category,domain,web_host,mail,umbrella,sets
Gemeente Ontdek,gemeente,ontdek.nl,,yes,,kern
Provincie Elders,provincie,elders.nl,,yes,,kern
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**store_env(tmp_path), "METING_LANG": "en"}


def test_discover_from_ct_then_accept_and_ignore(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "list.csv").write_text(LIST)
    assert meting("import", str(tmp_path / "list.csv"), env=env).exit_code == 0
    export = tmp_path / "crtsh.json"
    export.write_text(json.dumps([{"id": 1, "name_value": "mijn.ontdek.nl\nwww.ontdek.nl\n"
                                   "oud.elders.nl\nwww.ander-bedrijf.nl"}]))
    found = meting("discover", "--sources", "ct", "--ct-file", str(export), env=env)
    assert found.exit_code == 0, found.stderr
    assert "2 new candidate(s)" in found.stdout
    listed = json.loads(meting("candidates", "list", "--json", env=env).stdout)
    assert {(c["name"], c["organisation"], c["state"]) for c in listed} == {
        ("mijn.ontdek.nl", "Gemeente Ontdek", "new"), ("oud.elders.nl", "Provincie Elders", "new")}
    assert listed[0]["sources"] == {"ct": "crt.sh id 1"}
    again = meting("discover", "--sources", "ct", "--ct-file", str(export), env=env)
    assert "0 new candidate(s), 2 seen again" in again.stdout

    accepted = meting("candidates", "accept", "mijn.ontdek.nl", "--set", "breed", env=env)
    assert accepted.exit_code == 0, accepted.stderr
    assert "Gemeente Ontdek: 1 domain(s) added" in accepted.stdout
    assert meting("candidates", "ignore", "oud.elders.nl", env=env).exit_code == 0
    exported = tmp_path / "out.csv"
    assert meting("export", str(exported), "--set", "breed", env=env).exit_code == 0
    rows = exported.read_text("utf-8-sig").splitlines()
    assert rows[1].startswith("Gemeente Ontdek,gemeente,mijn.ontdek.nl,mijn.ontdek.nl,no")
    states = {c["name"]: c["state"] for c in json.loads(
        meting("candidates", "list", "--json", env=env).stdout)}
    assert states == {"mijn.ontdek.nl": "accepted", "oud.elders.nl": "ignored"}
    third = meting("discover", "--sources", "ct", "--ct-file", str(export), env=env)
    assert "0 new candidate(s), 1 seen again" in third.stdout  # accepted ones are known


def test_accepting_is_all_or_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "list.csv").write_text(LIST)
    meting("import", str(tmp_path / "list.csv"), env=env)
    export = tmp_path / "crtsh.json"
    export.write_text(json.dumps([{"name_value": "a.ontdek.nl"}]))
    meting("discover", "--sources", "ct", "--ct-file", str(export), env=env)
    result = meting("candidates", "accept", "a.ontdek.nl", "b.ontdek.nl", env=env)
    assert result.exit_code == 2
    assert "no candidate b.ontdek.nl" in result.stderr
    assert json.loads(meting("candidates", "list", "--json", env=env).stdout)[0]["state"] == "new"


@pytest.mark.parametrize(("args", "message"), [
    (["--sources", "ct"], "give a file with --ct-file, a log with --ct-log"),
    (["--sources", "dns,whois"], "--sources: whois"),
    (["--organisation", "Onbekend", "--sources", "evidence"], "no organisation 'Onbekend'"),
    (["--organisation", "A", "--set", "b"], "not both"),
])
def test_discover_refuses_bad_requests_in_one_line(tmp_path: Path, env: dict[str, str],
                                                    args: list[str], message: str) -> None:
    (tmp_path / "list.csv").write_text(LIST)
    meting("import", str(tmp_path / "list.csv"), env=env)
    result = meting("discover", *args, env=env)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_report_counts_known_measured_and_found(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "list.csv").write_text(LIST)
    meting("import", str(tmp_path / "list.csv"), env=env)
    export = tmp_path / "crtsh.json"
    export.write_text(json.dumps([{"name_value": "a.ontdek.nl\nb.ontdek.nl\nc.ontdek.nl"}]))
    meting("discover", "--sources", "ct", "--ct-file", str(export), env=env)
    assert meting("candidates", "accept", "a.ontdek.nl", env=env).exit_code == 0
    assert meting("candidates", "ignore", "c.ontdek.nl", env=env).exit_code == 0
    statuses = tmp_path / "web.csv"
    statuses.write_text("category,domain,reaction,dnssec\ngemeente,ontdek.nl,0,passed\n"
                        "gemeente,a.ontdek.nl,0,failed\n")
    stored = meting("import-results", str(statuses), "--kind", "web", "--round", "r1", env=env)
    assert stored.exit_code == 0, stored.stderr
    out = tmp_path / "figures.json"
    assert meting("report", "--round", "r1", "--format", "json", "--out", str(out),
                  env=env).exit_code == 0
    coverage = json.loads(out.read_text())["coverage"]
    assert coverage["per_organisation"]["Gemeente Ontdek"] == {
        "category": "gemeente", "known": 2, "measured": 2, "found": 2, "found_not_measured": 1}
    assert coverage["per_layer"]["all"] == {"known": 3, "measured": 2, "found": 2,
                                            "found_not_measured": 1}
    for lang, heading, layer in (("nl", "Bekende, gemeten en gevonden domeinen", "Gemeenten"),
                                 ("en", "Known, measured and found domains", "Municipalities")):
        page = tmp_path / f"report-{lang}.html"
        assert meting("report", "--round", "r1", "--lang", lang, "--out", str(page),
                      env=env).exit_code == 0
        html = page.read_text()
        assert heading in html
        cells = "".join(f'<td class="num">{n}</td>' for n in (2, 2, 2, 1))
        assert f"<td>Gemeente Ontdek</td><td>{layer}</td>{cells}" in html
