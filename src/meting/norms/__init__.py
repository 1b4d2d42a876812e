"""The norms layer: data files that say how evidence is judged, each with a version.

A norm version (``norms/versions/<version>.yaml``) holds what changes when the
NCSC guidelines change: the TLS classification tables and the HSTS minimum.
A round records the version that judged it, so it can be judged again under
another one (``meting rejudge``). Every file is checked against ``norms.schema``
when it is loaded (``NormFileError``: one line naming the file and the key).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

from meting.norms.schema import ColumnsFile, NormFile, NormFileError, read

Norm = dict[str, Any]

__all__ = ["Norm", "NormFile", "NormFileError", "UnknownNorm", "columns", "load",
           "load_file", "model", "versions"]


class UnknownNorm(ValueError):
    pass


def versions() -> list[str]:
    folder = resources.files("meting.norms") / "versions"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


@cache
def model(version: str) -> NormFile:
    """The checked norm file of this version; ``UnknownNorm`` names the versions that exist."""
    if version not in versions():
        raise UnknownNorm(f"unknown norm version {version!r}; known: {', '.join(versions())}")
    resource = resources.files("meting.norms") / "versions" / f"{version}.yaml"
    return _checked(PurePath("versions", f"{version}.yaml"), resource.read_text("utf-8"),
                    version)


@cache
def load(version: str) -> Norm:
    """The norm of this version as the checks read it (plain data, checked)."""
    return as_data(model(version))


def load_file(path: Path) -> NormFile:
    """A norm file outside the package (a proposed version, a test's norm), checked."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise NormFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return _checked(path, text, None)


def as_data(norm: NormFile) -> Norm:
    found: Norm = norm.model_dump(mode="json", by_alias=True, exclude_none=True)
    return found


def _checked(path: PurePath, text: str, version: str | None) -> NormFile:
    norm: NormFile = read(path, text, NormFile)
    if version is not None and norm.version != version:
        raise NormFileError(f"{path.name}: version: expected {version!r} (the file's name), "
                            f"found {norm.version!r}")
    return norm


@cache
def columns() -> ColumnsFile:
    """The report columns (``columns.yaml``), checked."""
    text = (resources.files("meting.norms") / "columns.yaml").read_text("utf-8")
    found: ColumnsFile = read(PurePath("columns.yaml"), text, ColumnsFile)
    return found
