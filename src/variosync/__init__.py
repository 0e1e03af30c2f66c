"""VarioSync: ingest any time-series file, store it as Delta Lake, query, aggregate, export."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from variosync.errors import VarioSyncError
    from variosync.model import IngestOptions, Kind
    from variosync.query import Agg, Fill, Query
    from variosync.service import Variosync
    from variosync.settings import Settings

__version__ = "0.1.0"

_EXPORTS = {
    "Agg": "variosync.query",
    "Fill": "variosync.query",
    "IngestOptions": "variosync.model",
    "Kind": "variosync.model",
    "Query": "variosync.query",
    "Settings": "variosync.settings",
    "VarioSyncError": "variosync.errors",
    "Variosync": "variosync.service",
}

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
    # Names load on first use: importing the package stays cheap and loads no native library,
    # so the CLI can tune the allocator before polars starts (see variosync.cli).
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'variosync' has no attribute {name!r}")
    return getattr(import_module(module), name)
