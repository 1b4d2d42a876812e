"""The authorisation matrix, generated from the application's route table: every page and
API route × every role (anonymous, coordinator, umbrella, organisation, and a user of another
organisation), by session and by API token. A route without an access rule fails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from meting.store import Store
from meting.store.models import Domain, DomainSet, Organisation, Test
from meting.web.access import RULES, Rule
from tests.web.conftest import client, signed_in
from tests.web.dashboard_data import ACCOUNTS, SHARE_KEY, Dashboard

VIEWERS = ("anonymous", *ACCOUNTS)
# Whose results the sample path parameters point at: Gemeente Aa, under umbrella VNG.
SEES_SAMPLE = {"coordinator", "umbrella", "organisation"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Route:
    name: str
    path: str  # with its parameters in braces, prefix included
    methods: frozenset[str]


def routes(app: FastAPI) -> list[Route]:
    """Every API and page route of the application (included routers resolved)."""
    return [Route(str(c.name), str(c.path_format), frozenset(c.methods or ()))
            for c in iter_route_contexts(app.routes) if isinstance(c.route, APIRoute)]


def samples(app: FastAPI, dashboard: Dashboard) -> dict[str, str]:
    store: Store = app.state.store
    with app.state.sessions() as session:
        organisation = session.scalar(select(Organisation.id).where(
            Organisation.name == "Gemeente Aa"))
        test = session.scalar(select(Test.id).join(Domain, Domain.id == Test.domain_id).where(
            Domain.name == "aa.nl", Test.round_id == dashboard.rounds[1]))
        domain_set = session.scalar(select(DomainSet.id).where(DomainSet.name == "kern"))
    assert organisation and test and domain_set and store.round(dashboard.rounds[1]).done
    return {"round_id": str(dashboard.rounds[1]), "organisation_id": str(organisation),
            "domain": "aa.nl", "test_id": str(test), "umbrella": "VNG", "key": SHARE_KEY,
            "share_id": "1", "file": "aa.nl.html", "parent": "Ministerie Cee",
            "set_id": str(domain_set)}


def path_of(route: Route, values: dict[str, str]) -> str:
    names = re.findall(r"{(\w+)", route.path)
    return route.path.format(**{name: values[name] for name in names})


def expected(rule: Rule, who: str) -> str:
    role = "public" if who == "anonymous" else ACCOUNTS[who][1]
    if role not in rule.roles:
        return "sign_in" if who == "anonymous" else "forbidden"
    if rule.scope is not None and who not in SEES_SAMPLE:
        return "not_found"
    return "allowed"


def outcome(answer: Any, unsafe: bool) -> str:
    code, body = answer.status_code, answer.text
    if code == 401 or (code == 303 and answer.headers["location"].startswith("/login?")):
        return "sign_in"
    if code == 403:
        csrf_refusal = 'data-reason="csrf"' in body or '"detail":"csrf"' in body
        return "allowed" if unsafe and csrf_refusal else "forbidden"
    if code == 404:
        return "not_found"
    assert code in (200, 303), f"{code}: {body[:300]}"
    return "allowed"


@pytest.fixture(scope="module")
def clients(app: FastAPI, dashboard: Dashboard) -> dict[str, TestClient]:
    found = {who: signed_in(app, dashboard, who) for who in ACCOUNTS}
    found["anonymous"] = client(app)
    return found


def test_every_route_has_an_access_rule_and_every_rule_a_route(app: FastAPI) -> None:
    names = [r.name for r in routes(app)]
    assert sorted(n for n in names if n not in RULES) == []
    assert sorted(set(RULES) - set(names)) == []
    assert len(names) == len(set(names)), "two routes share a name (and so a rule)"


def test_a_route_without_a_rule_is_refused_to_everyone(app: FastAPI,
                                                       dashboard: Dashboard) -> None:
    @app.get("/unruled", name="unruled")
    def unruled() -> dict[str, str]:
        return {"secret": "x"}

    try:
        answer = signed_in(app, dashboard, "coordinator").get("/unruled")
        assert answer.status_code == 403
        assert "secret" not in answer.text
    finally:
        app.router.routes[:] = [r for r in app.router.routes
                                if getattr(r, "name", "") != "unruled"]
        app.router._mark_routes_changed()


@pytest.mark.parametrize("who", VIEWERS)
def test_every_route_for_every_viewer_by_session(app: FastAPI, dashboard: Dashboard,
                                                 clients: dict[str, TestClient],
                                                 who: str) -> None:
    values = samples(app, dashboard)
    wrong = []
    for route in routes(app):
        for method in sorted(route.methods):
            unsafe = method in UNSAFE
            # unsafe requests go without their CSRF token: an allowed one ends at the CSRF check
            answer = clients[who].request(method, path_of(route, values))
            got, want = outcome(answer, unsafe), expected(RULES[route.name], who)
            if got != want:
                wrong.append(f"{method} {route.path} as {who}: {got}, expected {want}")
    assert wrong == []


@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_every_api_route_for_every_role_by_token(app: FastAPI, dashboard: Dashboard,
                                                 who: str) -> None:
    values = samples(app, dashboard)
    c = client(app)
    wrong = []
    for route in routes(app):
        if not route.path.startswith("/api/"):
            continue
        answer = c.get(path_of(route, values),
                       headers={"Authorization": f"Bearer {dashboard.tokens[who]}"})
        got, want = outcome(answer, False), expected(RULES[route.name], who)
        if got != want:
            wrong.append(f"GET {route.path} as {who}: {got}, expected {want}")
    assert wrong == []


def test_the_rules_say_what_the_roles_promise() -> None:
    """Independently of the table's mechanics: the coordinator-only areas, and scoping."""
    for name in ("monitor", "round_start", "round_stop", "registry", "registry_import",
                 "shares", "share_create", "round_report", "domain_delete", "set_create",
                 "set_editor", "set_rename", "set_add_domains", "set_remove_domains",
                 "set_delete"):
        assert RULES[name].roles == {"coordinator"}, name
    for name in ("organisation", "domain", "evidence", "api_organisation", "api_domain",
                 "organisation_report"):
        assert RULES[name].scope is not None, name


def test_an_invalid_token_is_refused(app: FastAPI) -> None:
    answer = client(app).get("/api/v1/rounds", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401


def test_lists_show_only_what_the_viewer_sees(app: FastAPI,
                                              clients: dict[str, TestClient]) -> None:
    seen = {who: {o["name"] for o in clients[who].get("/api/v1/organisations").json()}
            for who in ACCOUNTS}
    assert seen["coordinator"] == {"Gemeente Aa", "Gemeente Bee", "Ministerie Cee"}
    assert seen["umbrella"] == {"Gemeente Aa", "Gemeente Bee"}
    assert seen["organisation"] == {"Gemeente Aa"}
    assert seen["other_organisation"] == {"Ministerie Cee"}
    compared = clients["organisation"].get("/api/v1/compare").json()["changes"]
    assert {c["organisation"] for c in compared} == {"Gemeente Aa"}
    overview = clients["other_organisation"].get("/").headers["location"]
    page = clients["other_organisation"].get(overview).text
    assert "Ministerie Cee" in page and "Gemeente Aa" not in page
