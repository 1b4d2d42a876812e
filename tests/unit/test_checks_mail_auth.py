"""SPF, DMARC and DKIM verdicts from recorded DNS answers (validated by the evidence's
model before they are judged)."""

from __future__ import annotations

from typing import Any

import pytest

from meting.checks import mail_auth
from meting.checks.verdict import Verdict
from meting.evidence.models import MailAuth
from meting.probe.evidence import DnsAnswer
from tests.unit.recorded import as_model

DOMAIN = "gemeente.nl"


def answer(name: str, rcode: str = "NOERROR", txt: tuple[str, ...] = (),
           security: str = "secure") -> dict[str, Any]:
    rdata = tuple('"' + t + '"' for t in txt)
    return DnsAnswer(name, "TXT", "198.18.0.11", rcode, security == "secure", False, rdata,
                     1.0, None if rcode != "SERVFAIL" else "SERVFAIL", security).to_dict()  # type: ignore[arg-type]


def evidence(spf: tuple[str, ...] = ("v=spf1 include:spf.host.nl -all",),
             dmarc: dict[str, tuple[str, ...]] | None = None, dkim: str = "NOERROR",
             tree: dict[str, list[str]] | None = None) -> dict[str, Any]:
    dmarc = {f"_dmarc.{DOMAIN}": ("v=DMARC1; p=reject",)} if dmarc is None else dmarc
    records = {DOMAIN: list(spf), "spf.host.nl": ["v=spf1 ip4:198.18.1.0/24 -all"],
               **(tree or {})}
    return {"txt": answer(DOMAIN, txt=spf),
            "spf_tree": {"records": records, "answers": {}},
            "dmarc": [answer(n, "NOERROR" if t else "NXDOMAIN", t) for n, t in dmarc.items()],
            "domainkey": answer(f"_domainkey.{DOMAIN}", dkim)}


def judge(domain: str, ev: dict[str, Any]) -> dict[str, Verdict]:
    return mail_auth.judge(domain, as_model(MailAuth, ev))


def statuses(ev: dict[str, Any], domain: str = DOMAIN) -> dict[str, str]:
    return {k: str(v.status) for k, v in judge(domain, ev).items()}


def test_everything_right() -> None:
    assert set(statuses(evidence()).values()) == {"passed"}


@pytest.mark.parametrize(("spf", "spf_status", "policy_status"), [
    (("v=spf1 include:spf.host.nl ~all",), "passed", "passed"),
    (("v=spf1 include:spf.host.nl ?all",), "passed", "failed"),
    (("v=spf1 include:spf.host.nl +all",), "passed", "failed"),
    (("v=spf1 include:spf.host.nl",), "passed", "failed"),
    (("v=spf1 -all", "v=spf1 mx -all"), "failed", "failed"),
    ((), "failed", "failed"),
    (("v=spf1 ip4:300.1.1.1 -all",), "passed", "failed"),
])
def test_spf(spf: tuple[str, ...], spf_status: str, policy_status: str) -> None:
    result = statuses(evidence(spf=spf))
    assert (result["spf"], result["spf_policy"]) == (spf_status, policy_status)


def test_spf_over_ten_lookups_fails_the_policy() -> None:
    terms = " ".join(f"a:h{i}.host.nl" for i in range(11))
    assert statuses(evidence(spf=(f"v=spf1 {terms} -all",)))["spf_policy"] == "failed"


def test_spf_redirect_gives_the_policy() -> None:
    ev = evidence(spf=("v=spf1 redirect=_spf.host.nl",),
                  tree={"_spf.host.nl": ["v=spf1 ip4:198.18.1.0/24 -all"]})
    assert statuses(ev)["spf_policy"] == "passed"


@pytest.mark.parametrize(("dmarc", "dmarc_status", "policy_status"), [
    ({f"_dmarc.{DOMAIN}": ("v=DMARC1; p=quarantine",)}, "passed", "passed"),
    ({f"_dmarc.{DOMAIN}": ("v=DMARC1; p=none",)}, "passed", "failed"),
    ({f"_dmarc.{DOMAIN}": ()}, "failed", "failed"),
    ({f"_dmarc.{DOMAIN}": ("v=DMARC1; p=reject", "v=DMARC1; p=none")}, "failed", "failed"),
    ({f"_dmarc.{DOMAIN}": ("v=DMARC1; p=rejekt",)}, "passed", "failed"),
])
def test_dmarc(dmarc: dict[str, tuple[str, ...]], dmarc_status: str, policy_status: str) -> None:
    result = statuses(evidence(dmarc=dmarc))
    assert (result["dmarc"], result["dmarc_policy"]) == (dmarc_status, policy_status)


def test_dmarc_at_the_organisational_domain_uses_sp() -> None:
    sub = f"post.{DOMAIN}"
    ev = evidence(dmarc={f"_dmarc.{sub}": (), f"_dmarc.{DOMAIN}": ("v=DMARC1; p=reject; sp=none",)})
    result = statuses(ev, domain=sub)
    assert (result["dmarc"], result["dmarc_policy"]) == ("passed", "failed")


def test_dkim() -> None:
    assert statuses(evidence(dkim="NXDOMAIN"))["dkim"] == "failed"
    non_sending = evidence(spf=("v=spf1 -all",), dkim="NXDOMAIN")
    assert statuses(non_sending)["dkim"] == "not_applicable"
    # -all with mechanisms is a sending domain: DKIM is judged
    assert statuses(evidence(spf=("v=spf1 mx -all",), dkim="NXDOMAIN"))["dkim"] == "failed"


def test_no_answer_at_the_domain_is_an_error_for_spf_only() -> None:
    ev = evidence()
    ev["txt"] = answer(DOMAIN, "SERVFAIL", security="error")
    assert statuses(ev) == {"spf": "error", "spf_policy": "error", "dmarc": "passed",
                            "dmarc_policy": "passed", "dkim": "passed"}
    ev = evidence(dkim="NXDOMAIN")  # p=reject: without SPF a non-sending domain is possible
    ev["txt"] = answer(DOMAIN, "SERVFAIL", security="error")
    assert statuses(ev)["dkim"] == "error"
    ev = evidence(dmarc={f"_dmarc.{DOMAIN}": ("v=DMARC1; p=none",)}, dkim="NXDOMAIN")
    ev["txt"] = answer(DOMAIN, "SERVFAIL", security="error")
    assert statuses(ev)["dkim"] == "failed"


def test_no_answer_at_dmarc_is_an_error_and_the_organisational_domain_is_not_asked() -> None:
    org = "_dmarc.nl-org.nl"
    ev = evidence(spf=("v=spf1 -all",), dkim="NXDOMAIN")
    ev["dmarc"] = [answer(f"_dmarc.{DOMAIN}", "SERVFAIL", security="error"),
                   answer(org, txt=("v=DMARC1; p=none",))]
    judged = judge(DOMAIN, ev)
    assert {k: str(judged[k].status) for k in ("dmarc", "dmarc_policy", "dkim")} == {
        "dmarc": "error", "dmarc_policy": "error", "dkim": "error"}
    assert f"_dmarc.{DOMAIN}" in judged["dmarc"].explanation.en
    ev["dmarc"] = [answer(f"_dmarc.{DOMAIN}", "", security="error")]
    assert statuses(ev)["dmarc"] == "error"


def test_an_include_without_an_answer_is_an_error_not_a_missing_include() -> None:
    ev = evidence()
    ev["spf_tree"]["records"]["spf.host.nl"] = []
    ev["spf_tree"]["answers"]["spf.host.nl"] = answer("spf.host.nl", "", security="error")
    judged = judge(DOMAIN, ev)
    assert (str(judged["spf"].status), str(judged["spf_policy"].status)) == ("passed", "error")
    assert "spf.host.nl" in judged["spf_policy"].explanation.en
    # a policy that fails whatever the include says still fails
    ev = evidence(spf=("v=spf1 include:spf.host.nl ?all",))
    ev["spf_tree"]["records"]["spf.host.nl"] = []
    ev["spf_tree"]["answers"]["spf.host.nl"] = answer("spf.host.nl", "", security="error")
    assert statuses(ev)["spf_policy"] == "failed"
