"""The export page: pick a dataset, a format, a compression, a time range (in the user's zone),
series and fields; see about how many rows it reads and the hours it reserves; download. The
file comes as a normal streamed HTTP download from ``web/download.py``'s route — metered,
audited and rate-limited like the REST API's export — never through the websocket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.api.exporting import (
    NO_COMPRESSION,
    ExportFile,
    choice,
    estimated_ms,
    estimated_rows,
)
from variosync.api.params import selection
from variosync.billing import describe, hours
from variosync.catalog import Dataset
from variosync.errors import PaymentRequiredError, UsageError, VarioSyncError
from variosync.events import Event
from variosync.export import COMPRESSIONS, EXPORT_FORMATS
from variosync.web import download
from variosync.web.frame import Visit, enter, failed
from variosync.web.pages.datasets import size_text

FORMATS = {name: f"{name} — {fmt.description}" for name, fmt in EXPORT_FORMATS.items()}
PACKINGS = {NO_COMPRESSION: "none", **{c: c for c in COMPRESSIONS}}


def utc_bound(text: str | None, zone: ZoneInfo, what: str) -> datetime | None:
    """A time typed in the user's zone (``2024-01-15T09:30`` or a date), in UTC; None when
    empty; UsageError naming the box when it is not a time."""
    if not text or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{what}: {text.strip()[:40]!r} is not a time", hint="e.g. 2024-01-15T09:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Choice:
    """The form's values as the user left them."""

    name: str | None
    fmt: str
    compression: str
    start: str | None
    end: str | None
    series: tuple[str, ...]
    fields: tuple[str, ...]

    def export(self, zone: ZoneInfo) -> tuple[ExportFile, str]:
        """The export and its download URL; UsageError for what the user must fix first."""
        if not self.name:
            raise UsageError("choose a dataset first")
        since = utc_bound(self.start, zone, "From")
        until = utc_bound(self.end, zone, "To")
        if since is not None and until is not None and since >= until:
            raise UsageError("From must be before To", hint="the range is From (incl.) to To")
        start = since.isoformat() if since is not None else None
        end = until.isoformat() if until is not None else None
        fmt, compression = choice(self.fmt, self.compression)
        picked = selection(
            series=list(self.series) or None,
            start=start,
            end=end,
            fields=",".join(self.fields) or None,
        )
        url = download.download_url(
            self.name, fmt, compression, start, end, self.series, self.fields
        )
        return ExportFile(self.name, picked, fmt, compression), url


def estimate_text(record: Dataset, export: ExportFile, rows: int, charged: bool) -> str:
    """About how much the export reads, and the hours it reserves (settled on the time used)."""
    share = record.size_bytes * rows // record.row_count if record.row_count else 0
    cost = f"reserves about {describe(estimated_ms(rows))}" if charged else "not charged"
    return (
        f"About {rows:,} of {record.row_count:,} rows (about {size_text(share)} stored) · "
        f"{export.filename} · {cost}"
    )


def span_text(record: Dataset, visit: Visit) -> str:
    """What the dataset holds, its time range in the user's zone."""
    if not (record.start and record.end):
        return "This dataset holds no data yet"
    return (
        f"Data from {visit.when(record.start)} to {visit.when(record.end)} "
        f"({visit.preferences.time_zone}) · {record.row_count:,} rows · "
        f"{record.series_count} series"
    )


def register(api: FastAPI) -> None:
    """The export page, and the route its downloads come from."""
    download.register(api)

    @ui.page("/export", title="Export · VarioSync")
    async def page(dataset: str | None = None) -> RedirectResponse | None:
        visit = await enter(api, "Export")
        if isinstance(visit, RedirectResponse):
            return visit
        await _form(visit, dataset)
        return None


def _checked(visit: Visit, export: ExportFile) -> tuple[Dataset, int]:
    """The dataset and the rows the export may read, once the export is known to run: the
    dataset is the user's and holds data, the fields exist, the hours cover the reservation."""
    mine = visit.mine
    record = mine.catalog.get(export.name)
    mine.query_lazy(export.name, export.selection.query)  # a bad field or no data fails here
    rows = estimated_rows(mine, record, export.selection)
    shared = visit.shared
    if shared.meter.enforce:
        needed = estimated_ms(rows)
        balance = shared.accounts.ledger.balance_ms(visit.user.id)
        if balance < needed:
            raise PaymentRequiredError(
                f"export needs about {describe(needed)} of compute; "
                f"the balance is {describe(balance)}",
                balance_hours=hours(balance),
                cost_hours=hours(needed),
                hint="ask an administrator for hours, or export less",
            )
    return record, rows


async def _form(visit: Visit, initial: str | None) -> None:
    mine = visit.mine
    zone = visit.zone
    records: dict[str, Dataset] = {}

    with ui.row().classes("items-end gap-2"):
        dataset = ui.select([], label="Dataset", with_input=True).classes("w-64").mark("dataset")
        fmt = ui.select(FORMATS, value="csv", label="Format").classes("w-72").mark("format")
        packing = ui.select(PACKINGS, value=NO_COMPRESSION, label="Compression")
        packing.classes("w-36").mark("compression")
    where = visit.preferences.time_zone
    with ui.row().classes("items-end gap-2"):
        start = ui.input(f"From ({where})").props("clearable type=datetime-local").mark("from")
        end = ui.input(f"To ({where}, excl.)").props("clearable type=datetime-local").mark("to")
        series = ui.select([], label="Series (none: all)", multiple=True, with_input=True)
        series.props("use-chips").classes("w-72").mark("series")
        fields = ui.select([], label="Fields (none: all)", multiple=True)
        fields.props("use-chips").classes("w-72").mark("fields")
    span = ui.label("").classes("text-sm").mark("span")
    estimate = ui.label("").mark("estimate")
    button = ui.button("Download", icon="download").mark("download")

    def form() -> Choice:
        return Choice(
            name=dataset.value or None,
            fmt=str(fmt.value),
            compression=str(packing.value),
            start=start.value,
            end=end.value,
            series=tuple(series.value or ()),
            fields=tuple(fields.value or ()),
        )

    def estimated() -> None:
        """The dataset's range and the estimate, from its catalog entry alone (no I/O):
        refreshed on every change, here or to the dataset elsewhere."""
        record = records.get(dataset.value or "")
        span.text = "" if record is None else span_text(record, visit)
        if record is None:
            estimate.text = ""
            return
        try:
            export, _ = form().export(zone)
        except VarioSyncError as error:
            estimate.text = f"Not yet: {error.message}"
            return
        rows = estimated_rows(mine, record, export.selection)
        estimate.text = estimate_text(record, export, rows, visit.shared.meter.enforce)

    async def chosen() -> None:
        """A dataset was picked: its series, fields and time range."""
        record = records.get(dataset.value or "")
        series.value, fields.value = [], []
        if record is None:
            series.set_options([])
            fields.set_options([])
            estimated()
            return
        try:
            ids = await run.io_bound(mine.series, record.name) or []
        except VarioSyncError as error:
            failed("Dataset", error)
            ids = []
        series.set_options(ids)
        fields.set_options([f.name for f in record.fields])
        estimated()

    async def listed() -> None:
        found = await run.io_bound(mine.datasets) or []
        records.clear()
        records.update({r.name: r for r in found})
        current = dataset.value
        dataset.set_options(sorted(records))
        if current and current not in records:
            dataset.value = None
        elif current:
            estimated()

    async def fetch() -> None:
        try:
            export, url = form().export(zone)
            checked = await run.io_bound(_checked, visit, export)
        except VarioSyncError as error:
            failed("Cannot export", error)
            return
        if checked is None:  # the server is shutting down
            return
        ui.download.from_url(url)
        ui.notify(f"Downloading {export.filename}", type="positive")

    async def changed(_: Event) -> None:
        await listed()

    await listed()
    dataset.on_value_change(chosen)
    for box in (fmt, packing, start, end, series, fields):
        box.on_value_change(estimated)
    button.on_click(fetch)
    visit.follow(changed)
    if initial:
        if initial in records:
            dataset.value = initial
        else:
            ui.notify(f"No dataset {initial[:130]!r} among yours", type="warning")
