"""DANE for mail (SPEC §4: dane; subtests dane_exists, dane_valid, dane_rollover).

Evidence per MX entry: ``tlsa`` (the DnsAnswer for ``_25._tcp.<mx>``) and
``starttls`` (``{address: scan}``, each scan with ``connected``, ``starttls_offered``,
``handshake_error`` and ``chain``: base64 DER certificates as presented, leaf first).

Choices (SPEC is silent; also in the scenario catalogue's header):
- TLSA in an unsigned zone counts as absent (RFC 7672 §2.2): dane_exists failed,
  dane_valid not_tested; bogus TLSA: dane_exists passed, dane_valid failed (as dnssec);
- no address of an MX answers: unreachable; an address that answers without
  STARTTLS: failed (a DANE sender will not deliver there);
- dane_rollover (a recommendation, as at Internet.nl): passed when the TLSA set has
  both a DANE-TA and a DANE-EE record, or a usable record besides the matching ones
  (a published next key or CA); without such a scheme: info, never failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from meting.checks import no_mx
from meting.checks.dane_match import (
    DANE_EE,
    DANE_TA,
    Tlsa,
    Unusable,
    chain_matches,
    load_chain,
    matches_chain,
    split_records,
)
from meting.checks.explain import plain
from meting.checks.verdict import NO_RESULT, Status, Verdict, verdict, worst
from meting.evidence.models import DnsAnswer, MxHost, TlsScan

SUBTESTS = ("dane_exists", "dane_valid", "dane_rollover", "dane")


@dataclass(frozen=True)
class MxDane:
    """What DANE needs of one MX, read from its evidence."""

    name: str
    tlsa: DnsAnswer
    usable: list[Tlsa]
    unusable: list[Unusable]
    scans: dict[str, TlsScan]

    @classmethod
    def of(cls, entry: MxHost) -> MxDane:
        usable, unusable = split_records(entry.tlsa.answers)
        return cls(entry.name, entry.tlsa, usable, unusable, dict(entry.starttls))

    @property
    def owner(self) -> str:
        return f"_25._tcp.{self.name}"

    @property
    def connected(self) -> dict[str, TlsScan]:
        """Addresses that answered SMTP (a greeting and EHLO: STARTTLS offered or not)."""
        return {a: s for a, s in self.scans.items()
                if s.connected and s.starttls_offered is not None}

    @property
    def without_starttls(self) -> list[str]:
        return sorted(a for a, s in self.connected.items() if s.starttls_offered is False)

    def mismatches(self) -> dict[str, str]:
        """Per answering address, why its chain is not DANE-valid (empty: all match)."""
        found: dict[str, str] = {}
        for address, scan in sorted(self.connected.items()):
            chain = load_chain(scan.chain)
            if not chain:
                found[address] = scan.handshake_error or "no certificate"
            elif not chain_matches(self.usable, chain):
                found[address] = "mismatch"
        return found


def dane_valid_hosts(mx_entries: list[MxHost]) -> set[str]:
    """MX names whose DNSSEC-secure TLSA matches the chain on every answering address."""
    return {e.name for e in mx_entries if host_is_valid(MxDane.of(e))}


def host_is_valid(mx: MxDane) -> bool:
    return (mx.tlsa.security == "secure" and bool(mx.usable) and bool(mx.connected)
            and not mx.without_starttls and not mx.mismatches())


def judge(mx_entries: list[MxHost], null_mx: bool,
          starttls: Verdict | None = None) -> dict[str, Verdict]:
    """The DANE subtests and column over every MX; ``starttls`` (the column) cascades
    when it has no result (SPEC §4: unreachable STARTTLS gives unreachable DANE)."""
    if null_mx or not mx_entries:
        return no_mail_servers(null_mx)
    per_mx = [judge_mx(MxDane.of(e)) for e in mx_entries]
    results = {k: combine([r[k] for r in per_mx]) for k in SUBTESTS}
    if starttls is not None and starttls.status in NO_RESULT:
        results["dane"] = verdict(starttls.status,
                                  "STARTTLS kon niet getest worden, DANE dus ook niet: "
                                  + starttls.explanation.nl,
                                  "STARTTLS could not be tested, so neither could DANE: "
                                  + starttls.explanation.en)
    return results


def no_mail_servers(null_mx: bool) -> dict[str, Verdict]:
    return dict.fromkeys(SUBTESTS, no_mx.no_mail_servers(null_mx, "DANE", "DANE"))


def judge_mx(mx: MxDane) -> dict[str, Verdict]:
    exists = dane_exists(mx)
    valid = dane_valid(mx, exists)
    return {"dane_exists": exists, "dane_valid": valid,
            "dane_rollover": dane_rollover(mx, valid), "dane": column(mx, exists, valid)}


def column(mx: MxDane, exists: Verdict, valid: Verdict) -> Verdict:
    if exists.status == Status.ERROR:
        return exists
    if not mx.connected or mx.without_starttls:
        return starttls_missing(mx)
    return valid if exists.status == Status.PASSED else exists


def dane_exists(mx: MxDane) -> Verdict:
    if not mx.tlsa.ok:
        cause = plain(mx.tlsa.error or mx.tlsa.rcode)
        return verdict(Status.ERROR, f"Geen antwoord uit DNS voor {mx.owner} ({cause.nl}); "
                       "geen resultaat.",
                       f"No answer from DNS for {mx.owner} ({cause.en}); no result.")
    if not mx.tlsa.answers:
        return verdict(Status.FAILED,
                       f"{mx.name} publiceert geen TLSA-records ({mx.owner}). Publiceer een "
                       "TLSA-record (bijvoorbeeld 3 1 1 met de SHA-256 van de publieke sleutel) "
                       "in een met DNSSEC ondertekende zone.",
                       f"{mx.name} publishes no TLSA records ({mx.owner}). Publish a TLSA "
                       "record (e.g. 3 1 1 with the SHA-256 of the public key) in a "
                       "DNSSEC-signed zone.")
    if mx.tlsa.security == "insecure":
        return verdict(Status.FAILED,
                       f"{mx.owner} heeft TLSA-records, maar de zone is niet met DNSSEC "
                       "ondertekend: verzenders negeren ze. Onderteken de zone van de MX.",
                       f"{mx.owner} has TLSA records, but the zone is not DNSSEC-signed: "
                       "senders ignore them. Sign the MX's zone.")
    return verdict(Status.PASSED, f"{mx.name} publiceert TLSA-records met DNSSEC.",
                   f"{mx.name} publishes TLSA records with DNSSEC.")


def dane_valid(mx: MxDane, exists: Verdict) -> Verdict:
    if exists.status == Status.ERROR:
        return exists
    if exists.status != Status.PASSED:
        return verdict(Status.NOT_TESTED,
                       f"Geen bruikbare TLSA-records voor {mx.name}; geldigheid niet getest.",
                       f"No usable TLSA records for {mx.name}; validity not tested.")
    if mx.tlsa.security == "bogus":
        return verdict(Status.FAILED,
                       f"De DNSSEC-handtekeningen van {mx.owner} zijn ongeldig (bogus): "
                       "verzenders met DANE stellen bezorging uit. Herstel de ondertekening.",
                       f"The DNSSEC signatures of {mx.owner} do not validate (bogus): DANE "
                       "senders defer delivery. Repair the signing.")
    if not mx.connected or mx.without_starttls:
        return starttls_missing(mx)
    if not mx.usable:
        return no_usable_records(mx)
    wrong = mx.mismatches()
    if wrong:
        return mismatch(mx, wrong)
    nl, en = ignored(mx.unusable)
    return verdict(Status.PASSED,
                   f"De TLSA-records van {mx.name} passen bij het certificaat op elk adres.{nl}",
                   f"The TLSA records of {mx.name} match the certificate on every address.{en}")


def starttls_missing(mx: MxDane) -> Verdict:
    if not mx.connected:
        return verdict(Status.UNREACHABLE,
                       f"{mx.name} was niet bereikbaar over SMTP; DANE niet getest.",
                       f"{mx.name} could not be reached over SMTP; DANE not tested.")
    addrs = ", ".join(mx.without_starttls)
    return verdict(Status.FAILED,
                   f"{mx.name} biedt geen STARTTLS aan ({addrs}); zonder TLS kan DANE niet "
                   "werken en bezorgen verzenders met DANE er niet. Zet STARTTLS aan.",
                   f"{mx.name} offers no STARTTLS ({addrs}); DANE cannot work without TLS and "
                   "DANE senders will not deliver there. Enable STARTTLS.")


def no_usable_records(mx: MxDane) -> Verdict:
    nl, en = ignored(mx.unusable)
    return verdict(Status.FAILED,
                   f"Geen enkel TLSA-record van {mx.name} is bruikbaar voor SMTP.{nl} Publiceer "
                   "een record met usage 3 (DANE-EE) of 2 (DANE-TA).",
                   f"None of the TLSA records of {mx.name} is usable for SMTP.{en} Publish a "
                   "record with usage 3 (DANE-EE) or 2 (DANE-TA).")


def mismatch(mx: MxDane, wrong: dict[str, str]) -> Verdict:
    parts = [f"{a} ({why})" if why != "mismatch" else a for a, why in wrong.items()]
    where = ", ".join(parts)
    return verdict(Status.FAILED,
                   f"De TLSA-records van {mx.name} passen niet bij het certificaat op {where}: "
                   "verzenders met DANE bezorgen daar geen mail. Publiceer TLSA-records van "
                   "het huidige certificaat (of de CA) vóór een certificaatwissel.",
                   f"The TLSA records of {mx.name} do not match the certificate on {where}: "
                   "DANE senders will not deliver mail there. Publish TLSA records of the "
                   "current certificate (or its CA) before a certificate change.")


def ignored(unusable: Sequence[Unusable]) -> tuple[str, str]:
    """Sentences naming the records left aside and why (empty when there are none)."""
    if not unusable:
        return "", ""
    nl = "; ".join(f"'{u.rdata}': {u.reason_nl}" for u in unusable)
    en = "; ".join(f"'{u.rdata}': {u.reason_en}" for u in unusable)
    return f" Genegeerd: {nl}.", f" Ignored: {en}."


def dane_rollover(mx: MxDane, valid: Verdict) -> Verdict:
    if valid.status != Status.PASSED:
        return verdict(Status.NOT_TESTED,
                       f"DANE van {mx.name} is niet geldig; wisselschema niet getest.",
                       f"DANE of {mx.name} is not valid; rollover scheme not tested.")
    if has_rollover_scheme(mx):
        return verdict(Status.PASSED,
                       f"{mx.name} heeft een wisselschema in zijn TLSA-records: een "
                       "certificaatwissel breekt DANE niet.",
                       f"{mx.name} has a rollover scheme in its TLSA records: a certificate "
                       "change does not break DANE.")
    return verdict(Status.INFO,
                   f"{mx.name} heeft geen wisselschema in zijn TLSA-records. Aanbevolen: "
                   "naast 3 1 1 ook 2 1 1 (de CA), of ook een 3 1 1 van de volgende sleutel.",
                   f"{mx.name} has no rollover scheme in its TLSA records. Recommended: "
                   "besides 3 1 1 also 2 1 1 (the CA), or also a 3 1 1 of the next key.")


def has_rollover_scheme(mx: MxDane) -> bool:
    usages = {r.usage for r in mx.usable}
    if {DANE_TA, DANE_EE} <= usages:
        return True
    chains = [c for s in mx.connected.values() if (c := load_chain(s.chain))]
    return any(not any(matches_chain(r, c) for c in chains) for r in mx.usable)


def combine(verdicts: list[Verdict]) -> Verdict:
    """One verdict over every MX (verdict.worst: a failure wins over no result), with every
    MX's explanation."""
    status = worst(v.status for v in verdicts)
    return verdict(status, " ".join(v.explanation.nl for v in verdicts),
                   " ".join(v.explanation.en for v in verdicts))
