"""VarioSync: ingest any time-series file, store it as Delta Lake, query, aggregate, export."""

from __future__ import annotations

from variosync.errors import VarioSyncError
from variosync.model import IngestOptions, Kind
from variosync.query import Agg, Fill, Query
from variosync.service import Variosync
from variosync.settings import Settings

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
