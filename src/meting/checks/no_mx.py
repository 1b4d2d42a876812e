"""SPEC §4's rule for mail-server columns of a domain without mail servers, in one place.

No MX at all: `info` (a Null MX, RFC 7505, is recommended); a correct Null MX: `not_tested`
(the domain says it takes no mail).
"""

from __future__ import annotations

from meting.checks.verdict import Status, Verdict, verdict


def no_mail_servers(null_mx: bool, standard_nl: str, standard_en: str) -> Verdict:
    """The verdict for the mail-server checks of ``standard`` when there is no MX to test."""
    if null_mx:
        return verdict(Status.NOT_TESTED,
                       f"Het domein heeft een Null MX (RFC 7505): het ontvangt geen mail; "
                       f"{standard_nl} is niet getest.",
                       f"The domain has a Null MX (RFC 7505): it receives no mail; "
                       f"{standard_en} was not tested.")
    return verdict(Status.INFO,
                   f"Het domein heeft geen mailserver (MX); {standard_nl} is niet getest. Een "
                   "Null MX (RFC 7505) wordt aangeraden als het domein geen mail ontvangt.",
                   f"The domain has no mail server (MX); {standard_en} was not tested. A Null "
                   "MX (RFC 7505) is recommended when the domain receives no mail.")
