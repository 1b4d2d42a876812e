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
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy.orm import Session, sessionmaker

from meting.discovery import ct
from meting.discovery.evidence_names import names_in
from meting.discovery.found import SOURCES, Found, Owners, Registered
from meting.discovery.messages import Message, Said, message
from meting.errors import InputError
from meting.records.psl import organisational_domain
from meting.settings import Settings
from meting.store import Store
from meting.store import candidates as stored

if TYPE_CHECKING:
    from meting.probe.ct_log import LogRead


class DiscoveryError(Said, InputError):
    """A request discovery cannot carry out; one line for the user, in Dutch or English."""


@dataclass
class Outcome:
    """What one run found, per source, and what it says about zones and files."""

    organisations: int = 0
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    notes: list[Message] = field(default_factory=list)
    new: tuple[str, ...] = ()
    again: int = 0
    questions: int = 0  # DNS questions sent by the nsec and dns sources


def config() -> dict[str, Any]:
    text = resources.files("meting.discovery").joinpath("data/discovery.yaml").read_text()
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
        raise DiscoveryError("labels_missing")
    return data


def parse_sources(text: str) -> list[str]:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown or not chosen:
        raise DiscoveryError("bad_sources", given=", ".join(unknown) or "-",
                             choices=",".join(SOURCES))
    return chosen


def discover(settings: Settings, sources: Sequence[str],
             organisations: Sequence[str] | None = None,
             set_name: str | None = None, ct_files: Sequence[Path] = (),
             ct_logs: Sequence[str] = ()) -> Outcome:
    logs = _logs(settings, sources, ct_files, ct_logs)
    ct_names = [n for path in ct_files for n in _read_ct(path, settings)]
    with Store.open(settings.database, verify=True) as store:
        sessions = sessionmaker(store.engine)
        with sessions() as session:
            scope = _scope(session, organisations, set_name)
        owners = Owners(scope, zones_of(scope))
        outcome = Outcome(organisations=len(scope))
        if logs:  # after the request is known to be sound: logs are large
            ct_names += asyncio.run(_from_logs(settings, logs, outcome.notes))
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


def _logs(settings: Settings, sources: Sequence[str], ct_files: Sequence[Path],
          ct_logs: Sequence[str]) -> list[str]:
    """The CT logs to read: the option's and the setting's, each once."""
    logs = [*ct_logs, *(u.strip() for u in settings.ct_logs.split(",") if u.strip())]
    if "ct" not in sources:
        return []
    if not ct_files and not logs:
        raise DiscoveryError("ct_needs_input")
    if settings.ct_max_entries < 1:
        raise DiscoveryError("ct_max_entries", value=settings.ct_max_entries)
    return list(dict.fromkeys(logs))


def _scope(session: Session, organisations: Sequence[str] | None,
           set_name: str | None) -> list[Registered]:
    unknown = set(organisations or ()) - set(stored.organisation_names(session))
    if unknown:
        raise DiscoveryError("no_organisation", names=", ".join(
            repr(o) for o in sorted(unknown)))
    scope = stored.registered(session, organisations, set_name)
    if not scope:
        if set_name:
            raise DiscoveryError("nothing_to_start_in_set", set=repr(set_name))
        raise DiscoveryError("nothing_to_start")
    return scope


def _read_ct(path: Path, settings: Settings) -> list[ct.CtName]:
    try:
        return ct.read_export(path, settings.max_file_bytes)
    except ct.CtFileError as exc:
        raise DiscoveryError("ct_file", detail=exc.message) from None


async def _from_logs(settings: Settings, urls: list[str],
                     notes: list[Message]) -> list[ct.CtName]:
    """Names in the newest entries of each log (probe.ct_log), with a note per log."""
    from meting.checks import explain
    from meting.probe import ct_log, guard, politeness
    from meting.probe import discovery as probe
    from meting.probe.dns import DnsClient

    client = ct_log.LogClient(DnsClient(settings), probe.Pace(settings.discovery_rate),
                              settings.ct_timeout, settings.ct_max_entries,
                              max(1, settings.ct_batch), ct_log.trust(settings.trust_store))
    names: list[ct.CtName] = []
    with guard.allowing(settings), politeness.use(
            politeness.AddressLimiter(settings.per_address)):
        for url in urls:
            try:
                read = await ct_log.read_log(url, client)
            except ct_log.LogError as exc:
                values = dict(exc.values)
                if "kind" in values:  # the guard's kind of address, worded as the checks do
                    values["kind"] = explain.kind_of_address(str(values["kind"])).to_dict()
                detail = message("log_" + exc.reason, **values)
                raise DiscoveryError("ct_log_failed", detail=detail) from None
            found = ct.log_names(read.entries, read.first, url)
            names += found.names
            notes += log_notes(read, found)
    return names


def log_notes(read: LogRead, found: ct.LogNames) -> list[Message]:
    count = len(read.entries)
    notes = [message("log_read", url=read.url, count=count, first=read.first,
                     last=read.first + count - 1, size=read.tree_size,
                     requests=read.requests)]
    if read.cut:
        notes.append(message("log_cut", url=read.url, count=count, size=read.tree_size,
                             left=read.first))
    if found.skipped:
        index, problem = found.skipped[0]
        notes.append(message("log_skipped", url=read.url, count=len(found.skipped),
                             number=index, problem=problem))
    return notes


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
            if walked.reason:
                outcome.notes.append(message("zone_" + walked.reason, zone=zone,
                                             **walked.values))
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
                outcome.notes.append(message("zone_wildcard", zone=zone))
            found += _count(outcome, "dns", [
                f for name, answers in scan.found
                if (f := owners.candidate(name, "dns", "answers " + ", ".join(answers[:3])))
                is not None])
    outcome.questions = pace.asked
    return found
