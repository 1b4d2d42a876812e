"""Can a norm judge this stored evidence? (``meting rejudge`` asks before judging.)

The TLS scans in evidence tell apart buckets of suites and groups, or (before the
buckets) the classes of the norm they were measured under; ``norms.resolution`` says
where a norm would need finer evidence than was recorded.
"""

from __future__ import annotations

from typing import Any

from meting.norms import Norm, resolution

CannotJudge = resolution.CannotJudge


def scans(kind: str, evidence: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"<host> <address>": scan}`` for every TLS scan in the evidence."""
    if kind == "web":
        host = evidence.get("target", "")
        return {f"{host} {a}": s for a, s in (evidence.get("tls") or {}).items()}
    return {f"{e.get('name', '')} {a}": s for e in evidence.get("mx") or []
            for a, s in (e.get("starttls") or {}).items()}


def tls_problems(kind: str, evidence: dict[str, Any], norm: Norm) -> list[str]:
    return [f"{server}: {problem}" for server, scan in scans(kind, evidence).items()
            for problem in resolution.problems(scan, norm)]


def check(kind: str, evidence: dict[str, Any], norm: Norm) -> None:
    """``CannotJudge`` naming the first place where the norm needs finer evidence."""
    found = tls_problems(kind, evidence, norm)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CannotJudge(f"norm {norm['version']} cannot judge this evidence: {found[0]}{more}")
