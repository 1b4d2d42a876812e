"""`meting internetnl` against a stand-in for Internet.nl's batch API v2 (a real HTTP server
process on loopback, tests/internetnl_standin.py), and `meting compare` between its round
and a meting round over the same domains."""

from __future__ import annotations

import csv
import re
import signal
import subprocess
import time
from pathlib import Path

from meting.store import ImportedStatuses, Store
from meting.store.internetnl import InternetnlStore
from tests import internetnl_standin as truth_of
from tests.store.internetnl_helpers import (
    METING,
    PASSWORD,
    environment,
    json_of,
    meting,
    registry,
    standin,
)

DOMAINS = 12_000


def _wait_for(condition: object, what: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def _meting_round(store: Store, label: str) -> dict[str, str]:
    """A meting round over every domain: Internet.nl's statuses except hsts on every tenth
    domain, which meting judges the other way; the domains judged differently, with
    meting's status."""
    rows, flipped = [], {}
    for n, e in enumerate(store.export_entries()):
        columns = truth_of.truth(f"www.{e.domain}", "web")
        if n % 10 == 0 and columns["hsts"] in ("passed", "failed"):
            columns["hsts"] = "failed" if columns["hsts"] == "passed" else "passed"
            flipped[e.domain] = columns["hsts"]
        rows.append(ImportedStatuses(e.domain, columns, explanations={
            c: {"nl": f"meting vond {s}", "en": f"meting found {s}"}
            for c, s in columns.items()}))
    store.import_round(label, None, "groot", "web", rows, {})
    return flipped


def test_twelve_thousand_domains_killed_and_resumed_land_as_one_round(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'meting.db'}"
    with Store.open(database) as store:
        store.import_entries(registry(DOMAINS, "groot"))
    # the second submission is registered but its answer held back: the kill lands between
    # Internet.nl registering it and meting recording its id, the hardest moment
    with standin("--registering", "3", "--fail-status", "4", "--fail-results", "2",
                 "--hold", "2") as api:
        env = environment(database, api)
        submit = subprocess.Popen([str(METING), "internetnl", "submit", "--set", "groot",
                                   "--kind", "web", "--label", "inl-web"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for(lambda: api.stats()["submissions"] == 2, "the second submission")
            with Store.open(database) as store:
                _wait_for(lambda: [r.state for r in InternetnlStore(store).requests()]
                          == ["registering", "submitting", "planned"], "the second request "
                          "recorded as being sent")
        finally:
            submit.send_signal(signal.SIGKILL)
            submit.wait(timeout=30)
        assert submit.returncode == -signal.SIGKILL

        resumed = meting(env, "internetnl", "resume")
        assert resumed.returncode == 0, resumed.stderr
        stats = api.stats()
        assert stats["submissions"] == 3 and stats["domains"] == DOMAINS
        assert stats["errors_served"] == 2  # the 5xx answers were met and got over

    with Store.open(database) as store:
        requests = InternetnlStore(store).requests("inl-web")
        assert [len(r.targets) for r in requests] == [5000, 5000, 2000]
        assert {r.state for r in requests} == {"imported"}
        assert len({r.request_id for r in requests}) == 3
        found = {r.domain: r for r in store.results(store.find_round("inl-web").id)}
        assert len(found) == DOMAINS
        for domain, result in found.items():
            assert result.columns == truth_of.truth(f"www.{domain}", "web"), domain
        some = next(r for r in found.values() if r.columns["hsts"] == "failed")
        assert "webservers.ipv4.details.hsts=\"no\"" in some.explanations["hsts"]["en"]
        flipped = _meting_round(store, "meting-web")

    out = tmp_path / "verschillen.csv"
    report = meting(env, "compare", "--round", "meting-web", "--round", "inl-web",
                    "--out", str(out))
    assert report.returncode == 0, report.stderr
    assert "Overeenstemming per kolom" in report.stdout
    figures = json_of(meting(env, "compare", "--round", "meting-web", "--round", "inl-web",
                             "--json", "--lang", "en"))
    agreement = {c["column"]: c for c in figures["agreement"]}
    assert set(agreement) == set(truth_of.truth("www.gemeente00001.nl", "web"))
    for column, figure in agreement.items():
        assert figure["compared"] == DOMAINS
        assert figure["disagreeing"] == (len(flipped) if column == "hsts" else 0), column
    hsts = agreement["hsts"]
    assert hsts["rate"] == round(100 * (DOMAINS - len(flipped)) / DOMAINS, 1)
    # the figure in the table, as Babel writes it in Dutch
    share = round(100 * (DOMAINS - len(flipped)) / DOMAINS)
    agreeing = f"{DOMAINS - len(flipped):,}".replace(",", ".")
    assert re.search(rf"│ web +│ hsts +│ 12\.000 +│ {re.escape(agreeing)} +│ {share}% +│",
                     report.stdout), report.stdout
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["domain"]: r["status_a"] for r in rows} == flipped
    assert all(r["column"] == "hsts" and r["status_a"] != r["status_b"] for r in rows)
    assert all(r["explanation_a"] == f"meting vond {r['status_a']}" for r in rows)
    assert all("web_https_http_hsts" in r["explanation_b"] and "technische details"
               in r["explanation_b"] for r in rows)


def test_bad_credentials_are_one_line_without_the_password(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'meting.db'}"
    with Store.open(database) as store:
        store.import_entries(registry(30, "klein"))
    with standin() as api:
        env = environment(database, api, internetnl_password="verkeerd-" + PASSWORD)
        for debug in ((), ("--debug",)):
            found = meting(env, *debug, "internetnl", "submit", "--set", "klein", "--kind",
                           "mail", "--label", f"fout{len(debug)}")
            assert PASSWORD not in found.stdout + found.stderr
            if not debug:
                assert found.returncode == 2
                assert found.stderr.strip().splitlines() == [
                    "error: Internet.nl refused the user name or password (settings "
                    "internetnl_user and internetnl_password)"]
        assert api.stats()["submissions"] == 0
        with Store.open(database) as store:
            assert {r.state for r in InternetnlStore(store).requests()} == {"planned"}


def test_the_terms_are_kept_unless_the_user_says_otherwise(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'meting.db'}"
    with Store.open(database) as store:
        store.import_entries(registry(30, "klein"))
    with standin("--registering", "1") as api:
        env = environment(database, api, internetnl_max_domains=10,
                          internetnl_requests_per_week=2)
        refused = meting(env, "internetnl", "submit", "--set", "klein", "--kind", "web",
                         "--label", "a")
        assert refused.returncode == 2
        assert len(refused.stderr.strip().splitlines()) == 1
        assert "needs 3 requests" in refused.stderr and "--over-limit" in refused.stderr
        too_big = meting(env, "internetnl", "submit", "--set", "klein", "--kind", "web",
                         "--label", "a", "--per-request", "30")
        assert too_big.returncode == 2 and "more than the 10 domains" in too_big.stderr
        assert api.stats()["submissions"] == 0

        allowed = meting(env, "internetnl", "submit", "--set", "klein", "--kind", "web",
                         "--label", "a", "--over-limit")
        assert allowed.returncode == 0, allowed.stderr
        assert api.stats()["submissions"] == 3
        # the week's requests so far count: one more request is one too many
        env = environment(database, api, internetnl_requests_per_week=3)
        again = meting(env, "internetnl", "submit", "--set", "klein", "--kind", "mail",
                       "--label", "b")
        assert again.returncode == 2 and "with the 3 sent" in again.stderr
        assert api.stats()["submissions"] == 3


def test_a_batch_is_followed_and_cancelled(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'meting.db'}"
    with Store.open(database) as store:
        store.import_entries(registry(20, "klein"))
    with standin("--registering", "1000000") as api:
        env = environment(database, api)
        submit = subprocess.Popen([str(METING), "internetnl", "submit", "--set", "klein",
                                   "--kind", "mail", "--label", "blijft"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with Store.open(database) as store:
                _wait_for(lambda: [r.state for r in InternetnlStore(store).requests()]
                          == ["registering"], "the request sent")
        finally:
            submit.send_signal(signal.SIGKILL)
            submit.wait(timeout=30)
        shown = meting(env, "internetnl", "status")
        assert shown.returncode == 0 and "registering" in shown.stdout
        cancelled = meting(env, "internetnl", "cancel", "--label", "blijft")
        assert cancelled.returncode == 0, cancelled.stderr
        assert "cancelled" in cancelled.stdout
        assert "no unfinished" in meting(env, "internetnl", "resume").stdout
        assert api.stats()["submissions"] == 1
        unknown = meting(env, "internetnl", "cancel", "--label", "nergens")
        assert unknown.returncode == 2 and "no Internet.nl batch 'nergens'" in unknown.stderr
