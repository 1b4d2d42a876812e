"""SPEC §4's rule for mail-server columns of a domain without mail servers, in one place.

No MX at all: `info` (a Null MX, RFC 7505, is recommended); a correct Null MX: `not_tested`
(the domain says it takes no mail). Without mail servers there is nothing to change for
the standard itself, so the verdict says what to do about the MX records instead of the
column's usual advice (which would ask to set up what has no server to run on).
"""

from __future__ import annotations

from meting.checks.explain import advice_label
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
                   f"Het domein heeft geen mailserver (MX); {standard_nl} is niet getest. "
                   f"{advice_label('nl')} voor {standard_nl} niets. Ontvangt het domein wel "
                   "mail, publiceer dan MX-records voor de mailservers; ontvangt het geen mail, "
                   "publiceer dan een Null MX (RFC 7505).",
                   f"The domain has no mail server (MX); {standard_en} was not tested. "
                   f"{advice_label('en')} nothing for {standard_en}. If the domain does receive "
                   "mail, publish MX records for its mail servers; if it receives none, publish "
                   "a Null MX (RFC 7505).")
