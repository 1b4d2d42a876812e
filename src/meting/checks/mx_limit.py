"""Mail domains with more MX hosts than the probe tests (collect.MAX_MX).

The mail-server columns are judged on the most preferred MX hosts only; their
explanations say so and name the ones left untested (the evidence's ``mx_skipped``),
so that a reader does not take a pass for a verdict on every server.
"""

from __future__ import annotations

from dataclasses import replace

from meting.checks.verdict import Explanation, Verdict

MAIL_SERVER_COLUMNS = ("starttls", "starttls_ncsc", "dnssec_mx", "dane", "ipv6_mailserver",
                       "ipv6_mail", "rpki_mail")
NAMES_SHOWN = 3


def note_untested(results: dict[str, Verdict], tested: list[str],
                  skipped: list[str]) -> dict[str, Verdict]:
    """Add to each mail-server column which MX hosts were not tested, if any."""
    if not skipped:
        return results
    shown = ", ".join(skipped[:NAMES_SHOWN])
    more_nl = f" en {len(skipped) - NAMES_SHOWN} andere" if len(skipped) > NAMES_SHOWN else ""
    more_en = f" and {len(skipped) - NAMES_SHOWN} more" if len(skipped) > NAMES_SHOWN else ""
    nl = (f" Alleen de {len(tested)} mailservers (MX) met de hoogste voorkeur zijn getest; "
          f"niet getest ({len(skipped)}): {shown}{more_nl}.")
    en = (f" Only the {len(tested)} most preferred mail servers (MX) were tested; "
          f"not tested ({len(skipped)}): {shown}{more_en}.")
    return {key: with_note(v, nl, en) if key in MAIL_SERVER_COLUMNS else v
            for key, v in results.items()}


def with_note(v: Verdict, nl: str, en: str) -> Verdict:
    return replace(v, explanation=Explanation(v.explanation.nl + nl, v.explanation.en + en))
