"""The analysis layer (see ARCHITECTURE.md).

``round_figures_json(store, round)`` gives a stored round's figures JSON (SPEC §8); the
store adapter is imported only when it is called, so the pure analysis modules stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meting.store import Store


def round_figures_json(store: Store, round_ref: str | int) -> dict[str, Any]:
    """The figures JSON of SPEC §8 of a stored round, by its label or number (an int is the
    number); see ``meting.analysis.load.round_figures_json``."""
    from meting.analysis.load import round_figures_json as figures

    return figures(store, round_ref)
