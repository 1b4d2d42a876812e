"""Who receives a notice: the one lookup every notification goes through.

An organisation's notices go to the addresses registered for it (``meting recipient
add``), to its dashboard accounts (``meting user add --role organisation``) and to the
e-mail addresses in its registry contact; an umbrella's to its registered addresses and its
dashboard accounts; the coordinators' to their registered addresses. Each address once; a
registered address keeps its chosen language, an account its own (set with the
dashboard's language switch), a registry contact gets Dutch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from meting.store.review import ReviewStore

ADDRESS = re.compile(r"^[^@\s<>\"']+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
LANGS = ("nl", "en")
SCOPES = ("organisation", "umbrella", "coordinator")


@dataclass(frozen=True)
class Addressee:
    address: str
    lang: str  # nl unless the recipient chose English


def valid_address(address: str) -> bool:
    return bool(ADDRESS.match(address))


def recipients(review: ReviewStore, scope: str, name: str = "") -> list[Addressee]:
    """The addresses for an organisation, an umbrella or ("coordinator", "") the
    coordinators; each once, in a stable order."""
    found = {r.address.lower(): Addressee(r.address, r.lang)
             for r in review.recipients(scope, name)}
    for address, lang in review.account_addresses(scope, name):
        found.setdefault(address.lower(), Addressee(address, lang if lang in LANGS else "nl"))
    if scope == "organisation":
        contact = review.organisation_contact(name) or ""
        for _, address in getaddresses([contact.replace(";", ",")]):
            if valid_address(address) and address.lower() not in found:
                found[address.lower()] = Addressee(address, "nl")
    return sorted(found.values(), key=lambda a: a.address.lower())
