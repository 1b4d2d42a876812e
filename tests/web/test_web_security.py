"""Security of the dashboard without a browser: its own security-header check passes over
HTTPS, cookies are HttpOnly/SameSite/Secure, CSRF is required, logins are rate-limited,
passwords are argon2 hashes, and the language switch is remembered."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from meting.checks import headers
from meting.evidence.models import HttpResponse
from meting.store.web_models import LoginFailure, User
from meting.web.accounts import MAX_FAILURES_ACCOUNT
from tests.web.conftest import client, csrf_of, signed_in
from tests.web.dashboard_data import ACCOUNTS, Dashboard


def as_evidence(answer: httpx.Response) -> HttpResponse:
    status = answer.status_code
    pairs = [(k, v) for k, v in answer.headers.multi_items()]
    return HttpResponse(address="127.0.0.1", host="testserver", port=443, tls=True, path="/",
                        status=status, headers=pairs, body="", body_bytes=0, truncated=False,
                        elapsed_ms=1.0, error=None)


def test_pages_pass_metings_own_security_headers_check_over_https(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator", https=True)
    overview = c.get(c.get("/").headers["location"])
    for answer in (c.get("/login"), overview, c.get("/api/v1/rounds"),
                   c.get(f"/rounds/{dashboard.rounds[1]}/report?format=html")):
        judged = headers.judge({"127.0.0.1": as_evidence(answer)})
        assert {name: str(v.status) for name, v in judged.items()} == {
            "http_x_frame": "passed", "http_x_content_type": "passed", "http_csp": "passed",
            "http_referrer_policy": "passed", "security_headers": "passed"}
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "script-src 'self'" in overview.headers["content-security-policy"]
    assert "unsafe-inline" not in overview.headers["content-security-policy"]


def test_no_hsts_over_plain_http(app: FastAPI) -> None:
    assert "strict-transport-security" not in client(app).get("/login").headers


def test_session_cookie_is_httponly_samesite_and_secure_behind_https(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = client(app, https=True)
    token = csrf_of(c.get("/login").text)
    answer = c.post("/login", data={"email": ACCOUNTS["umbrella"][0], "csrf": token,
                                    "password": dashboard.passwords["umbrella"]})
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("meting_session=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_login_without_or_with_a_wrong_csrf_token_is_refused(app: FastAPI,
                                                             dashboard: Dashboard) -> None:
    c = client(app)
    c.get("/login")
    form = {"email": ACCOUNTS["coordinator"][0], "password": dashboard.passwords["coordinator"]}
    assert c.post("/login", data=form).status_code == 403
    assert c.post("/login", data={**form, "csrf": "forged"}).status_code == 403
    assert "meting_session" not in c.cookies


def test_a_state_changing_request_needs_the_sessions_token(app: FastAPI,
                                                           dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")
    page = c.get("/shares")
    refused = c.post("/shares", data={"round_id": dashboard.rounds[1]})
    assert refused.status_code == 403 and 'data-reason="csrf"' in refused.text
    made = c.post("/shares", data={"round_id": dashboard.rounds[1], "csrf": csrf_of(page.text)})
    assert made.status_code == 200 and 'id="share-link"' in made.text
    by_header = c.post("/lang", data={"lang": "en"},
                       headers={"X-CSRF-Token": csrf_of(page.text)})
    assert by_header.status_code == 303


def test_logins_are_limited_per_account_then_even_the_right_password_is_refused(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = client(app)
    token = csrf_of(c.get("/login").text)
    email = ACCOUNTS["other_organisation"][0]
    for _ in range(MAX_FAILURES_ACCOUNT):
        wrong = c.post("/login", data={"email": email, "password": "fout", "csrf": token})
        assert wrong.status_code == 401 and 'id="problem"' in wrong.text
    right = c.post("/login", data={"email": email, "csrf": token,
                                   "password": dashboard.passwords["other_organisation"]})
    assert right.status_code == 429
    assert "meting_session" not in c.cookies
    with app.state.sessions.begin() as session:  # the window passes (for the other tests)
        for failure in session.scalars(select(LoginFailure)):
            session.delete(failure)


def test_passwords_are_stored_as_argon2_hashes(app: FastAPI, dashboard: Dashboard) -> None:
    with app.state.sessions() as session:
        stored = list(session.scalars(select(User.password_hash)))
    assert stored and all(h and h.startswith("$argon2id$") for h in stored)
    assert not any(dashboard.passwords["coordinator"] in (h or "") for h in stored)


def test_the_language_switch_is_remembered(app: FastAPI, dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")  # in the account's language, whatever it is
    token = csrf_of(c.get("/login").text)
    c.post("/lang", data={"lang": "nl", "next": "/login", "csrf": token})
    first = c.get("/login")
    assert 'lang="nl"' in first.text and "Inloggen" in first.text
    switched = c.post("/lang", data={"lang": "en", "next": "/login", "csrf": csrf_of(first.text)})
    assert "max-age=31536000" in switched.headers["set-cookie"].lower()
    again = c.get("/login")
    assert 'lang="en"' in again.text and "Sign in" in again.text
    c.post("/lang", data={"lang": "nl", "next": "/login", "csrf": token})  # as other tests expect


def test_the_next_page_after_login_stays_on_this_site(app: FastAPI,
                                                      dashboard: Dashboard) -> None:
    c = client(app)
    token = csrf_of(c.get("/login").text)
    answer = c.post("/login", data={"email": ACCOUNTS["umbrella"][0], "csrf": token,
                                    "password": dashboard.passwords["umbrella"],
                                    "next": "//evil.example/"})
    assert answer.headers["location"] == "/"


def test_a_one_time_password_must_be_replaced_before_anything_else(app: FastAPI) -> None:
    accounts = app.state.accounts
    once = accounts.add("nieuw@example.nl", "umbrella", umbrella="VNG")
    c = client(app)
    token = csrf_of(c.get("/login").text)
    signed = c.post("/login", data={"email": "nieuw@example.nl", "password": once,
                                    "csrf": token, "next": "/laggards"})
    assert signed.headers["location"] == "/laggards"
    assert c.get("/laggards").headers["location"] == "/account/password"
    assert c.get("/api/v1/rounds").status_code == 403
    form = c.get("/account/password")
    assert 'id="must-change"' in form.text
    token = csrf_of(form.text)
    short = c.post("/account/password", data={"csrf": token, "current": once, "new": "kort",
                                               "repeat": "kort"})
    assert short.status_code == 400 and 'id="problem"' in short.text
    for guessable in ("aaaaaaaaaaaa", "123456789012", "qwertyuiopas", "nieuw@example.nl1"):
        easy = c.post("/account/password", data={"csrf": token, "current": once,
                                                 "new": guessable, "repeat": guessable})
        assert easy.status_code == 400 and "te makkelijk te raden" in easy.text, guessable
    wrong = c.post("/account/password", data={"csrf": token, "current": "fout",
                                               "new": "een lang genoeg wachtwoord",
                                               "repeat": "een lang genoeg wachtwoord"})
    assert wrong.status_code == 400
    done = c.post("/account/password", data={"csrf": token, "current": once,
                                              "new": "een lang genoeg wachtwoord",
                                              "repeat": "een lang genoeg wachtwoord"})
    assert done.status_code == 303
    assert c.get("/laggards").status_code == 200


@pytest.mark.parametrize("days", ["0", "-1", "3651"])
def test_a_shared_link_with_an_impossible_lifetime_is_refused_not_made_endless(
        app: FastAPI, dashboard: Dashboard, days: str) -> None:
    c = signed_in(app, dashboard, "coordinator")
    before = c.get("/shares")
    refused = c.post("/shares", data={"round_id": dashboard.rounds[1], "days": days,
                                      "csrf": csrf_of(before.text)})
    assert refused.status_code == 400 and 'id="share-link"' not in refused.text
    assert "het aantal dagen moet tussen 1 en 3650 liggen" in refused.text
    assert refused.text.count("<tr>") == before.text.count("<tr>")  # no link added


@pytest.mark.parametrize(("path", "code"), [
    ("/organisations/abc", 404), ("/rounds/abc", 404), ("/laggards?round=abc", 400),
    ("/evidence/abc.json", 404)])
def test_a_value_a_page_cannot_read_gives_the_error_page_not_json(
        app: FastAPI, dashboard: Dashboard, path: str, code: int) -> None:
    answer = signed_in(app, dashboard, "organisation").get(path)
    assert answer.status_code == code
    assert answer.headers["content-type"].startswith("text/html")
    assert 'id="error"' in answer.text and "int_parsing" not in answer.text
    api = signed_in(app, dashboard, "coordinator").get("/api/v1/organisations/abc")
    assert api.status_code == 422 and api.json()["detail"][0]["type"] == "int_parsing"
