"""VarioSync: ingest any time-series file, store it as Delta Lake, query, aggregate, export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from variosync.errors import VarioSyncError
from variosync.model import IngestOptions, Kind
from variosync.query import Agg, Fill, Query
from variosync.settings import Settings

if TYPE_CHECKING:
    from variosync.service import Variosync

__version__ = "0.1.0"

__all__ = [
    "Agg",
    "Fill",
    "IngestOptions",
    "Kind",
    "Query",
    "Settings",
    "VarioSyncError",
    "Variosync",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # The facade pulls in every reader and writer; load it on first use, not on import.
    if name == "Variosync":
        from variosync.service import Variosync

        return Variosync
    raise AttributeError(f"module 'variosync' has no attribute {name!r}")
