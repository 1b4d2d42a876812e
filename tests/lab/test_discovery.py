"""Discovery against the lab's real servers: `meting discover` finds the unlisted hosts of
discovery's scenarios (src/meting/lab/data/discovery.yaml) from each source, a
coordinator accepts some, and the next round measures them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from meting.lab import lab as lab_module
from meting.store import Store
from tests.lab.conftest import Lab

pytestmark = [pytest.mark.lab, pytest.mark.timeout(1800)]

CATALOGUE = Path(str(resources.files("meting.lab").joinpath("data/discovery.yaml")))
ORGANISATIONS = ("Gemeente Ontdekstad", "Provincie Ontdekland", "Waterschap Ontdekwater")
GONE = "verdwenen.ontdek-nsec.nl"


def meting(*args: str, db: Path, timeout: float = 900,
           in_lab: bool = False) -> subprocess.CompletedProcess[str]:
    env = {"METING_DATABASE": f"sqlite:///{db}", "METING_CONFIG": str(db.parent / "none.toml"),
           "METING_DISCOVERY_RATE": "200", "METING_DNS_TIMEOUT": "2",
           "METING_CONNECT_TIMEOUT": "3"}
    command = [sys.executable, "-m", "meting.cli", *args]
    if in_lab:
        command = [sys.executable, "-m", "meting.cli", "lab", "exec", "--", "env",
                   *(f"{k}={v}" for k, v in env.items()), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          check=False, env={**os.environ, **env})


def scenario_hosts() -> dict[str, tuple[set[str], set[str]]]:
    """Domain -> (every host name, the registered ones) from the catalogue."""
    data = yaml.safe_load(CATALOGUE.read_text())
    return {s["domain"]: ({f"{h}.{s['domain']}" for h in s["hosts"]},
                          {f"{h}.{s['domain']}" for h in s.get("registered", [])})
            for s in data["scenarios"]}


def common_labels() -> set[str]:
    text = resources.files("meting.discovery").joinpath("data/discovery.yaml").read_text()
    return set(yaml.safe_load(text)["labels"])


def candidates(db: Path) -> dict[str, dict[str, object]]:
    listed = meting("candidates", "list", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    return {c["name"]: c for c in json.loads(listed.stdout)}


def test_discovery_finds_accepts_and_measures(lab: Lab, tmp_path: Path) -> None:
    try:
        up = subprocess.run([sys.executable, "-m", "meting.cli", "lab", "up", "--domains",
                             str(lab.info["domains"]), "--catalogue", str(CATALOGUE)],
                            capture_output=True, text=True, timeout=900, check=False)
        assert up.returncode == 0, up.stderr
        run_discovery(tmp_path)
    finally:
        lab.restore()


def run_discovery(tmp_path: Path) -> None:
    state = lab_module.state_dir()
    db = tmp_path / "meting.db"
    registry = tmp_path / "registry.csv"
    with (state / "registry.csv").open() as source, registry.open("w") as out:
        rows = list(csv.reader(source))
        csv.writer(out).writerows([rows[0], *(r for r in rows[1:] if r[0] in ORGANISATIONS),
                                   # a registered host that no longer exists
                                   [ORGANISATIONS[0], "gemeente", GONE, GONE, "no", "", ""]])
    imported = meting("import", str(registry), db=db)
    assert imported.returncode == 0, imported.stderr
    hosts = scenario_hosts()
    nsec_all, nsec_registered = hosts["ontdek-nsec.nl"]
    assert len(nsec_all | {"www.ontdek-nsec.nl"}) == 30 and len(nsec_registered) == 4
    unlisted = {d: every - registered for d, (every, registered) in hosts.items()}

    # evidence: the certificates the first round saw name the scenario's other hosts
    first = meting("run", "--label", "eerste", db=db, in_lab=True)
    assert first.returncode in (0, 1), first.stdout[-2000:] + first.stderr[-2000:]
    by_evidence = meting("discover", "--sources", "evidence", db=db)
    assert by_evidence.returncode == 0, by_evidence.stderr
    found = candidates(db)
    assert all(found) and set(found) <= set().union(*unlisted.values())
    assert unlisted["ontdek-nsec.nl"] <= set(found)  # one shared certificate names them all

    # NSEC and DNS probing, from the scanner namespace
    walked = meting("discover", "--sources", "nsec,dns", *(
        a for o in ORGANISATIONS for a in ("--organisation", o)), db=db, in_lab=True)
    assert walked.returncode == 0, walked.stderr
    assert "ontdek-nsec3.nl: niet te doorlopen (NSEC3)" in walked.stdout
    assert "ontdek-joker.nl: joker (een willekeurig label geeft antwoord)" in walked.stdout
    found = candidates(db)
    by_source = {s: {n for n, c in found.items() if s in c["sources"]}  # type: ignore[operator]
                 for s in ("nsec", "dns", "evidence")}
    assert by_source["nsec"] == unlisted["ontdek-nsec.nl"] | {"portaal.ontdek-joker.nl"}
    common = common_labels()
    assert by_source["dns"] == {n for names in unlisted.values() for n in names
                                if n.split(".")[0] in common}
    assert "portaal.ontdek-joker.nl" in by_source["dns"]  # its own records, not the wildcard
    assert "peilbeheer-intern.ontdek-nsec3.nl" not in by_source["dns"]

    # CT: the lab's export of what its CA issued
    for export in ("crtsh.json", "get-entries.json"):
        by_ct = meting("discover", "--sources", "ct", "--ct-file", str(state / "ct" / export),
                       db=db)
        assert by_ct.returncode == 0, by_ct.stderr
    found = candidates(db)
    assert {n for n, c in found.items() if "ct" in c["sources"]} == set().union(
        *unlisted.values())
    assert found["peilbeheer-intern.ontdek-nsec3.nl"]["organisation"] == "Waterschap Ontdekwater"
    # CT: the lab's log over its RFC 6962 API, into a database of its own
    from_log = tmp_path / "log.db"
    assert meting("import", str(registry), db=from_log).returncode == 0
    url = str((lab_module.read_info(state) or {})["ct_log"])
    by_log = meting("discover", "--sources", "ct", "--ct-log", url, db=from_log, in_lab=True)
    assert by_log.returncode == 0, by_log.stderr
    logged = candidates(from_log)
    assert set(logged) == set().union(*unlisted.values())
    assert all(str(c["sources"]).endswith(f" of {url}'}}") for c in logged.values())

    # a coordinator accepts three, ignores one; the next round measures the three
    accepted = ["afvalkalender.ontdek-nsec.nl", "portaal.ontdek-joker.nl",
                "peilbeheer-intern.ontdek-nsec3.nl"]
    accept = meting("candidates", "accept", *accepted, db=db)
    assert accept.returncode == 0, accept.stderr
    assert meting("candidates", "ignore", "klachten.ontdek-nsec.nl", db=db).returncode == 0
    live = meting("sets", "live-web", "levend", *(
        a for o in ORGANISATIONS for a in ("--organisation", o)), db=db, in_lab=True)
    assert live.returncode == 0, live.stderr
    assert f"niet levend (geen adres): {GONE}" in live.stdout
    assert "set levend: 10 levende webhost(s) van 3 organisatie(s); 1 zonder" in live.stdout
    second = meting("run", "--set", "levend", "--label", "tweede", db=db, in_lab=True)
    assert second.returncode in (0, 1), second.stdout[-2000:] + second.stderr[-2000:]
    with Store.open(f"sqlite:///{db}") as store:
        round_id = store.find_round("tweede").id
        web = {r.target: r.columns for r in store.results(round_id, "web")}
    assert len(web) == 10 and GONE not in web
    for name in accepted:
        assert web[name]["tls_available"] == "passed", (name, web[name])
        assert web[name]["https_redirect"] == "passed", (name, web[name])

    # the report: known, measured and found per organisation
    figures = tmp_path / "tweede.json"
    assert meting("report", "--round", "tweede", "--format", "json", "--out", str(figures),
                  db=db).returncode == 0
    coverage = json.loads(figures.read_text())["coverage"]["per_organisation"]
    assert coverage["Gemeente Ontdekstad"] == {"category": "gemeente", "known": 7,
                                               "measured": 6, "found": 24,
                                               "found_not_measured": 23}
    assert coverage["Waterschap Ontdekwater"] == {"category": "waterschap", "known": 2,
                                                  "measured": 2, "found": 4,
                                                  "found_not_measured": 3}
    page = tmp_path / "tweede.html"
    assert meting("report", "--round", "tweede", "--out", str(page), db=db).returncode == 0
    assert "Bekende, gemeten en gevonden domeinen" in page.read_text()
