"""Who may use which route: one rule per route name, checked on the server for every request.

A route without a rule is refused (and the authorisation-matrix test fails), so a new page
or API route cannot be reachable by accident. A rule names the roles that may use the route
and, where the route shows one organisation's results, which path parameter names it: the
viewer must see that organisation, else the answer is 404 (as if it did not exist).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from meting.store.models import Domain, Organisation, Test
from meting.web.accounts import PUBLIC, Viewer

COORDINATOR = frozenset({"coordinator"})
MEMBERS = frozenset({"coordinator", "umbrella", "organisation"})
ANYONE = frozenset({PUBLIC, *MEMBERS})
ACTORS = frozenset({"coordinator", "organisation"})  # who reacts, explains, asks re-tests


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: str | None = None  # path parameter naming what is shown: organisation_id,
    #                           domain, test_id or umbrella


RULES: dict[str, Rule] = {
    # signing in, language
    "login_form": Rule(ANYONE),
    "login": Rule(ANYONE),
    "logout": Rule(MEMBERS),
    "language": Rule(ANYONE),
    "password_form": Rule(MEMBERS),
    "password_change": Rule(MEMBERS),
    # pages
    "home": Rule(MEMBERS),
    "round_overview": Rule(MEMBERS),
    "organisation": Rule(MEMBERS, "organisation_id"),
    "domain": Rule(MEMBERS, "domain"),
    "evidence": Rule(MEMBERS, "test_id"),
    "compare": Rule(MEMBERS),
    "laggards": Rule(MEMBERS),
    "suppliers": Rule(MEMBERS),
    "monitor": Rule(COORDINATOR),
    "monitor_rounds": Rule(COORDINATOR),
    "round_start": Rule(COORDINATOR),
    "round_continue": Rule(COORDINATOR),
    "round_stop": Rule(COORDINATOR),
    "registry": Rule(COORDINATOR),
    "registry_preview": Rule(COORDINATOR),
    "registry_import": Rule(COORDINATOR),
    "candidates": Rule(COORDINATOR),  # discovery's candidates (issue 16)
    "candidates_decide": Rule(COORDINATOR),
    "downloads": Rule(MEMBERS),
    "round_report": Rule(COORDINATOR),
    "report_detail": Rule(MEMBERS),
    "organisation_report": Rule(MEMBERS, "organisation_id"),
    "parent_report": Rule(COORDINATOR),
    "umbrella_report": Rule(frozenset({"coordinator", "umbrella"}), "umbrella"),
    "shares": Rule(COORDINATOR),
    "share_create": Rule(COORDINATOR),
    "share_revoke": Rule(COORDINATOR),
    "shared_report": Rule(ANYONE),
    "shared_unlock": Rule(ANYONE),
    # the review of a round (issue 15): organisations act on their own domains only
    "reviews": Rule(MEMBERS),
    "review": Rule(MEMBERS),
    "review_open": Rule(COORDINATOR),
    "review_close": Rule(COORDINATOR),
    "reaction_submit": Rule(ACTORS, "organisation_id"),
    "reaction_decide": Rule(COORDINATOR),
    "explanation_submit": Rule(ACTORS, "domain"),
    "explanation_decide": Rule(COORDINATOR),
    "retest_request": Rule(ACTORS, "domain"),
    "organisation_changes": Rule(MEMBERS, "organisation_id"),
    "umbrella_changes": Rule(frozenset({"coordinator", "umbrella"}), "umbrella"),
    # the standards register and the annual monitor (issue 18)
    "standards": Rule(MEMBERS),
    "open_monitor": Rule(MEMBERS),
    # API
    "api_rounds": Rule(MEMBERS),
    "api_round": Rule(MEMBERS),
    "api_figures": Rule(MEMBERS),
    "api_organisations": Rule(MEMBERS),
    "api_organisation": Rule(MEMBERS, "organisation_id"),
    "api_domain": Rule(MEMBERS, "domain"),
    "api_compare": Rule(MEMBERS),
    "api_openapi": Rule(ANYONE),
}


class SignInNeeded(Exception):
    """An anonymous request for a page that needs an account: go to the login page."""


class PasswordChangeNeeded(Exception):
    """Signed in with a one-time password: choose a password first."""


# What a session with a one-time password may do before choosing its own.
BEFORE_PASSWORD_CHANGE = frozenset({"password_form", "password_change", "logout", "language",
                                    "login_form", "login"})


def viewer(request: Request) -> Viewer:
    found: Viewer = request.state.viewer
    return found


def authorise(request: Request) -> None:
    """The dependency every route has: its rule, the viewer's role, and the scope."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    rule = RULES.get(name or "")
    if rule is None:
        raise HTTPException(403, f"no access rule for route {name!r}")
    who = viewer(request)
    if who.role not in rule.roles:
        if not who.signed_in:
            raise SignInNeeded()
        raise HTTPException(403)
    if who.must_change_password and name not in BEFORE_PASSWORD_CHANGE:
        raise PasswordChangeNeeded()
    if rule.scope is not None and not who.sees_all:
        value = request.path_params.get(rule.scope)
        if rule.scope == "umbrella":
            if value != who.umbrella:
                raise HTTPException(404)
            return
        if value is None or not _in_scope(request, who, rule.scope, str(value)):
            raise HTTPException(404)


def _in_scope(request: Request, who: Viewer, scope: str, value: str) -> bool:
    sessions: sessionmaker = request.app.state.sessions  # type: ignore[type-arg]
    query = select(Organisation.id, Organisation.umbrella)
    if scope == "organisation_id":
        if not value.isdigit():
            return False
        query = query.where(Organisation.id == int(value))
    elif scope == "domain":
        query = query.join(Domain, Domain.organisation_id == Organisation.id).where(
            Domain.name == value.lower())
    elif scope == "test_id":
        if not value.isdigit():
            return False
        query = query.join(Domain, Domain.organisation_id == Organisation.id).join(
            Test, Test.domain_id == Domain.id).where(Test.id == int(value))
    else:
        return False
    with sessions() as session:
        row = session.execute(query).first()
    return row is not None and who.sees(row[0], row[1])
