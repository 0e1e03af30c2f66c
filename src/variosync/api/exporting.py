"""An export as a file download, for ``GET /api/v1/datasets/{name}/export`` and the dashboard's
download route alike: the file ``<dataset>.<ext>[.<compression>]`` streamed as it is written,
its compute metered and the export audited — one place, so neither front end can skip a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from variosync.api.actions import selected_rows
from variosync.api.deps import Services
from variosync.api.responses import COMPRESSED_MEDIA_TYPES, PipeResponse, streamed
from variosync.billing import EXPORT_ROWS_PER_S, RequestKey, estimate_rows
from variosync.catalog import Dataset
from variosync.catalog.users import User
from variosync.errors import UsageError
from variosync.export import COMPRESSIONS, EXPORT_FORMATS, write_stream
from variosync.selection import Selection
from variosync.service import Variosync

NO_COMPRESSION = "none"
Estimate = Callable[[int, int], int]
"""Compute milliseconds to reserve for reading some rows at some rows per second."""


@dataclass(frozen=True)
class ExportFile:
    """What to export: a dataset (or a query of it) in a format, compressed or not."""

    name: str
    selection: Selection
    fmt: str = "csv"
    compression: str | None = None

    @property
    def filename(self) -> str:
        """The download's file name: the dataset's, the format's extension, the compression's."""
        extension = EXPORT_FORMATS[self.fmt].extensions[0]
        return self.name + extension + (f".{self.compression}" if self.compression else "")

    @property
    def media_type(self) -> str:
        """The Content-Type: the compression's, else the format's."""
        if self.compression:
            return COMPRESSED_MEDIA_TYPES[self.compression]
        return EXPORT_FORMATS[self.fmt].media_type


def choice(fmt: str, compression: str | None) -> tuple[str, str | None]:
    """A format and a compression (``none`` or missing: none) as a front end received them,
    checked against the registry; UsageError naming the one at fault."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(
            f"unknown export format {fmt[:40]!r}",
            hint="choose one of: " + ", ".join(EXPORT_FORMATS),
            field="format",
        )
    if compression is None or compression == NO_COMPRESSION:
        return fmt, None
    if compression not in COMPRESSIONS:
        raise UsageError(
            f"unknown compression {compression[:40]!r}",
            hint="choose one of: " + ", ".join(COMPRESSIONS) + f", {NO_COMPRESSION}",
            field="compression",
        )
    return fmt, compression


def estimated_rows(service: Variosync, record: Dataset, selection: Selection) -> int:
    """Rows the export may read (what its reservation is sized on): the version read's rows,
    scaled by the share of series and time selected. Reads the store for an old version."""
    return selected_rows(service, record, selection.query, selection.as_of)


def estimated_ms(rows: int, estimate: Estimate = estimate_rows) -> int:
    """The compute reserved for exporting ``rows`` rows (settled on the time measured)."""
    return estimate(rows, EXPORT_ROWS_PER_S)


def export_response(
    shared: Services,
    user: User,
    export: ExportFile,
    key: RequestKey | str,
    client_ip: str | None,
    estimate: Estimate = estimate_rows,
) -> PipeResponse:
    """The file, streamed; its reservation (``estimate`` of the rows it may read: billing's
    rule unless a caller passes its own) taken before any work — 402 when the hours cannot
    cover it — and the export audited. A bad field or a missing dataset fails here, before the
    headers. Blocks until the first chunk: call from a worker thread."""
    name = export.name
    service = shared.service.as_owner(user.id)
    record = service.catalog.get(name)
    batches = service.stream(name, export.selection.query, export.selection.as_of)
    reserved = estimated_ms(estimated_rows(service, record, export.selection), estimate)
    response = streamed(
        lambda sink: write_stream(batches, sink, export.fmt, export.compression, name=name),
        export.media_type,
        guard=shared.meter.metered(user, "export", name, reserved, key, client_ip),
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )
    detail = {
        "format": export.fmt,
        "compression": export.compression,
        "as_of": export.selection.as_of,
    }
    try:
        shared.accounts.audit.record(
            "export", user_id=user.id, target=name, client_ip=client_ip, detail=detail
        )
    except BaseException:
        response.abandon()  # its writer already runs; only the response would stop it
        raise
    return response
