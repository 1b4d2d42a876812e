"""A real store for the dashboard tests without the lab: a registry of three organisations,
two finished rounds whose results are stored as a runner stores them (statuses, explanations
and evidence through ``Store.save_result``), accounts of every role and a shared link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meting.registry.entry import ListEntry
from meting.store import Store
from meting.store.web_models import Share
from meting.web.accounts import Accounts, digest

WEB = ("dnssec", "tls_available", "tls_ncsc_web", "https_redirect", "hsts")
MAIL = ("dmarc", "dkim", "spf", "dmarc_policy", "spf_policy", "starttls", "starttls_ncsc",
        "dnssec_mx", "dane")
ORGANISATIONS = {  # name: (category, umbrella, domain)
    "Gemeente Aa": ("gemeente", "VNG", "aa.nl"),
    "Gemeente Bee": ("gemeente", "VNG", "bee.nl"),
    "Ministerie Cee": ("rijk", "CIO Rijk", "cee.nl"),
}
SHARE_KEY = "gedeelde-link-sleutel-voor-de-test"
SHARE_PASSWORD = "deelwachtwoord"
# role name in the tests -> (email, role, organisation, umbrella)
ACCOUNTS = {
    "coordinator": ("coordinator@example.nl", "coordinator", None, None),
    "umbrella": ("vng@example.nl", "umbrella", None, "VNG"),
    "organisation": ("aa@example.nl", "organisation", "Gemeente Aa", None),
    "other_organisation": ("cee@example.nl", "organisation", "Ministerie Cee", None),
}


@dataclass(frozen=True)
class Dashboard:
    url: str  # database URL
    passwords: dict[str, str]  # test role -> password
    tokens: dict[str, str]  # test role -> API token
    rounds: tuple[int, int]


def entries(extra: dict[str, tuple[str, str, str]] | None = None) -> list[ListEntry]:
    found = []
    for line, (name, (category, umbrella, domain)) in enumerate(
            {**ORGANISATIONS, **(extra or {})}.items(), start=2):
        found.append(ListEntry(line=line, organisation=name, category=category, domain=domain,
                               web=True, web_host=None, mail=True, umbrella=umbrella,
                               provider=None, sets=("kern",)))
    return found


def judged(kind: str, passing: bool) -> dict[str, Any]:
    columns = WEB if kind == "web" else MAIL
    status = "passed" if passing else "failed"
    text = {"nl": f"Toelichting {status}", "en": f"Explanation {status}"}
    return {"columns": {c: {"status": status if c != "dnssec" else "passed",
                            "explanation": text} for c in columns},
            "subtests": {"dnssec_exists": {"status": "passed", "explanation": text}}}


def evidence(kind: str, domain: str) -> dict[str, Any]:
    if kind == "mail":
        return {"mx": [{"name": f"mx.{domain}"}], "nameservers": [{"name": f"ns1.{domain}"}]}
    return {"host": {"a": {"rcode": "NOERROR", "answers": ["192.0.2.10"]}},
            "nameservers": [{"name": f"ns1.{domain}"}]}


def add_round(store: Store, label: str, day: dt.date, failing: set[str]) -> int:
    round_id = store.create_round(None, "current", label, date=day)
    store.plan_round(round_id)
    store.set_round_state(round_id, "running")
    for test in store.pending_tests(round_id):
        store.save_result(test.test_id, evidence(test.kind, test.domain),
                          judged(test.kind, test.domain not in failing))
    store.set_round_state(round_id, "finished")
    return round_id


def build(path: Path) -> Dashboard:
    url = f"sqlite:///{path}"
    with Store.open(url) as store:
        store.import_entries(entries())
        first = add_round(store, "2025-03", dt.date(2025, 3, 1), {"aa.nl", "bee.nl"})
        second = add_round(store, "2025-09", dt.date(2025, 9, 1), {"bee.nl"})
        accounts = Accounts(store)
        passwords, tokens = {}, {}
        for name, (email, role, organisation, umbrella) in ACCOUNTS.items():
            once = accounts.add(email, role, [organisation] if organisation else [], umbrella)
            passwords[name] = f"eigen wachtwoord van {name}"
            accounts.set_password(email, once, passwords[name])
            tokens[name] = accounts.new_token(email)
        with accounts.sessions.begin() as session:
            session.add(Share(key_hash=digest(SHARE_KEY), round_id=second,
                              created_at=dt.datetime.now(dt.UTC)))
    return Dashboard(url, passwords, tokens, (first, second))

