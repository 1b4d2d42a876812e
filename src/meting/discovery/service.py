"""`meting discover`: run the sources over some organisations and store what they found.

The same functions serve the CLI and (later) the dashboard. Only the probe layer touches
the network: this module asks ``probe.discovery`` and reads files and the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import sessionmaker

from meting.discovery import ct
from meting.discovery.evidence_names import names_in
from meting.discovery.found import SOURCES, Found, Owners, Registered
from meting.errors import InputError
from meting.records.psl import organisational_domain
from meting.settings import Settings
from meting.store import Store
from meting.store import candidates as stored


class DiscoveryError(InputError):
    """A request discovery cannot carry out; one line for the user."""


@dataclass
class Outcome:
    """What one run found, per source, and what it says about zones and files."""

    organisations: int = 0
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    notes: list[str] = field(default_factory=list)
    new: tuple[str, ...] = ()
    again: int = 0
    questions: int = 0  # DNS questions sent by the nsec and dns sources


def config() -> dict[str, Any]:
    text = resources.files("meting.discovery").joinpath("data/discovery.yaml").read_text()
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
        raise DiscoveryError("discovery.yaml: a labels list is missing")
    return data


def parse_sources(text: str) -> list[str]:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown or not chosen:
        raise DiscoveryError(f"--sources: {', '.join(unknown) or 'none given'}; choose "
                             f"from {','.join(SOURCES)}")
    return chosen


def discover(settings: Settings, sources: Sequence[str],
             organisations: Sequence[str] | None = None,
             set_name: str | None = None, ct_files: Sequence[Path] = ()) -> Outcome:
    if "ct" in sources and not ct_files:
        raise DiscoveryError("the ct source reads CT exports: give one with --ct-file")
    ct_names = [n for path in ct_files for n in _read_ct(path, settings)]
    with Store.open(settings.database, verify=True) as store:
        sessions = sessionmaker(store.engine)
        with sessions() as session:
            unknown = set(organisations or ()) - set(stored.organisation_names(session))
            if unknown:
                raise DiscoveryError("no organisation " + ", ".join(
                    repr(o) for o in sorted(unknown)) + " in the registry")
            scope = stored.registered(session, organisations, set_name)
        if not scope:
            raise DiscoveryError("no registered domains to start from" +
                                 (f" in set {set_name!r}" if set_name else ""))
        owners = Owners(scope, zones_of(scope))
        outcome = Outcome(organisations=len(scope))
        found: list[Found] = []
        if "evidence" in sources:
            found += _count(outcome, "evidence", from_evidence(store, scope, owners))
        if "ct" in sources:
            found += _count(outcome, "ct", [f for n in ct_names if (
                f := owners.candidate(n.name, "ct", n.note)) is not None])
        if "nsec" in sources or "dns" in sources:
            found += asyncio.run(_from_dns(settings, sources, scope, owners, outcome))
        with sessions.begin() as session:
            recorded = stored.record(session, found, dt.datetime.now(dt.UTC))
    outcome.new, outcome.again = recorded.new, recorded.again
    return outcome


def _read_ct(path: Path, settings: Settings) -> list[ct.CtName]:
    try:
        return ct.read_export(path, settings.max_file_bytes)
    except ct.CtFileError as exc:
        raise DiscoveryError(f"nothing discovered: {exc}") from None


def _count(outcome: Outcome, source: str, found: list[Found]) -> list[Found]:
    outcome.found[source] += len({f.name for f in found})
    return found


def zones_of(scope: Iterable[Registered]) -> dict[str, str]:
    """Organisational domain -> organisation, where only one organisation has domains."""
    holders: dict[str, set[str]] = defaultdict(set)
    for r in scope:
        for domain in r.domains:
            holders[organisational_domain(domain)].add(r.organisation)
    return {zone: next(iter(orgs)) for zone, orgs in sorted(holders.items()) if len(orgs) == 1}


def from_evidence(store: Store, scope: list[Registered], owners: Owners) -> list[Found]:
    """Names in the evidence of the latest round with results, of the chosen organisations."""
    wanted = {r.organisation for r in scope}
    with_results = store.last_results()
    if not with_results:
        return []
    latest = max(store.rounds(), key=lambda r: (r.id in with_results, r.date, r.id))
    found: list[Found] = []
    for result in store.results(latest.id, with_evidence=True):
        if result.organisation not in wanted or not result.evidence:
            continue
        for name, what in names_in(result.evidence):
            note = f"{what} in the {result.kind} test of {result.target} (round {latest.label})"
            item = owners.candidate(name, "evidence", note)
            if item is not None:
                found.append(item)
    return found


async def _from_dns(settings: Settings, sources: Sequence[str], scope: list[Registered],
                    owners: Owners, outcome: Outcome) -> list[Found]:
    from meting.probe import discovery as probe
    from meting.probe import guard, politeness
    from meting.probe.dns import DnsClient

    zones = sorted(zones_of(scope))
    client = DnsClient(settings)
    pace = probe.Pace(settings.discovery_rate)
    keep = frozenset(config().get("host_types", probe.HOST_TYPES))
    found: list[Found] = []
    with guard.allowing(settings), politeness.use(
            politeness.AddressLimiter(settings.per_address)):
        for zone in zones if "nsec" in sources else []:
            walked = await probe.walk(zone, client, pace, settings.dns_timeout)
            if walked.state != "walked" or walked.note:
                outcome.notes.append(f"{zone}: {walked.note or walked.state}")
            found += _count(outcome, "nsec", [
                f for name, types in walked.owners
                if keep & set(types) and not name.split(".")[0].startswith(("_", "*"))
                and (f := owners.candidate(name, "nsec", f"NSEC chain of {zone} "
                                           f"({' '.join(t for t in types if t in keep)})"))
                is not None])
        labels = [str(label) for label in config()["labels"]]
        for zone in zones if "dns" in sources else []:
            scan = await probe.scan_labels(zone, labels, client, pace)
            if scan.wildcard:
                outcome.notes.append(f"{zone}: wildcard (a random label answers); only "
                                     "names that answer otherwise are kept")
            found += _count(outcome, "dns", [
                f for name, answers in scan.found
                if (f := owners.candidate(name, "dns", "answers " + ", ".join(answers[:3])))
                is not None])
    outcome.questions = pace.asked
    return found
