"""`meting norms list|show|check`: the norm versions and what each says (Dutch by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from meting import norms
from meting.norms.schema import NormFile, SizeRow, SuiteRule

app = typer.Typer(help="The norm versions that judge TLS and HSTS (norms/versions/*.yaml).",
                  no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
Lang = Annotated[str, typer.Option("--lang", help="nl (default) or en")]

CLASS = {"nl": {"good": "goed", "sufficient": "voldoende", "phase_out": "uit te faseren",
                "insufficient": "onvoldoende"},
         "en": {"good": "good", "sufficient": "sufficient", "phase_out": "phase out",
                "insufficient": "insufficient"}}
WORDS = {
    "nl": {"version": "versie", "published": "gepubliceerd als", "default": "standaard",
           "from": "geldig vanaf", "says": "wat de norm zegt", "hsts": "HSTS: max-age minstens",
           "days": "dagen", "versions": "TLS-versies", "ciphers": "Algoritmeselecties "
           "(cipher suites; de eerste passende regel beslist)", "else": "alle andere",
           "groups": "Groepen (ECDHE)",
           "ffdhe": "FFDHE-groepen (RFC 7919)", "custom": "andere priemgetallen",
           "kex_hash": "Hashfunctie sleuteluitwisseling", "elements": "Overige onderdelen",
           "cert_pubkey": "Sleutel van het certificaat", "cert_signature_hash":
           "Handtekening van het certificaat", "optional": "Optioneel (status bij ontbreken)",
           "mail": "Mailcertificaat zonder DANE", "sources": "Bronnen", "bits": "bits",
           "any": "elke", "ec": "EC-curven", "ed": "Ed25519/Ed448",
           "other": "overige", "ok": "voldoet aan het schema",
           "compression": "TLS-compressie aan",
           "secure_renegotiation_missing": "geen veilige heronderhandeling",
           "client_renegotiation": "heronderhandeling door de client toegestaan",
           "zero_rtt": "0-RTT geaccepteerd",
           "extended_master_secret_missing": "geen Extended Master Secret (TLS 1.2)",
           "cipher_order_missing": "geen eigen volgorde van cipher suites (TLS 1.2)",
           "cert_trust_without_dane": "niet vertrouwd",
           "cert_hostmatch_without_dane": "naam klopt niet"},
    "en": {"version": "version", "published": "published as", "default": "default",
           "from": "valid from", "says": "what the norm says", "hsts": "HSTS: max-age at least",
           "days": "days", "versions": "TLS versions", "ciphers": "Cipher suites (the first "
           "matching rule decides)", "else": "any other", "groups": "Groups (ECDHE)",
           "ffdhe": "FFDHE groups (RFC 7919)", "custom": "other primes",
           "kex_hash": "Hash function for key exchange", "elements": "Other parts",
           "cert_pubkey": "Certificate key", "cert_signature_hash":
           "Certificate signature", "optional": "Optional (status when missing)",
           "mail": "Mail certificate without DANE", "sources": "Sources", "bits": "bits",
           "any": "any", "ec": "EC curves", "ed": "Ed25519/Ed448",
           "other": "other", "ok": "follows the schema",
           "compression": "TLS compression on",
           "secure_renegotiation_missing": "no secure renegotiation",
           "client_renegotiation": "client-initiated renegotiation allowed",
           "zero_rtt": "0-RTT accepted",
           "extended_master_secret_missing": "no Extended Master Secret (TLS 1.2)",
           "cipher_order_missing": "no server cipher order (TLS 1.2)",
           "cert_trust_without_dane": "not trusted",
           "cert_hostmatch_without_dane": "name does not match"},
}
PROPERTY = {"nl": {"kex": "sleuteluitwisseling", "auth": "authenticatie",
                    "cipher": "versleuteling", "mac": "integriteit (MAC)"},
            "en": {"kex": "key exchange", "auth": "authentication", "cipher": "cipher",
                   "mac": "integrity (MAC)"}}
ELEMENTS = ("compression", "secure_renegotiation_missing", "client_renegotiation", "zero_rtt",
            "extended_master_secret_missing", "cipher_order_missing")


def language(lang: str) -> str:
    if lang not in WORDS:
        errors.print(f"[bold red]error:[/] --lang: expected nl or en, found {lang!r}")
        raise typer.Exit(2)
    return lang


def default_norm() -> str:
    from meting.settings import Settings
    return Settings().norm


@app.command("list")
def list_norms(lang: Lang = "nl") -> None:
    """Every norm version: its published name and what it says in a sentence."""
    lang = language(lang)
    w = WORDS[lang]
    table = Table(w["version"], w["published"], w["from"], w["says"])
    for version in norms.versions():
        norm = norms.model(version)
        mark = f" ({w['default']})" if version == default_norm() else ""
        table.add_row(version + mark, getattr(norm.published, lang),
                      norm.valid_from.isoformat(), getattr(norm.summary, lang))
    console.print(table)


@app.command("show")
def show_norm(version: Annotated[str, typer.Argument(help="a norm version (meting norms list)")],
              lang: Lang = "nl") -> None:
    """What one norm version says: every class of the TLS tables and the HSTS minimum."""
    lang = language(lang)
    try:
        norm = norms.model(version)
    except norms.UnknownNorm as exc:
        errors.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    for line in describe(norm, lang):
        console.print(line, highlight=False, markup=False)


@app.command("check")
def check_file(path: Annotated[Path, typer.Argument(help="a proposed norm file (YAML)")],
               lang: Lang = "nl") -> None:
    """Check a norm file against the schema (one line per mistake, the first one)."""
    lang = language(lang)
    try:
        norm = norms.load_file(path)
    except norms.NormFileError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"{path}: {norm.version} — {getattr(norm.published, lang)}: "
                  f"{WORDS[lang]['ok']}", highlight=False)


def describe(norm: NormFile, lang: str) -> list[str]:
    """The norm in lines of text, in the language asked."""
    w, c = WORDS[lang], CLASS[lang]
    tls = norm.tls
    lines = [f"{norm.version}: {getattr(norm.published, lang)} ({w['from']} "
             f"{norm.valid_from.isoformat()})", getattr(norm.summary, lang), "",
             f"{w['hsts']} {norm.hsts.min_max_age} s ({norm.hsts.min_max_age // 86400} "
             f"{w['days']})", "", w["versions"] + ":"]
    lines += [f"  {v}: {c[k]}" for v, k in tls.versions.items()]
    lines += ["", w["ciphers"] + ":"]
    lines += [f"  {c[rule.cls]}: {suite_rule(rule, lang)}" for rule in tls.ciphers]
    lines += [f"  {c[tls.cipher_default]}: {w['else']}", "", w["groups"] + ":"]
    lines += [f"  {c[k]}: {', '.join(g)}" for k, g in tls.groups if g]
    lines += [f"  {c[tls.group_default]}: {w['else']}", "", w["ffdhe"] + ":"]
    lines += [f"  {g}: {c[k]}" for g, k in tls.ffdhe.groups.items()]
    lines += [f"  {w['custom']}: {sizes(tls.ffdhe.custom, c, w)}", "", w["kex_hash"] + ":"]
    lines += [f"  {h}: {c[k]}" for h, k in tls.kex_hash.items()]
    lines += ["", w["elements"] + ":"]
    lines += [f"  {w[e]}: {c[getattr(tls, e)]}" for e in ELEMENTS]
    lines += ["", w["cert_pubkey"] + ":", f"  RSA {sizes(tls.cert_pubkey.rsa, c, w)}"]
    lines += [f"  {w['ec']} {c[k]}: {', '.join(g)}" for k, g in tls.cert_pubkey.ec_curves if g]
    lines += [f"  {w['ed']}: {c[tls.cert_pubkey.ed]}",
              f"  {w['other']}: {c[tls.cert_pubkey.other]}", "", w["cert_signature_hash"] + ":"]
    lines += [f"  {h}: {c[k]}" for h, k in tls.cert_signature_hash.items()]
    lines += ["", f"{w['optional']}: {', '.join(tls.optional.parts)} → {tls.optional.missing}",
              f"{w['mail']}: {w['cert_trust_without_dane']} → "
              f"{tls.mail.cert_trust_without_dane}, {w['cert_hostmatch_without_dane']} → "
              f"{tls.mail.cert_hostmatch_without_dane}", "", w["sources"] + ":"]
    return lines + [f"  {s}" for s in norm.sources]


def suite_rule(rule: SuiteRule, lang: str) -> str:
    parts = [f"{PROPERTY[lang][key]} {'/'.join(values)}" for key in PROPERTY[lang]
             if (values := getattr(rule, key)) is not None]
    return "; ".join(parts) or WORDS[lang]["any"]


def sizes(rows: list[SizeRow], c: dict[str, str], w: dict[str, str]) -> str:
    return ", ".join(f"≥ {row.min_bits} {w['bits']}: {c[row.cls]}" for row in rows)
