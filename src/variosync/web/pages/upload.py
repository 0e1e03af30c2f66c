"""The upload page: files of any format the CLI reads, dropped or picked, kept in a temporary
folder of the page's own under the server's size limit, then ingested into a dataset (new or
existing) with the CLI's options — metered, audited and announced like the API's upload — and
the report: rows written, series, time range, and the rejected rows with their reasons."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import events, run, ui
from nicegui.elements.upload_files import FileUpload

from variosync.api.routes.upload import UploadOptions
from variosync.api.uploads import MAX_FILES, safe_name
from variosync.catalog.datasets import NAME_RULE, validate_name
from variosync.errors import TooLargeError, UsageError, VarioSyncError
from variosync.events import Event
from variosync.ingest import REJECT_SAMPLE, IngestReport, default_series
from variosync.model import IngestOptions, Kind
from variosync.web.frame import Visit, enter
from variosync.web.pages.datasets import size_text

LABELS = {
    "time-col": "Time column",
    "time-format": "Time format",
    "dayfirst": "Day first",
    "tz": "Time zone",
    "series-col": "Series column",
    "fields": "Fields to keep",
    "kind": "Kind",
    "sheet": "Excel sheet",
    "strict": "Strict",
}
"""The page's name for each command-line option a core message may mention."""
_OPTION = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")
KINDS = {"": "Detected from the columns"} | {k.value: k.value for k in Kind}
FILE_COLUMNS: list[dict[str, Any]] = [
    {"name": "file", "label": "File", "field": "file", "align": "left"},
    {"name": "format", "label": "Format", "field": "format", "align": "left"},
    {"name": "rows", "label": "Rows", "field": "rows"},
    {"name": "rejected", "label": "Rejected", "field": "rejected"},
]
REJECT_COLUMNS: list[dict[str, Any]] = [
    {"name": "file", "label": "File", "field": "file", "align": "left"},
    {"name": "row", "label": "Row", "field": "row"},
    {"name": "column", "label": "Column", "field": "column", "align": "left"},
    {"name": "reason", "label": "Reason", "field": "reason", "align": "left"},
]


def in_page_terms(text: str | None) -> str | None:
    """A core message as the page words it: ``--time-col`` becomes 'Time column'."""
    if text is None:
        return None
    return _OPTION.sub(lambda m: repr(LABELS.get(m.group(1), m.group(1).replace("-", "_"))), text)


def dataset_name_for(sent: str) -> str:
    """A dataset name made of a file's name (``Sales 2024.csv.gz`` → ``Sales-2024``), or ""."""
    stem = default_series(Path(safe_name(sent, 0)))
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:128]
    return name if NAME_RULE.match(name) else ""


@dataclass(frozen=True)
class Received:
    """One file received: the name it was sent as and where we keep it."""

    name: str
    path: Path
    size: int
    index: int
    """The order it was sent in (files that arrive together are saved side by side)."""


@dataclass
class Inbox:
    """The files a page received and has not ingested yet, in a temporary folder of its own,
    each under a generated folder and a safe name (so a name the user sent is never a path)."""

    limit: int
    folder: Path | None = None
    files: list[Received] = field(default_factory=list)
    reserved: int = 0
    busy: bool = False
    arriving: int = 0
    """Files being saved right now (an ingest waits for them)."""
    _count: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def take(self, upload: FileUpload) -> Received:
        """Keep an uploaded file; TooLargeError past the size limit or the number of files."""
        size = upload.size()
        if self.busy:
            raise UsageError(f"{upload.name} arrived during an ingest", hint="add it afterwards")
        if self._count >= MAX_FILES:
            raise TooLargeError(
                f"{upload.name} is refused: one upload holds at most {MAX_FILES} files",
                hint="ingest these first, then the rest",
            )
        if self.reserved + size > self.limit:
            raise TooLargeError(
                f"{upload.name} is refused: the files of one upload may hold "
                f"{size_text(self.limit)} in all, and this one takes them to "
                f"{size_text(self.reserved + size)}",
                hint="ingest fewer or smaller files at once (the operator sets "
                "VARIOSYNC_UPLOAD_MAX_BYTES)",
            )
        self._count += 1
        self.reserved += size
        self.arriving += 1
        index = self._count
        try:
            async with self._lock:
                if self.folder is None:
                    made = await run.io_bound(tempfile.mkdtemp, prefix="variosync-web-upload-")
                    self.folder = Path(str(made))
            target = self.folder / str(index) / safe_name(upload.name, index)
            await upload.save(target)
        except BaseException:
            self.reserved -= size
            raise
        finally:
            self.arriving -= 1
        received = Received(upload.name, target, size, index)
        self.files = sorted([*self.files, received], key=lambda f: f.index)
        return received

    @property
    def size(self) -> int:
        """Bytes of the files received."""
        return sum(f.size for f in self.files)

    def sent_names(self) -> dict[str, str]:
        """Each file's path, and its base name, to the name it was sent as."""
        names = {str(f.path): f.name for f in self.files}
        return names | {f.path.name: f.name for f in self.files}

    def scrub(self, text: str | None) -> str | None:
        """A message about our files as the user knows them: by the names they sent."""
        if text is None or self.folder is None:
            return text
        text = re.sub(re.escape(str(self.folder)) + r"/\d+/", "", text)
        for received in self.files:
            if received.path.name != received.name:
                text = text.replace(received.path.name, received.name)
        return text

    async def clear(self) -> None:
        """Remove every file received (and the folder)."""
        folder, self.folder = self.folder, None
        self.files, self.reserved, self._count = [], 0, 0
        if folder is not None:
            await run.io_bound(shutil.rmtree, folder, True)


def register(api: FastAPI) -> None:
    """The upload page."""

    @ui.page("/upload", title="Upload · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Upload")
        if isinstance(visit, RedirectResponse):
            return visit
        await _uploader(visit)
        return None


def notify_error(error: VarioSyncError, inbox: Inbox, what: str = "Upload failed") -> None:
    """A user's error as a notification, in the page's words, our temp paths left out."""
    message = in_page_terms(inbox.scrub(error.message))
    hint = in_page_terms(inbox.scrub(error.hint))
    ui.notify(f"{what}: {message}" + (f" ({hint})" if hint else ""), type="negative")


async def _uploader(visit: Visit) -> None:
    settings = visit.shared.settings
    inbox = Inbox(settings.upload_max_bytes)

    async def forget() -> None:
        if not inbox.busy:  # an ingest under way removes its files itself
            await inbox.clear()

    ui.context.client.on_delete(forget)
    with ui.row().classes("w-full items-start gap-6"):
        with ui.column().classes("gap-2"):
            uploader = ui.upload(
                label="Drop files here, or pick them (+)",
                multiple=True,
                auto_upload=True,
                max_total_size=settings.upload_max_bytes,
                max_files=MAX_FILES,
            ).classes("w-96")
            ui.label(
                "CSV, TSV, JSON, JSONL, Parquet, Excel, Stooq, line protocol; "
                f".gz, .zst, .zip… up to {size_text(settings.upload_max_bytes)} in all"
            ).classes("text-xs text-gray-500 w-96")
            received = ui.column().classes("gap-0").mark("received")
        with ui.column().classes("gap-1 w-96"):
            dataset = ui.input("Dataset (new or existing)").classes("w-full").mark("dataset")
            series_col = ui.input("Series column", placeholder="detected").mark("series-col")
            time_col = ui.input("Time column", placeholder="detected").mark("time-col")
            time_format = ui.input("Time format", placeholder="e.g. %d/%m/%Y %H:%M")
            time_format.mark("time-format")
            dayfirst = ui.checkbox("Day first (01/02/2024 is 1 February)").mark("dayfirst")
            zones = sorted(available_timezones())
            tz = ui.select(zones, value="UTC", label="Time zone of naive timestamps")
            tz.props("use-input input-debounce=0").classes("w-full").mark("tz")
            kind = ui.select(KINDS, value="", label="Kind").classes("w-full").mark("kind")
            fields = ui.input("Fields to keep", placeholder="all; or e.g. temperature, humidity")
            fields.mark("fields")
            sheet = ui.input("Excel sheet", placeholder="the first").mark("sheet")
            strict = ui.checkbox("Strict: write nothing if any row is rejected").mark("strict")
            for box in (series_col, time_col, time_format, fields, sheet):
                box.classes("w-full")
    with ui.row().classes("items-center gap-4"):
        button = ui.button("Ingest", icon="upload").mark("ingest")
        status = ui.label().mark("ingest-status")
    progress = ui.linear_progress(show_value=False).props("indeterminate").classes("w-full")
    progress.set_visibility(False)
    report_box = ui.column().classes("w-full gap-2").mark("report")

    def show_received() -> None:
        received.clear()
        with received:
            if inbox.files:
                ui.label("Ready to ingest:").classes("text-sm font-bold")
            for f in inbox.files:
                ui.label(f"{f.name} · {size_text(f.size)}").classes("text-sm")

    async def arrived(event: events.UploadEventArguments) -> None:
        first = not inbox.files and not inbox.arriving  # of files that arrive together
        try:
            got = await inbox.take(event.file)
        except VarioSyncError as error:
            notify_error(error, inbox, "File refused")
            return
        if first and not (dataset.value or "").strip():
            dataset.value = dataset_name_for(got.name)
        show_received()

    async def suggest() -> None:
        records = await run.io_bound(visit.mine.datasets) or []
        dataset.set_autocomplete(sorted(r.name for r in records))

    def chosen() -> IngestOptions:
        def text(box: ui.input) -> str | None:
            return (box.value or "").strip() or None

        options = UploadOptions(
            time_col=text(time_col),
            time_format=text(time_format),
            dayfirst=bool(dayfirst.value),
            tz=tz.value or "UTC",
            series_col=text(series_col),
            fields=text(fields),
            kind=Kind(kind.value) if kind.value else None,
            sheet=text(sheet),
            strict=bool(strict.value),
        )
        return replace(
            options.ingest_options(), max_unpacked_bytes=settings.upload_max_unpacked_bytes
        )

    started = [0.0]
    heard: dict[str, int] = {}  # the ingest's progress, written by its worker thread

    def tick() -> None:
        files = f"{len(inbox.files)} file{'s' if len(inbox.files) != 1 else ''}"
        elapsed = time.monotonic() - started[0]
        doing = ""
        if "write" in heard:
            doing = f" writing {heard['write']:,} rows"
        elif "read" in heard:
            doing = f" {heard['read']:,} rows read"
        status.text = f"Ingesting {files} ({size_text(inbox.size)})…{doing} {elapsed:.0f} s"

    def hear(phase: str, rows: int) -> None:
        heard[phase] = rows

    clock = ui.timer(1.0, tick, active=False)

    def running(on: bool) -> None:
        inbox.busy = on
        button.set_enabled(not on)
        uploader.set_enabled(not on)
        progress.set_visibility(on)
        clock.active = on
        status.text = ""
        if on:
            heard.clear()
            started[0] = time.monotonic()
            tick()

    async def ingest() -> None:
        if inbox.busy:
            return
        if inbox.arriving:
            ui.notify("Wait until every file has arrived", type="warning")
            return
        if not inbox.files:
            ui.notify("Drop or pick at least one file first", type="warning")
            return
        name = (dataset.value or "").strip()
        try:
            validate_name(name)
        except UsageError as error:
            notify_error(error, inbox, "Dataset")
            return
        report_box.clear()
        running(True)
        paths, size, names = [f.path for f in inbox.files], inbox.size, inbox.sent_names()
        report: IngestReport | None = None
        try:
            upload = (await visit.act("upload")).upload
            key = uuid.uuid4().hex
            report = await run.io_bound(upload, paths, name, chosen(), key, size, hear)
        except VarioSyncError as error:
            notify_error(error, inbox)
        finally:
            await inbox.clear()
            uploader.reset()
            show_received()
            running(False)
        if report is not None:
            show_report(visit, report, names, report_box)
            ui.notify(f"Wrote {report.rows_written:,} rows into {name}", type="positive")
            await suggest()

    async def changed(_: Event) -> None:
        await suggest()

    uploader.on_upload(arrived)
    uploader.on_rejected(
        lambda: ui.notify(
            f"Refused: one upload holds at most {MAX_FILES} files and "
            f"{size_text(settings.upload_max_bytes)} in all",
            type="negative",
        )
    )
    button.on_click(ingest)
    visit.follow(changed)
    await suggest()


def show_report(visit: Visit, report: IngestReport, names: dict[str, str], box: ui.column) -> None:
    """The summary of an ingest, files and rejects named as they were sent."""
    span = f"{visit.when(report.start, True)} → {visit.when(report.end, True)}"
    with box:
        ui.label(
            f"{report.rows_written:,} rows written into {report.dataset} "
            f"(version {report.version}, kind {report.kind})"
        ).classes("text-lg").mark("report-summary")
        facts = (
            f"New rows: {report.inserted:,}",
            f"Replaced rows: {report.updated:,}",
            f"Series: {report.series:,}",
            f"Time range: {span}",
            f"Duplicates dropped: {report.duplicates:,}",
            f"Out of time order: {report.out_of_order:,}",
            f"Rejected rows: {report.rejected:,}",
        )
        with ui.row().classes("gap-6"):
            for fact in facts:
                ui.label(fact)
        files = [
            {
                "file": names.get(f.path, Path(f.path).name),
                "format": f.format,
                "rows": f.rows,
                "rejected": f.rejected,
            }
            for f in report.files
        ]
        ui.table(columns=FILE_COLUMNS, rows=files).classes("w-full").mark("report-files")
        if report.rejects_sample:
            shown = len(report.rejects_sample)
            more = f" (the first {shown} shown)" if report.rejected > shown else ""
            were = "row was" if report.rejected == 1 else "rows were"
            ui.label(f"{report.rejected:,} {were} rejected and left out{more}:")
            rejects = [
                {
                    "id": i,
                    "file": names.get(str(r.get("file")), str(r.get("file"))),
                    "row": r.get("row"),
                    "column": r.get("column") or "",
                    "reason": r.get("reason"),
                }
                for i, r in enumerate(report.rejects_sample[:REJECT_SAMPLE])
            ]
            table = ui.table(columns=REJECT_COLUMNS, rows=rejects, row_key="id")
            table.classes("w-full").mark("rejects")
        with ui.row().classes("gap-4"):
            ui.link(f"Explore {report.dataset}", f"/explore?dataset={quote(report.dataset)}")
            ui.link("All datasets", "/")
