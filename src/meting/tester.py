"""One web or mail test: gather evidence, judge it. Used by `meting check` and the runner."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meting import norms
from meting.checks import tests
from meting.checks.not_testable import judge_not_testable
from meting.evidence.models import NotTestableEvidence
from meting.evidence.validate import Typed, as_json, model_of, stamped, typed
from meting.probe import guard, politeness
from meting.probe.collect import collect_mail, collect_web
from meting.probe.dns import DnsClient
from meting.probe.routing import RoutingData
from meting.settings import Settings


def routing_data(settings: Settings) -> RoutingData | None:
    if settings.rpki_vrps and settings.rpki_routes:
        return RoutingData.load(Path(settings.rpki_vrps), Path(settings.rpki_routes))
    return None


@dataclass(frozen=True)
class Measured:
    """One test measured: its evidence, judged, and the evidence's JSON as checked against
    the schema to judge it (``evidence.as_json``; stored as is)."""

    evidence: dict[str, Any]
    judged: dict[str, Any]
    raw: bytes


async def run_test(kind: str, target: str, settings: Settings, routing: RoutingData | None,
                   client: DnsClient | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Evidence and the judged columns/subtests of one test, within the test budget.

    ``client``: a fresh DnsClient for this test (the runner's shares answers round-wide).
    """
    measured = await measure(kind, target, settings, routing, client)
    return measured.evidence, measured.judged


async def measure(kind: str, target: str, settings: Settings, routing: RoutingData | None,
                  client: DnsClient | None = None) -> Measured:
    """``run_test``, keeping the evidence's checked JSON: a round stores it without
    writing and checking it again."""
    client = client or DnsClient(settings)
    collect = collect_web if kind == "web" else collect_mail
    with guard.allowing(settings):
        evidence = await _collect(collect, target, settings, client, routing)
    evidence["dns_queries"] = client.queries_sent
    evidence["resolver_dnssec_ok"] = client.resolver_dnssec_ok
    raw = as_json(stamped(evidence))
    return Measured(evidence, judge_typed(typed(evidence, raw), settings.norm), raw)


async def _collect(collect: Any, target: str, settings: Settings, client: DnsClient,
                   routing: RoutingData | None) -> dict[str, Any]:
    async with asyncio.timeout(settings.test_budget) as budget:
        with politeness.counting(budget):  # waiting for a busy server is not the test's time
            evidence: dict[str, Any] = await collect(target, settings, client, routing)
    return evidence


def judge(kind: str, evidence: dict[str, Any], norm_version: str) -> dict[str, Any]:
    """Columns and subtests of evidence of any version (an older one is upgraded first)
    under a norm version, without the network. The evidence becomes its typed model here,
    once; the checks read only the model."""
    return judge_typed(typed_evidence(kind, evidence), norm_version)


def typed_evidence(kind: str, evidence: dict[str, Any]) -> Typed:
    """The evidence of a ``kind`` test, of any version, as the current model."""
    model = model_of(evidence)
    if model.kind != kind:
        raise ValueError(f"{kind} test with {model.kind} evidence of {model.target}")
    return model


def judge_typed(evidence: Typed, norm_version: str) -> dict[str, Any]:
    """Columns and subtests (the JSON shape of ``meting check --json``) of typed evidence."""
    if isinstance(evidence, NotTestableEvidence):
        return judge_not_testable(evidence)
    return tests.judge(evidence, norms.load(norm_version))
