"""Export: stream canonical batches out as CSV, JSON, Parquet, Arrow, Excel, Stooq, line protocol.

Every writer consumes an iterable of canonical frames (``series_id``, ``ts``, then fields) one
batch at a time and never holds the whole export in memory; any format can be compressed with
one of ``COMPRESSIONS``.
"""

from __future__ import annotations

from variosync.export.compression import COMPRESSIONS
from variosync.export.output import write_batches, write_stream
from variosync.export.registry import EXPORT_FORMATS, ExportFormat, Writer, resolve_format

__all__ = [
    "COMPRESSIONS",
    "EXPORT_FORMATS",
    "ExportFormat",
    "Writer",
    "resolve_format",
    "write_batches",
    "write_stream",
]
