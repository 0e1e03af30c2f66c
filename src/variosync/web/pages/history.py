"""The history page: a dataset's versions, newest first — when (in the user's zone), what made
each, its details (a cleaning's steps and what they did) and its rows — the data as of any
version, a page at a time, without changing the current one, and restore: an old version made
current as a new version, after a confirmation. Changes made elsewhere refresh the versions.

The points are read a page at a time by their (series, time) keys, as the table card reads
them (``table_card.page_from``): memory stays flat however deep the page. Each page read
spends a request of the user's ``query`` rate limit and is metered like the REST query of
the version. One restore at a time: a second click while the dialog is open does nothing,
and each confirmed restore runs under a key of its own, never twice."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.api.actions import REFUSED, fresh_key, refusal
from variosync.catalog import Dataset
from variosync.errors import NotFoundError, VarioSyncError
from variosync.events import Event
from variosync.model import SERIES, TS
from variosync.query import Query
from variosync.service import Variosync
from variosync.store import VersionInfo
from variosync.web.board.table_card import Key, Page, key_of, page_before, page_from
from variosync.web.frame import Visit, enter, failed

PAGE_ROWS = 50
"""Points shown at once."""

VERSION_COLUMNS: list[dict[str, Any]] = [
    {"name": "version", "label": "Version", "field": "version", "align": "left"},
    {"name": "time", "label": "Time", "field": "time", "align": "left"},
    {"name": "operation", "label": "Operation", "field": "operation", "align": "left"},
    {"name": "details", "label": "Details", "field": "details", "align": "left"},
    {"name": "rows", "label": "Rows", "field": "rows"},
    {"name": "actions", "label": "", "field": "version"},
]
ACTIONS_SLOT = (
    '<q-td :props="props">'
    '<q-btn flat dense icon="table_view" title="View the data as of this version" '
    "@click=\"$parent.$emit('view', props.row.version)\" />"
    '<q-btn v-if="!props.row.current" flat dense icon="restore" title="Restore this version" '
    "@click=\"$parent.$emit('restore', props.row.version)\" />"
    '<q-badge v-if="props.row.current" label="current" />'
    "</q-td>"
)
DETAIL_LABELS = {
    "rows": "rows read",
    "to": "restored version",
    "report": "result",
}
"""How a version's details name its commit metadata (the recipe's JSON is left out: its steps
are shown)."""


def details(metadata: dict[str, str]) -> str:
    """A version's details in one line: files and rows of an ingest, a cleaning's steps and
    what they did, the version a restore brought back."""
    first = [key for key in ("steps", "report") if key in metadata]
    keys = [*first, *(key for key in metadata if key not in first and key != "recipe")]
    return " · ".join(f"{DETAIL_LABELS.get(k, k)}: {metadata[k]}" for k in keys if metadata[k])


@dataclass(frozen=True)
class Versions:
    """A dataset's entry, its versions (newest first) and the rows each holds (None where the
    log no longer says)."""

    record: Dataset
    versions: list[VersionInfo]
    rows: dict[int, int | None]


def versions(mine: Variosync, name: str) -> Versions:
    """The dataset's versions and their row counts: from the profile kept with each version,
    else from the table log's statistics (no data file is read either way)."""
    record = mine.catalog.get(name)
    found = mine.history(name)
    profiled = {
        kept.version: int(kept.profile["rows"])
        for kept in mine.versions.for_dataset(record.id)
        if kept.profile is not None and "rows" in kept.profile
    }
    rows: dict[int, int | None] = {}
    for info in found:
        rows[info.version] = profiled.get(info.version)
        if rows[info.version] is None:
            with contextlib.suppress(NotFoundError):  # a version the log no longer holds
                rows[info.version] = mine.store.row_count(record.id, info.version)
    return Versions(record, found, rows)


def _cell(value: Any) -> Any:
    """A value as a table cell (text for what JSON has no type for)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def register(api: FastAPI) -> None:
    """The history page; ``?dataset=NAME`` picks the dataset."""

    @ui.page("/history", title="History · VarioSync")
    async def page(dataset: str | None = None) -> RedirectResponse | None:
        visit = await enter(api, "History")
        if isinstance(visit, RedirectResponse):
            return visit
        await HistoryPage(visit).draw(dataset)
        return None


class HistoryPage:
    """One visit's history page."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self.name: str | None = None
        self.current = -1
        self.rows: dict[int, int | None] = {}
        self.times: dict[int, datetime] = {}
        self.viewed: int | None = None
        self.offset = 0
        """The number of rows before the page shown (rows are numbered from it)."""
        self.start: Key | None = None
        """The key of the page's first row (None: the version's first page)."""
        self.following: Key | None = None
        self.turning = False
        self.restoring = False
        """A restore's dialog is open or its restore is running: another waits its turn."""

    async def draw(self, wanted: str | None) -> None:
        """The page, with ``wanted`` picked when it is one of the user's datasets."""
        names = [d.name for d in await run.io_bound(self.visit.mine.datasets) or []]
        picked = wanted if wanted in names else None
        self.picker = ui.select(names, value=picked, label="Dataset").classes("w-64")
        self.picker.mark("dataset")
        self.missing = ui.label().classes("text-negative").mark("missing")
        self.missing.set_visibility(False)
        self.body = ui.column().classes("w-full gap-2")
        with self.body:
            ui.label("Versions").classes("text-xl")
            self.table = ui.table(columns=VERSION_COLUMNS, rows=[], row_key="version")
            self.table.classes("w-full").props("dense flat bordered").mark("versions")
            self.table.add_slot("body-cell-actions", ACTIONS_SLOT)
            self.viewing = ui.label().classes("text-xl").mark("viewing")
            self.points = ui.table(columns=[], rows=[], row_key="key").classes("w-full")
            self.points.props("dense flat bordered").mark("points")
            with ui.row().classes("items-center gap-2"):
                self.back = ui.button(icon="chevron_left", on_click=lambda: self._turn(-1))
                self.back.props("flat dense").mark("page-back")
                self.span = ui.label().mark("page")
                self.on = ui.button(icon="chevron_right", on_click=lambda: self._turn(1))
                self.on.props("flat dense").mark("page-on")
        self.body.set_visibility(False)
        self.table.on("view", lambda e: self.view(int(e.args)))
        self.table.on("restore", lambda e: self.restore(int(e.args)))
        self.picker.on_value_change(lambda e: self.choose(e.value))
        self.visit.follow(self.changed)
        if wanted and picked is None:
            self._missing(f"No dataset named {wanted!r} among your datasets: pick one above.")
        elif picked is not None:
            await self.choose(picked)

    def _missing(self, text: str) -> None:
        self.missing.text = text
        self.missing.set_visibility(True)
        ui.notify(text, type="negative")

    async def choose(self, name: str | None) -> None:
        """Show a dataset's versions and its current data."""
        self.name = name
        self.viewed = None
        self.body.set_visibility(False)
        if name:
            self.missing.set_visibility(False)
            if await self._refresh():
                await self.view(self.current)

    async def _refresh(self) -> bool:
        """Read the versions again; whether there are any to show."""
        name = self.name
        if name is None:
            return False
        try:
            found = await run.io_bound(versions, self.visit.mine, name)
        except VarioSyncError as exc:
            failed("Dataset", exc)
            return False
        if found is None or name != self.name:
            return False
        self.current = found.record.version
        self.rows = found.rows
        self.times = {v.version: v.timestamp for v in found.versions}
        self.table.rows = [
            {
                "version": v.version,
                "time": self.visit.when(v.timestamp, seconds=True),
                "operation": v.operation,
                "details": details(v.metadata),
                "rows": found.rows.get(v.version),
                "current": v.version == self.current,
            }
            for v in found.versions
        ]
        self.table.update()
        self.body.set_visibility(True)
        if not found.versions:
            self.viewing.text = f"{name} holds no data yet."
            self.points.rows = []
            self.span.text = ""
        return bool(found.versions)

    async def view(self, version: int) -> None:
        """Show the points of ``version`` from the first page (the current version stays)."""
        self.viewed = version
        self.offset, self.start = 0, None
        await self._page()

    async def _turn(self, by: int) -> None:
        if self.turning:  # a click while a page is read is dropped: it would count twice
            return
        self.turning = True
        try:
            await self._turned(by)
        finally:
            self.turning = False

    async def _turned(self, by: int) -> None:
        if by > 0 and self.following is not None:
            self.offset, self.start = self.offset + PAGE_ROWS, self.following
            await self._page()
        elif by < 0 and self.offset <= PAGE_ROWS:
            self.offset, self.start = 0, None
            await self._page()
        elif by < 0 and self.start is not None:
            await self._page(before=self.start)

    async def _page(self, before: Key | None = None) -> None:
        """Read and show the page from ``self.start``, or the page before ``before``."""
        name, version, start = self.name, self.viewed, self.start
        if name is None or version is None:
            return
        mine = self.visit.mine
        reader = (
            partial(page_from, mine, name, "", PAGE_ROWS, start, version)
            if before is None
            else partial(page_before, mine, name, "", PAGE_ROWS, before, version)
        )
        try:
            actions = await self.visit.act("query")
            found = await run.io_bound(actions.read, name, Query(), reader, version)
        except REFUSED as exc:
            self._refused(exc)
            return
        except VarioSyncError as exc:
            failed("Version", exc)
            return
        if found is None or (name, version, start) != (self.name, self.viewed, self.start):
            return
        if before is not None:
            if found.rows.height < PAGE_ROWS:  # rows came or went: back to the first page
                self.offset, self.start = 0, None
                await self._page()
                return
            self.offset -= PAGE_ROWS
            self.start = key_of(found.rows, 0)
        self._show(name, version, found)

    def _refused(self, exc: VarioSyncError) -> None:
        """A page read was refused (out of hours, too many reads): no points, and why."""
        self.following = None
        self.points.rows = []
        self.points.update()
        self.span.text = refusal(exc)
        self.back.set_enabled(self.offset > 0)
        self.on.set_enabled(False)
        failed("Version", exc)

    def _show(self, name: str, version: int, found: Page) -> None:
        frame, offset = found.rows, self.offset
        self.following = found.following
        when = self.visit.when
        self.points.columns = [
            {"name": c, "label": c, "field": c, "align": "left" if c in (SERIES, TS) else "right"}
            for c in frame.columns
        ]
        self.points.rows = [
            {"key": offset + i}
            | {c: when(v, seconds=True) if c == TS else _cell(v) for c, v in row.items()}
            for i, row in enumerate(frame.iter_rows(named=True))
        ]
        self.points.update()
        total = self.rows.get(version)
        state = "current" if version == self.current else f"current is version {self.current}"
        self.viewing.text = (
            f"{name} as of version {version}, {when(self.times.get(version))} ({state})"
        )
        last = offset + frame.height
        of = f" of {total:,}" if total is not None else ""
        self.span.text = f"rows {offset + 1:,}–{last:,}{of}" if frame.height else f"no rows{of}"
        self.back.set_enabled(offset > 0)
        self.on.set_enabled(found.following is not None)

    async def restore(self, version: int) -> None:
        """Make ``version`` current as a new version, after a confirmation — one at a time:
        asked again while its dialog is open or it runs (a double click), nothing happens."""
        name = self.name
        if name is None or self.restoring:
            return
        self.restoring = True
        try:
            record = await self._restore(name, version)
        finally:
            self.restoring = False
        if record is None or name != self.name:
            return
        await self._refresh()
        await self.view(record.version)
        ui.notify(f"Restored version {version} of {name} as version {record.version}")

    async def _restore(self, name: str, version: int) -> Dataset | None:
        """The dataset after the restore the user confirmed; None when they did not, or it
        failed (said)."""
        with ui.dialog() as dialog, ui.card():
            ui.label(
                f"Restore version {version} of {name}? A new version will hold its rows; "
                "every version stays in the history."
            )
            with ui.row():
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).mark("cancel-restore")
                confirm = ui.button("Restore", on_click=lambda: dialog.submit(True))
                confirm.props("color=primary").mark("confirm-restore")
        confirmed = await dialog
        dialog.delete()
        if not confirmed:
            return None
        key = fresh_key("restore")  # this confirmation's: the same restore never runs twice
        try:
            actions = await self.visit.act()
            return await run.io_bound(actions.restore, name, version, key)
        except VarioSyncError as exc:
            failed("Restore failed", exc)
            return None

    async def changed(self, event: Event) -> None:
        """Another tab, the CLI or the API changed a dataset: follow it."""
        names = [d.name for d in await run.io_bound(self.visit.mine.datasets) or []]
        name = event.data.get("dataset")
        gone = name == self.name and name not in names
        self.picker.set_options(names, value=None if gone else self.picker.value)
        if gone:
            self._missing(f"Dataset {name!r} was deleted.")
        elif name == self.name:
            await self._refresh()
            if self.viewed is None:
                await self.view(self.current)
