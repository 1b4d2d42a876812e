"""The store layer (see ARCHITECTURE.md): registry, rounds, statuses and evidence in SQL."""

from meting.store import (
    discovery_models,  # noqa: F401  (discovery's candidates on Base)
    internetnl_models,  # noqa: F401  (Internet.nl batch requests on Base)
    monitor_models,  # noqa: F401  (the annual monitor's tables on Base)
    review_models,  # noqa: F401  (the review cycle's tables on Base)
    web_models,  # noqa: F401  (the dashboard's tables on Base)
)
from meting.store.records import (
    DomainConflict,
    ImportedStatuses,
    ImportSummary,
    PlannedTest,
    RoundInfo,
    RoundStateError,
    StoredResult,
    StoreError,
    StoreUnusable,
)
from meting.store.store import Store

__all__ = [
    "DomainConflict",
    "ImportSummary",
    "ImportedStatuses",
    "PlannedTest",
    "RoundInfo",
    "RoundStateError",
    "Store",
    "StoreError",
    "StoreUnusable",
    "StoredResult",
]
