"""What a TLS scan can tell a norm, and whether a norm can judge it.

The economical probe does not list every accepted suite: it tells apart the buckets of
``tls-buckets.yaml`` (one example suite per accepted bucket). Evidence from before the
buckets (``"norm"`` in the scan) told apart the classes of the norm then in force: one
example per good or sufficient class, the phase-out and insufficient suites in full.
A norm can judge a scan exactly when it gives every suite (and group) that the scan
stands for by one example the same class; ``problems`` names where it cannot, so that
``meting rejudge`` refuses instead of misjudging.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting import norms
from meting.norms import Norm
from meting.norms import tls as tls_norm

HASHES_PROBED = ("SHA1", "SHA224")  # the weak hashes a client can offer (no MD5 in OpenSSL)


@dataclass(frozen=True)
class Buckets:
    version: int
    suite_rules: tuple[dict[str, Any], ...]
    groups: dict[str, tuple[str, ...]]


def _data(name: str) -> Any:
    return yaml.safe_load((resources.files("meting.norms") / name).read_text("utf-8"))


@cache
def buckets() -> Buckets:
    raw = _data("tls-buckets.yaml")
    return Buckets(int(raw["version"]), tuple(raw["suites"]),
                   {name: tuple(members) for name, members in raw["groups"].items()})


@cache
def universe() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every suite and group the probe can offer (``tls-universe.yaml``)."""
    raw = _data("tls-universe.yaml")
    return tuple(raw["suites"]), tuple(raw["groups"])


@cache  # pure, and asked for every suite of every handshake of a round
def suite_bucket(name: str) -> str:
    props = tls_norm.suite(name)
    for rule in buckets().suite_rules:
        if all(getattr(props, key) in rule[key] for key in tls_norm.PROPERTIES if key in rule):
            found: str = rule["bucket"]
            return found
    return f"{props.kex}-{props.auth}-{props.cipher}-{props.mac}"


def group_bucket(group: str) -> str:
    return next((name for name, members in buckets().groups.items() if group in members),
                group)


@cache
def usable_at(version: str) -> tuple[str, ...]:
    """The suites of the universe a server could pick at this version."""
    suites, _ = universe()
    if version == "TLSv1.3":
        return tuple(s for s in suites if tls_norm.suite(s).kex == "TLS13")
    return tuple(s for s in suites if tls_norm.suite(s).kex != "TLS13")


@cache
def suites_in(bucket: str, version: str) -> tuple[str, ...]:
    return tuple(s for s in usable_at(version) if suite_bucket(s) == bucket)


def groups_in(bucket: str) -> tuple[str, ...]:
    _, groups = universe()
    return tuple(g for g in groups if group_bucket(g) == bucket)


class CannotJudge(ValueError):
    """The evidence cannot answer a question of this norm; the message says where."""


def _split(what: str, members: tuple[str, ...], classify: Any, example: str) -> str | None:
    classes = sorted({classify(m) for m in members})
    if len(classes) <= 1:
        return None
    return (f"{what} (example {example}) stands for {len(members)} members that this norm "
            f"puts in different classes ({', '.join(classes)})")


def splits(norm: Norm) -> list[str]:
    """The buckets this norm splits: the probe cannot judge fresh scans under it there."""
    found = [_split(f"{version}: suite bucket {bucket}", suites_in(bucket, version),
                    lambda s: tls_norm.suite_class(norm, s), suites_in(bucket, version)[0])
             for version in ("TLSv1.3", "TLSv1.2")
             for bucket in dict.fromkeys(suite_bucket(s) for s in usable_at(version))]
    found += [_split(f"group bucket {bucket}", groups_in(bucket),
                     lambda g: tls_norm.group_class(norm, g), groups_in(bucket)[0])
              for bucket in buckets().groups]
    return [f for f in found if f]


def problems(scan: dict[str, Any], norm: Norm) -> list[str]:
    """Where ``norm`` cannot judge this scan of one server (empty: it can)."""
    if not scan.get("versions") or scan.get("mode") == "full":
        return []
    if "buckets" in scan:
        return _bucket_problems(scan, norm)
    if "norm" in scan:
        return _class_problems(scan, norm)
    return []


def _bucket_problems(scan: dict[str, Any], norm: Norm) -> list[str]:
    if scan["buckets"] != buckets().version:
        return [f"the scan used TLS buckets version {scan['buckets']}, this meting knows "
                f"version {buckets().version}"]
    found: list[str] = []
    for version, per_bucket in (scan.get("ciphers") or {}).items():
        for bucket, examples in per_bucket.items():
            found.append(_split(f"{version}: suite bucket {bucket}", suites_in(bucket, version),
                                lambda s: tls_norm.suite_class(norm, s), examples[0]) or "")
    for bucket, examples in (scan.get("groups_accepted") or {}).items():
        found.append(_split(f"group bucket {bucket}", groups_in(bucket),
                            lambda g: tls_norm.group_class(norm, g), examples[0]) or "")
    return [f for f in found if f]


def _class_problems(scan: dict[str, Any], norm: Norm) -> list[str]:
    """Evidence classed by the norm it was measured under (before the buckets)."""
    try:
        recorded = norms.load(scan["norm"])
    except norms.UnknownNorm:
        return [f"the scan was classed by norm {scan['norm']!r}, which this meting does not "
                "know"]
    found: list[str] = []
    for version, per_class in (scan.get("ciphers") or {}).items():
        for cls in ("good", "sufficient"):
            if per_class.get(cls):
                members = tuple(s for s in usable_at(version)
                                if tls_norm.suite_class(recorded, s) == cls)
                found.append(_split(f"{version}: one suite of class {cls} under norm "
                                    f"{scan['norm']}", members,
                                    lambda s: tls_norm.suite_class(norm, s),
                                    per_class[cls][0]) or "")
    _, groups = universe()
    for seen in scan.get("groups_seen") or []:
        cls = tls_norm.group_class(recorded, seen)
        if cls in ("good", "sufficient"):
            members = tuple(g for g in groups if tls_norm.group_class(recorded, g) == cls)
            found.append(_split(f"groups of class {cls} under norm {scan['norm']}", members,
                                lambda g: tls_norm.group_class(norm, g), seen) or "")
    found += _hash_problems(scan, norm, recorded)
    found += _order_problems(scan, norm, recorded)
    return sorted({f for f in found if f})


def _hash_problems(scan: dict[str, Any], norm: Norm, recorded: Norm) -> list[str]:
    if not (scan.get("kex_hash") or {}).get("default"):
        return []
    probed = {h for h in HASHES_PROBED if tls_norm.kex_hash_class(recorded, h) == "insufficient"}
    wanted = {h for h in HASHES_PROBED if tls_norm.kex_hash_class(norm, h) == "insufficient"}
    missing = sorted(wanted - probed)
    return [f"key-exchange hashes {', '.join(missing)} are insufficient under this norm but "
            f"were not probed under norm {scan['norm']}"] if missing else []


def _order_problems(scan: dict[str, Any], norm: Norm, recorded: Norm) -> list[str]:
    """The cipher order was tested with the recorded norm's classes; a norm that orders
    the accepted suites differently would have asked another question."""
    order = scan.get("cipher_order") or {}
    if not order.get("enforced") or "prescribed" not in order:
        return []
    accepted = [s for suites in (scan.get("ciphers") or {}).get(order.get("version"), {})
                .values() for s in suites]
    rank = tls_norm.CLASSES.index
    for a in accepted:
        for b in accepted:
            old = rank(tls_norm.suite_class(recorded, a)) < rank(tls_norm.suite_class(recorded, b))
            new = rank(tls_norm.suite_class(norm, a)) < rank(tls_norm.suite_class(norm, b))
            if old != new:
                return [f"the cipher order was tested on the classes of norm {scan['norm']}; "
                        f"this norm orders {a} and {b} differently"]
    return []
