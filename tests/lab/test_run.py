"""Rounds over the lab: `meting run` in the scanner namespace, stopped, resumed, judged again."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.lab import netns
from meting.registry.lists import read_list
from meting.settings import Settings
from meting.store import Store
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

Statuses = dict[tuple[str, str], dict[str, str]]  # (domain, kind) -> column -> status
NORM_DEPENDENT = {"hsts", "tls_ncsc_web", "starttls_ncsc"}  # HSTS minimum, TLS tables


def scanner_env(lab: Lab, db: Path, **extra: Any) -> list[str]:
    settings = {"RESOLVER": lab.info["resolver"], "TRUST_STORE": lab.trust_store,
                "RPKI_VRPS": lab.info["rpki_vrps"], "RPKI_ROUTES": lab.info["rpki_routes"],
                "DATABASE": f"sqlite:///{db}", "DNS_TIMEOUT": 2, "CONNECT_TIMEOUT": 3,
                "SMTP_BANNER_TIMEOUT": 5, **{k.upper(): v for k, v in extra.items()}}
    return [f"METING_{k}={v}" for k, v in settings.items()]


def start_run(lab: Lab, db: Path, *args: str, **settings: Any) -> subprocess.Popen[str]:
    """`meting run ARGS` in the scanner namespace (ip netns exec and env exec: same pid)."""
    argv = ["env", *scanner_env(lab, db, **settings), sys.executable, "-m", "meting.cli",
            "run", *args]
    return subprocess.Popen(netns.exec_argv(lab.scan, argv), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out + err


def registry_db(lab: Lab, path: Path, registry: Path | None = None) -> Path:
    """A fresh database holding the lab's registry (or another list)."""
    listed = read_list(registry or Path(lab.info["registry"]))
    assert listed.ok, listed.errors
    with Store.open(f"sqlite:///{path}") as store:
        store.import_entries(listed.entries)
    return path


def planned_round(db: Path, set_name: str = "lab", label: str = "round") -> int:
    with Store.open(f"sqlite:///{db}") as store:
        # the norm `meting run --set` gives a new round, so both kinds compare
        round_id = store.create_round(set_name, Settings().norm, label=label)
        store.plan_round(round_id)
        return round_id


def statuses(db: Path, round_id: int, subtests: bool = False) -> Statuses:
    found: Statuses = {}
    with Store.open(f"sqlite:///{db}") as store:
        for r in store.results(round_id):
            key = (r.domain, r.kind)
            assert key not in found, f"two results for {key}"
            found[key] = dict(r.columns)
            if subtests:  # subtests apart: some share a name with a column (spf, dmarc…)
                found[key].update({f"subtest {n}": v for n, v in r.subtests.items()})
    return found


def wait_for_done(db: Path, round_id: int, at_least: int, proc: subprocess.Popen[str],
                  timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    with Store.open(f"sqlite:///{db}") as store:
        while time.monotonic() < deadline and proc.poll() is None:
            done = store.round(round_id).done
            if done >= at_least:
                return done
            time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} tests stored; run ended: {proc.poll()}")


def runners_of(db: Path) -> list[int]:
    """Processes running with this database (the command and its helper processes)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"METING_DATABASE=sqlite:///{db}\0".encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def no_runner_left(db: Path, wait: float = 30) -> bool:
    deadline = time.monotonic() + wait
    while runners_of(db) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not runners_of(db)


@pytest.fixture(scope="module")
def whole_round(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """An uninterrupted round over every lab domain, started by `meting run --set lab`."""
    db = registry_db(lab, tmp_path_factory.mktemp("whole") / "whole.db")
    code, output = finish(start_run(lab, db, "--set", "lab", "--label", "whole"))
    assert code == 0, output[-3000:]
    with Store.open(f"sqlite:///{db}") as store:
        round_id = store.round_by_label("whole").id
    yield db, round_id


def test_a_round_stores_one_result_per_planned_test_with_the_catalogue_statuses(
        lab: Lab, whole_round: tuple[Path, int]) -> None:
    db, round_id = whole_round
    with Store.open(f"sqlite:///{db}") as store:
        info = store.round(round_id)
    assert info.state == "finished"
    assert info.planned == info.done == 2 * len(lab.plan["domains"])
    found = statuses(db, round_id)
    for d in lab.plan["domains"]:
        web, mail = found[(d["domain"], "web")], found[(d["domain"], "mail")]
        assert set(web) == set(WEB_COLUMNS) and set(mail) == set(MAIL_COLUMNS)
        assert web == {c: d["expected_web"][c] for c in WEB_COLUMNS}, d["domain"]
        assert mail == {c: d["expected_mail"][c] for c in MAIL_COLUMNS}, d["domain"]


def shared_scans(db: Path, round_id: int) -> dict[str, int]:
    """Mail domains whose evidence received a STARTTLS scan made for an earlier test, with
    the number of such scans."""
    found: dict[str, int] = {}
    with Store.open(f"sqlite:///{db}") as store:
        for r in store.results(round_id):
            if r.kind != "mail":
                continue
            evidence = store.evidence(r.test_id)
            scans = [scan for mx in evidence.get("mx") or [] for scan in
                     (mx.get("starttls") or {}).values() if scan.get("shared")]
            if scans:
                found[r.domain] = len(scans)
                assert all(s["handshakes"] == 0 and s["shared"]["handshakes"] > 0
                           for s in scans)
    return found


def test_round_results_match_meting_check_to_the_subtest(
        lab: Lab, whole_round: tuple[Path, int]) -> None:
    """`meting check` scans every server itself; the round shares the scans of MX hosts
    that several lab domains use, so one such domain is among those compared."""
    import json

    db, round_id = whole_round
    found = statuses(db, round_id, subtests=True)
    shared = shared_scans(db, round_id)
    assert len(shared) >= 5, shared  # most lab domains use the lab's common MX hosts
    by_domain = {d["domain"]: d["scenario"] for d in lab.plan["domains"]}
    sharing = next(by_domain[name] for name in sorted(shared) if by_domain[name] != "perfect")
    for name, kind in (("perfect", "web"), ("perfect", "mail"), ("hsts-six-months", "web"),
                       (sharing, "mail")):
        d = lab.scenario(name)
        target = d["web_host"] if kind == "web" else d["mail_domain"]
        argv = ["env", *scanner_env(lab, db), sys.executable, "-m", "meting.cli", "check",
                kind, target, "--json"]
        out = lab.run(*argv, timeout=120)
        assert out.returncode in (0, 1), out.stderr[-2000:]  # 1: a column failed
        checked = json.loads(out.stdout)
        expected = {**{c: v["status"] for c, v in checked["columns"].items()},
                    **{f"subtest {s}": v["status"] for s, v in checked["subtests"].items()}}
        assert found[(d["domain"], kind)] == expected


def test_a_round_killed_midway_resumes_to_the_same_statuses_without_duplicates(
        lab: Lab, whole_round: tuple[Path, int], tmp_path: Path) -> None:
    db = registry_db(lab, tmp_path / "killed.db")
    round_id = planned_round(db, label="killed")
    proc = start_run(lab, db, "--round", str(round_id), concurrency=4, processes=2)
    stored = wait_for_done(db, round_id, 10, proc)
    assert len(runners_of(db)) == 2  # the command and its helper, one per part
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert no_runner_left(db)  # the helper process died with the command
    with Store.open(f"sqlite:///{db}") as store:
        killed = store.round(round_id)
    assert killed.state == "running" and stored <= killed.done < killed.planned

    code, output = finish(start_run(lab, db, "--round", str(round_id)))
    assert code == 0, output[-3000:]
    assert f"{killed.done} of {killed.planned} tests done; continuing" in output
    with Store.open(f"sqlite:///{db}") as store:
        resumed = store.round(round_id)
        evidence = [store.evidence(r.test_id) for r in store.results(round_id)]
    assert resumed.state == "finished" and resumed.done == resumed.planned
    assert len(evidence) == resumed.planned
    whole_db, whole_id = whole_round
    assert statuses(db, round_id) == statuses(whole_db, whole_id)


def test_ctrl_c_leaves_the_round_interrupted_and_says_how_to_resume(
        lab: Lab, tmp_path: Path) -> None:
    db = registry_db(lab, tmp_path / "stopped.db")
    round_id = planned_round(db, label="stopped")
    proc = start_run(lab, db, "--round", str(round_id), concurrency=4, processes=2)
    wait_for_done(db, round_id, 3, proc)
    assert len(runners_of(db)) == 2
    proc.send_signal(signal.SIGINT)
    code, output = finish(proc, timeout=60)
    assert no_runner_left(db)
    with Store.open(f"sqlite:///{db}") as store:
        info = store.round(round_id)
    assert code == 130, output[-3000:]
    assert info.state == "interrupted" and 3 <= info.done < info.planned
    assert f"Resume with: meting run --round {round_id}" in output


def test_a_test_that_overruns_its_budget_on_a_hostile_server_is_stored_not_testable(
        lab: Lab, tmp_path: Path) -> None:
    silent, perfect = lab.scenario("hostile-silent-port"), lab.scenario("perfect")
    listing = tmp_path / "hostile.csv"
    with Path(lab.info["registry"]).open() as source, listing.open("w", newline="") as out:
        rows = list(csv.DictReader(source))
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            if row["domain"] in (silent["domain"], perfect["domain"]):
                writer.writerow({**row, "sets": "hostile"})
    db = registry_db(lab, tmp_path / "hostile.db", listing)
    round_id = planned_round(db, "hostile", label="hostile")
    # The web server accepts and never answers; a request to it waits 6 s (twice the
    # connect timeout); a test may take 4 s.
    budget = {"test_budget": 4, "retries": 1, "retry_backoff": 0.5}
    code, output = finish(start_run(lab, db, "--round", str(round_id), **budget))
    assert code == 0, output[-3000:]
    found = statuses(db, round_id)
    assert found[(silent["domain"], "web")] == dict.fromkeys(WEB_COLUMNS, "not_testable")
    assert found[(perfect["domain"], "web")] == {
        c: perfect["expected_web"][c] for c in WEB_COLUMNS}
    with Store.open(f"sqlite:///{db}") as store:
        result = next(r for r in store.results(round_id, "web")
                      if r.domain == silent["domain"])
        evidence = store.evidence(result.test_id)
    assert evidence["not_testable"]["attempts"] == [
        "did not finish within the test budget of 4 s"] * 2

    again, output = finish(start_run(lab, db, "--round", str(round_id), **budget))
    assert again == 0 and "0 tests run now" in output
    assert statuses(db, round_id) == found


def test_rejudge_changes_only_norm_dependent_statuses_and_back(
        lab: Lab, whole_round: tuple[Path, int], tmp_path: Path) -> None:
    # Run outside the lab's namespaces: judging again must not need the network.
    source_db, round_id = whole_round
    db = tmp_path / "rejudge.db"
    db.write_bytes(source_db.read_bytes())
    original = statuses(db, round_id, subtests=True)
    with Store.open(f"sqlite:///{db}") as store:
        measured = store.round(round_id).norm  # the default norm of new rounds
    env = {**os.environ, "METING_DATABASE": f"sqlite:///{db}"}

    def rejudge(norm: str) -> Statuses:
        out = subprocess.run([sys.executable, "-m", "meting.cli", "rejudge", "--round",
                              str(round_id), "--norm", norm], env=env, capture_output=True,
                             text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        return statuses(db, round_id, subtests=True)

    old = rejudge("2019")  # HSTS six months; TLS 1.0/1.1 phase-out
    half_year = lab.scenario("hsts-six-months")["domain"]
    assert original[(half_year, "web")]["hsts"] == "failed"
    assert old[(half_year, "web")]["hsts"] == "passed"
    for key, found in original.items():
        columns = [c for c in found if c not in NORM_DEPENDENT and not c.startswith("subtest")]
        assert {c: old[key][c] for c in columns} == {c: found[c] for c in columns}, key
    assert rejudge(measured) == original

