"""The parts of `meting internetnl` and `meting compare` that need no server: the password
kept out of sight, the client's refusals, Internet.nl's explanations, the agreement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from meting.analysis.agreement import agreement
from meting.errors import InputError
from meting.internetnl import details
from meting.internetnl.api import BatchClient, Secret
from meting.settings import Settings
from tests import internetnl_standin as standin


def test_the_password_is_in_no_repr() -> None:
    secret = "zeer-geheim-17"
    assert secret not in repr(Settings(internetnl_password=secret))
    assert secret not in repr(Secret(secret)) and secret not in str(Secret(secret))
    assert Secret(secret).reveal() == secret


@pytest.mark.parametrize(("url", "user", "password", "problem"), [
    ("batch.internet.nl", "u", "p", "not an http(s) URL"),
    ("https://batch.example/api/batch/v2", "", "p", "needs a user and a password"),
    ("https://batch.example/api/batch/v2", "u", "", "needs a user and a password"),
])
def test_the_client_refuses_settings_it_cannot_use(url: str, user: str, password: str,
                                                   problem: str) -> None:
    with pytest.raises(InputError, match=re.escape(problem)):
        BatchClient(url, user, Secret(password))


def test_a_request_id_is_checked_before_it_goes_into_a_path() -> None:
    with BatchClient("http://127.0.0.1:9/api/batch/v2", "u", Secret("p")) as api, \
            pytest.raises(InputError, match=r"not an Internet\.nl request id"):
        api.status("../../admin")


def test_explanations_name_the_tests_and_the_technical_details() -> None:
    domain = next(f"www.d{n}.nl" for n in range(1000)
                  if standin.truth(f"www.d{n}.nl", "web").get("hsts") == "failed")
    said = details.explanations("web", standin.result(domain, "web"),
                                standin.technical(domain, "web"))
    assert said["hsts"]["nl"].startswith("Internet.nl-tests: web_https_http_hsts failed")
    assert 'webservers.ipv4.details.hsts="no"' in said["hsts"]["nl"]
    assert "technical details:" in said["hsts"]["en"] and "technische" not in said["hsts"]["en"]
    assert said["ipv6_web"]["en"].startswith("Internet.nl tests: web_ipv6 ")
    failed = details.explanations("mail", {"status": "error"}, {})
    assert failed["dane"] == {"nl": "Internet.nl: status error", "en": "Internet.nl: status error"}


@dataclass(frozen=True)
class Row:
    domain: str
    kind: str
    columns: dict[str, str]
    explanations: dict[str, Any] = field(default_factory=dict)


def test_agreement_counts_same_statuses_and_keeps_both_explanations() -> None:
    a = [Row("a.nl", "web", {"hsts": "passed", "dnssec": "failed"},
             {"hsts": {"nl": "meting: ja", "en": "meting: yes"}}),
         Row("b.nl", "web", {"hsts": "warning", "dnssec": "failed"}),
         Row("c.nl", "mail", {"dane": "passed"})]
    b = [Row("a.nl", "web", {"hsts": "failed", "dnssec": "failed"},
             {"hsts": {"nl": "Internet.nl: nee", "en": "Internet.nl: no"}}),
         Row("b.nl", "web", {"hsts": "warning"}),
         Row("d.nl", "mail", {"dane": "passed"})]
    found = agreement("A", a, "B", b)
    figures = {(c.kind, c.column): (c.compared, c.agreeing) for c in found.columns}
    assert figures == {("web", "dnssec"): (1, 1), ("web", "hsts"): (2, 1)}
    assert (found.only_a, found.only_b) == (1, 1)
    [differ] = found.disagreements
    assert differ.to_json("en") == {
        "domain": "a.nl", "kind": "web", "column": "hsts", "status_a": "passed",
        "status_b": "failed", "explanation_a": "meting: yes",
        "explanation_b": "Internet.nl: no"}
    assert found.to_json("nl")["agreement"][1]["rate"] == 50.0
