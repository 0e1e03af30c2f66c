"""The storage browser: the signed-in user's datasets — name, kind, rows, series, time range,
size, version, last update — searchable by name, deletable after a confirmation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.accounts import Principal
from variosync.catalog import Dataset
from variosync.web.frame import enter
from variosync.web.session import services

COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Name", "field": "name", "sortable": True, "align": "left"},
    {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
    {"name": "rows", "label": "Rows", "field": "rows", "sortable": True},
    {"name": "series", "label": "Series", "field": "series", "sortable": True},
    {"name": "range", "label": "Time range (UTC)", "field": "range", "align": "left"},
    {"name": "size", "label": "Size", "field": "size", "sortable": True},
    {"name": "version", "label": "Version", "field": "version"},
    {"name": "updated", "label": "Updated (UTC)", "field": "updated", "align": "left"},
]


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def row(record: Dataset) -> dict[str, Any]:
    """One table row of a dataset."""
    span = (
        f"{record.start:%Y-%m-%d %H:%M} → {record.end:%Y-%m-%d %H:%M}"
        if record.start and record.end
        else "empty"
    )
    return {
        "name": record.name,
        "kind": record.kind,
        "rows": record.row_count,
        "series": record.series_count,
        "range": span,
        "size": _size(record.size_bytes),
        "version": record.version,
        "updated": f"{record.updated_at:%Y-%m-%d %H:%M}",
    }


def register(api: FastAPI) -> None:
    """The datasets page (the dashboard's home)."""

    @ui.page("/", title="Datasets · VarioSync")
    async def page() -> RedirectResponse | None:
        principal = await enter(api, "Datasets")
        if isinstance(principal, RedirectResponse):
            return principal
        await _browser(api, principal)
        return None


async def _browser(api: FastAPI, principal: Principal) -> None:
    mine = services(api).service.as_owner(principal.user.id)
    search = ui.input("Search by name").props("clearable").classes("w-64")
    table = ui.table(columns=COLUMNS, rows=[], row_key="name").classes("w-full")
    table.add_slot(
        "body-cell-actions",
        '<q-td :props="props"><q-btn flat dense icon="delete" '
        "@click=\"$parent.$emit('delete', props.row.name)\" /></q-td>",
    )
    table.columns.append({"name": "actions", "label": "", "field": "name"})

    async def refresh() -> None:
        records = await run.io_bound(mine.datasets) or []
        needle = (search.value or "").strip().lower()
        table.rows = [row(r) for r in records if needle in r.name.lower()]
        table.update()

    async def delete(name: str) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(f"Delete dataset {name} and all its versions? This cannot be undone.")
            with ui.row():
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).mark("cancel-delete")
                confirm = ui.button("Delete", on_click=lambda: dialog.submit(True))
                confirm.props("color=negative").mark("confirm-delete")
        confirmed = await dialog
        dialog.delete()
        if confirmed:
            await run.io_bound(mine.delete, name)
            await refresh()
            ui.notify(f"Deleted {name}")

    table.on("delete", lambda event: delete(str(event.args)))
    search.on_value_change(refresh)
    await refresh()
