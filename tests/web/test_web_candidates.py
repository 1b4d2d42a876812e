"""The candidates page: the coordinator sees what discovery found, accepts names into the
registry or ignores them (CSRF-protected, through the same services as the CLI); nobody else
reaches it (the authorisation matrix covers every role)."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from meting.discovery.found import Found
from meting.store import Store
from meting.store import candidates as stored
from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import Dashboard


def found(app: FastAPI, *names: str) -> None:
    store: Store = app.state.store
    with sessionmaker(store.engine).begin() as session:
        stored.record(session, [Found(n, "Gemeente Aa", "ct", "crt.sh id 7") for n in names],
                      dt.datetime.now(dt.UTC))


def test_coordinator_accepts_and_ignores(app: FastAPI, dashboard: Dashboard) -> None:
    found(app, "mijn.aa.nl", "oud.aa.nl", "loket.aa.nl")
    c = signed_in(app, dashboard, "coordinator")
    listing = c.get("/candidates")
    assert listing.status_code == 200
    for name in ("mijn.aa.nl", "oud.aa.nl", "loket.aa.nl"):
        assert f'data-name="{name}"' in listing.text
    assert "certificaattransparantie" in listing.text
    token = csrf_of(listing.text)
    refused = c.post("/candidates/decide", data={"decision": "accept", "names": ["mijn.aa.nl"]})
    assert refused.status_code in (400, 403)  # no CSRF token
    accepted = c.post("/candidates/decide", data={"csrf": token, "decision": "accept",
                                                  "names": ["mijn.aa.nl", "loket.aa.nl"]})
    assert accepted.status_code == 303
    shown = c.get(accepted.headers["location"])
    assert "2 namen opgenomen in het register." in shown.text
    assert 'data-name="mijn.aa.nl"' in shown.text
    ignored = c.post("/candidates/decide", data={"csrf": token, "decision": "ignore",
                                                 "names": ["oud.aa.nl"]})
    assert ignored.status_code == 303
    registry = c.get("/registry", params={"q": "aa.nl"}).text
    assert "<td>mijn.aa.nl</td>" in registry and "<td>oud.aa.nl</td>" not in registry
    nothing = c.post("/candidates/decide", data={"csrf": token, "decision": "accept"})
    assert nothing.status_code == 400
    assert "Kies eerst een of meer namen." in nothing.text
    again = c.post("/candidates/decide", data={"csrf": token, "decision": "accept",
                                               "names": ["mijn.aa.nl"]})
    assert again.status_code == 400
    assert "staat al in het register: mijn.aa.nl" in again.text  # discovery's own reason
    stranger = c.post("/candidates/decide", data={"csrf": token, "decision": "accept",
                                                  "names": ["loket.aa.nl", "nooit.aa.nl"]})
    assert stranger.status_code == 400
    assert "geen kandidaat: nooit.aa.nl" in stranger.text


def test_others_do_not_reach_the_page(app: FastAPI, dashboard: Dashboard) -> None:
    for who in ("umbrella", "organisation"):
        c = signed_in(app, dashboard, who)
        assert c.get("/candidates").status_code in (403, 404)
