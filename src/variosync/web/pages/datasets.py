"""The storage browser: the signed-in user's datasets — name, kind, rows, series, time range,
size, version, last update — searchable by name, series, field and date range, deletable after
a confirmation. Changes made elsewhere (another tab, the CLI, the API) appear as they happen.

A search waits for typing to pause (the inputs' debounce) and only the latest one is shown: an
older, slower search (by series, it reads every dataset's series) never overwrites a newer one.
One delete at a time: a double click opens one confirmation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.catalog import Dataset
from variosync.errors import NotFoundError, VarioSyncError
from variosync.events import Event
from variosync.service import Variosync
from variosync.web.frame import Visit, enter, failed

DEBOUNCE_MS = 300
"""How long typing pauses before a search runs."""
COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Name", "field": "name", "sortable": True, "align": "left"},
    {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
    {"name": "rows", "label": "Rows", "field": "rows", "sortable": True},
    {"name": "series", "label": "Series", "field": "series", "sortable": True},
    {"name": "range", "label": "Time range", "field": "range", "align": "left"},
    {"name": "size", "label": "Size", "field": "size", "sortable": True},
    {"name": "version", "label": "Version", "field": "version"},
    {"name": "updated", "label": "Updated", "field": "updated", "align": "left"},
    {"name": "actions", "label": "", "field": "name"},
]


def size_text(size: int) -> str:
    """Bytes for people: 512 B, 1.5 KiB, 3.2 MiB…"""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(size)


def row(record: Dataset, visit: Visit) -> dict[str, Any]:
    """One table row of a dataset, times in the user's zone."""
    span = (
        f"{visit.when(record.start)} → {visit.when(record.end)}"
        if record.start and record.end
        else "empty"
    )
    return {
        "name": record.name,
        "kind": record.kind,
        "rows": record.row_count,
        "series": record.series_count,
        "range": span,
        "size": size_text(record.size_bytes),
        "version": record.version,
        "updated": visit.when(record.updated_at),
    }


def _day(text: str | None, end: bool = False) -> datetime | None:
    """A date picker's value as the start (or the end) of that UTC day; None when empty."""
    if not text:
        return None
    day = date.fromisoformat(text)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment.replace(hour=23, minute=59, second=59) if end else moment


def matching(
    mine: Variosync,
    records: list[Dataset],
    name: str,
    series: str,
    field: str,
    since: datetime | None,
    until: datetime | None,
) -> list[Dataset]:
    """The datasets whose name contains ``name``, with a series id containing ``series``, a
    field named like ``field``, and data overlapping ``since``…``until`` (each when given).
    A dataset deleted while this runs is left out."""
    found = []
    for record in records:
        if name and name.lower() not in record.name.lower():
            continue
        if field and not any(field.lower() in f.name.lower() for f in record.fields):
            continue
        if since is not None and (record.end is None or record.end < since):
            continue
        if until is not None and (record.start is None or record.start > until):
            continue
        if series and not any(series.lower() in s.lower() for s in _series(mine, record)):
            continue
        found.append(record)
    return found


def _series(mine: Variosync, record: Dataset) -> list[str]:
    """The dataset's series ids; none when it was deleted since it was listed."""
    try:
        return mine.series(record.name)
    except NotFoundError:
        return []


def register(api: FastAPI) -> None:
    """The datasets page (the dashboard's home)."""

    @ui.page("/", title="Datasets · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Datasets")
        if isinstance(visit, RedirectResponse):
            return visit
        await _browser(visit)
        return None


async def _browser(visit: Visit) -> None:
    mine = visit.mine
    typed = f"clearable debounce={DEBOUNCE_MS}"
    with ui.row().classes("items-end gap-2"):
        name = ui.input("Name").props(typed).classes("w-48").mark("search-name")
        series = ui.input("Series").props(typed).classes("w-40").mark("search-series")
        field = ui.input("Field").props(typed).classes("w-40").mark("search-field")
        since = ui.input("From (date)").props(f"{typed} type=date").mark("search-from")
        until = ui.input("To (date)").props(f"{typed} type=date").mark("search-to")
    table = ui.table(columns=COLUMNS, rows=[], row_key="name").classes("w-full")
    table.add_slot(
        "body-cell-actions",
        '<q-td :props="props"><q-btn flat dense icon="delete" '
        "@click=\"$parent.$emit('delete', props.row.name)\" /></q-td>",
    )

    searches = [0]  # the number of the latest search: only its rows are shown
    busy = [False]  # a delete's confirmation is open or it runs

    async def refresh() -> None:
        searches[0] += 1
        this = searches[0]
        try:
            bounds = (_day(since.value), _day(until.value, end=True))
        except ValueError:
            ui.notify("Dates are YYYY-MM-DD", type="warning")
            return
        text, ids, fields = ((box.value or "").strip() for box in (name, series, field))
        try:
            records = await run.io_bound(mine.datasets) or []
            shown = await run.io_bound(matching, mine, records, text, ids, fields, *bounds)
        except VarioSyncError as exc:
            failed("Search failed", exc)
            return
        if this != searches[0]:  # a newer search began meanwhile: its rows win
            return
        table.rows = [row(r, visit) for r in shown or []]
        table.update()

    async def delete(dataset: str) -> None:
        if busy[0]:  # the second click of a double click
            return
        busy[0] = True
        try:
            await _delete(dataset)
        finally:
            busy[0] = False

    async def _delete(dataset: str) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(f"Delete dataset {dataset} and all its versions? This cannot be undone.")
            with ui.row():
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).mark("cancel-delete")
                confirm = ui.button("Delete", on_click=lambda: dialog.submit(True))
                confirm.props("color=negative").mark("confirm-delete")
        confirmed = await dialog
        dialog.delete()
        if confirmed:
            try:
                actions = await visit.act()
                await run.io_bound(actions.delete, dataset)
            except VarioSyncError as exc:
                failed("Not deleted", exc)
                await refresh()
                return
            # gone from the table at once (a search running now may finish after this one)
            table.rows = [r for r in table.rows if r["name"] != dataset]
            table.update()
            ui.notify(f"Deleted {dataset}")
            await refresh()

    async def changed(_: Event) -> None:
        await refresh()

    table.on("delete", lambda event: delete(str(event.args)))
    for box in (name, series, field, since, until):
        box.on_value_change(refresh)
    visit.follow(changed)
    await refresh()
