"""Can a norm judge this stored evidence? (``meting rejudge`` asks before judging.)

The TLS scans in evidence tell apart buckets of suites and groups, or (before the
buckets) the classes of the norm they were measured under; ``norms.resolution`` says
where a norm would need finer evidence than was recorded.
"""

from __future__ import annotations

from typing import Any

from meting.evidence.models import MailEvidence, TlsScan, WebEvidence
from meting.norms import Norm, resolution

CannotJudge = resolution.CannotJudge


def scans(evidence: WebEvidence | MailEvidence) -> dict[str, TlsScan]:
    """``{"<host> <address>": scan}`` for every TLS scan in the evidence."""
    if isinstance(evidence, WebEvidence):
        return {f"{evidence.target} {a}": s for a, s in evidence.tls.items()}
    return {f"{e.name} {a}": s for e in evidence.mx for a, s in e.starttls.items()}


def as_recorded(scan: TlsScan) -> dict[str, Any]:
    """The scan as the probe recorded it (absent fields left out): what norms.resolution
    reads, as the probe's own tests hand it fresh scans."""
    return scan.model_dump(mode="json", exclude_none=True)


def tls_problems(evidence: WebEvidence | MailEvidence, norm: Norm) -> list[str]:
    return [f"{server}: {problem}" for server, scan in scans(evidence).items()
            for problem in resolution.problems(as_recorded(scan), norm)]


def check(evidence: WebEvidence | MailEvidence, norm: Norm) -> None:
    """``CannotJudge`` naming the first place where the norm needs finer evidence."""
    found = tls_problems(evidence, norm)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CannotJudge(f"norm {norm['version']} cannot judge this evidence: {found[0]}{more}")
