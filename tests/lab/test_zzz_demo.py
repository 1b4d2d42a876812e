"""`meting demo` in the lab: two rounds with the owners' changes between them, the last one's
figures and report, and logins that work.

A module of its own, after every other module that uses the session's lab (the tests run in
file order): the demo leaves the lab after the owners' changes, and the next lab user would
build the session's lab again (tests/lab/conftest.py); only the population test, which
builds a lab of its own, comes after it.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.demo import demo
from meting.store import Store
from meting.web.accounts import Accounts
from tests.lab.conftest import Lab
from tests.lab.test_run import statuses

pytestmark = pytest.mark.lab


def test_demo_runs_two_rounds_in_the_lab_and_writes_the_last_ones_figures_and_report(
        lab: Lab, tmp_path: Path) -> None:
    printed = io.StringIO()
    # The demo leaves the lab as its owners changed it; a later module's `lab` builds the
    # session's lab again, where one needs it.
    assert demo(Console(file=printed, width=80), 20, tmp_path) == 0  # a piped console's width
    figures = json.loads((tmp_path / "meting-demo-figures.json").read_text())
    domains = len(lab.plan["domains"])
    for kind, columns in (("web", WEB_COLUMNS), ("mail", MAIL_COLUMNS)):
        every = figures["adoption"][kind]["all"]
        assert set(every) == set(columns)
        assert all(c["counted"] + c["excluded"] == domains for c in every.values())
    assert "<html" in (tmp_path / "meting-demo-report.html").read_text()[:2000].lower()
    with Store.open(f"sqlite:///{tmp_path / 'meting-demo.db'}") as store:
        rounds = store.rounds()
        first, second = (statuses(tmp_path / "meting-demo.db", r.id) for r in rounds)
    assert len(rounds) == 2 and rounds[0].date < rounds[1].date
    assert figures["round"] == rounds[1].label
    assert all(r.state == "finished" and r.done == r.planned == 2 * domains for r in rounds)
    generated = {k for k in first if k[0] not in {d["domain"] for d in lab.plan["domains"]
                                                  if not d["generated"]}}
    assert any(first[k] != second[k] for k in generated)  # owners changed something
    scenarios = set(first) - generated
    assert all(first[k] == second[k] for k in scenarios)
    logins = re.findall(r"(\w+) +login (\w+@demo\.meting\.test)  password (\S+)  sees",
                        printed.getvalue())
    assert [role for role, _, _ in logins] == ["coordinator", "umbrella", "organisation"]
    assert re.search(rf"METING_DATABASE=sqlite:///{re.escape(str(tmp_path))}/meting-demo\.db "
                     r"\S+/meting lab serve", printed.getvalue())
    with Store.open(f"sqlite:///{tmp_path / 'meting-demo.db'}") as store:
        accounts = Accounts(store)
        for _, email, password in logins:  # the printed logins work, whole
            assert accounts.log_in(email, password, "127.0.0.1")
