"""The standards register: the standards of the 'pas toe of leg uit' list that meting
measures, their procedure, and the target agreements (streefbeeldafspraken) that link them
to deadlines and to meting's report columns. One data file (``data/standards.yaml``),
checked when loaded; the analysis (agreements table, laggards, fully compliant), the annual
monitor and the dashboard all read it from here."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path, PurePath

from meting import norms
from meting.norms.schema import NormFileError, read
from meting.standards.schema import Agreement, Register, Standard

__all__ = ["Agreement", "Register", "RegisterError", "Standard", "check", "load_file",
           "register"]

RegisterError = NormFileError


@cache
def register() -> Register:
    """The shipped register, checked against the schema and the report columns."""
    text = (resources.files("meting.standards") / "data/standards.yaml").read_text("utf-8")
    return check(read(PurePath("standards.yaml"), text, Register), "standards.yaml")


def load_file(path: Path) -> Register:
    """A register file outside the package (e.g. one written by ``meting standards
    import``), checked the same way."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RegisterError(f"{path}: cannot be read ({exc.strerror})") from None
    return check(read(path, text, Register), path.name)


def check(found: Register, name: str) -> Register:
    """Every agreement names a report column of its kind (``norms/columns.yaml``)."""
    known = {kind: {c.column for c in getattr(norms.columns(), kind)}
             for kind in ("web", "mail")}
    for a in found.agreements:
        if a.column not in known[a.kind]:
            raise RegisterError(f"{name}: agreements: {a.kind}/{a.column} is not a report "
                                f"column; known: {', '.join(sorted(known[a.kind]))}")
    return found
