"""Mail-server columns say which MX hosts beyond the tested ones were left out."""

from __future__ import annotations

from meting.checks.mx_limit import MAIL_SERVER_COLUMNS, note_untested
from meting.checks.verdict import Status, Verdict, verdict

TESTED = [f"mx{n:02d}.x.nl" for n in range(1, 11)]
SKIPPED = [f"mx{n:02d}.x.nl" for n in range(11, 51)]


def results() -> dict[str, Verdict]:
    return {"dnssec_mx": verdict(Status.PASSED, "Ondertekend.", "Signed."),
            "ipv6_mailserver": verdict(Status.FAILED, "Geen AAAA.", "No AAAA."),
            "spf": verdict(Status.PASSED, "SPF gevonden.", "SPF found.")}


def test_mail_server_columns_name_the_untested_hosts() -> None:
    noted = note_untested(results(), TESTED, SKIPPED)
    for column in ("dnssec_mx", "ipv6_mailserver"):
        assert column in MAIL_SERVER_COLUMNS
        en = noted[column].explanation.en
        assert "Only the 10 most preferred mail servers (MX) were tested; not tested (40)" in en
        assert "mx11.x.nl, mx12.x.nl, mx13.x.nl and 37 more." in en
        assert "niet getest (40): mx11.x.nl" in noted[column].explanation.nl
    assert noted["dnssec_mx"].status == Status.PASSED
    assert noted["ipv6_mailserver"].status == Status.FAILED
    assert noted["spf"] == results()["spf"]  # not about the mail servers


def test_nothing_changes_when_every_mx_was_tested() -> None:
    assert note_untested(results(), TESTED, []) == results()


def test_a_few_untested_hosts_are_all_named() -> None:
    noted = note_untested(results(), TESTED, ["mx11.x.nl"])
    assert noted["dnssec_mx"].explanation.en.endswith("not tested (1): mx11.x.nl.")
