"""(filled in below)."""

from __future__ import annotations

from meting.settings import Settings
from meting.store import Store
from meting.web.kept import Figures


class RoundWorker:
    def __init__(self, store: Store, settings: Settings, figures: Figures) -> None:
        self.store = store
        self.settings = settings
        self.figures = figures
