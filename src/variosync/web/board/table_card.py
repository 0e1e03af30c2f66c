"""The table card: a dataset's raw points a page at a time — all series or one, 10 to 100
rows a page, times in the user's zone.

A page is read with a query limited to the rows up to its end (one more, to know whether a
next page exists), never the whole dataset.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import polars as pl
from nicegui import ui

from variosync.errors import VarioSyncError
from variosync.model import SERIES, TS
from variosync.query import Query
from variosync.service import Variosync
from variosync.web.board.cards import Save, off_loop
from variosync.web.frame import Visit, failed

TYPE = "table"
TITLE = "Table"
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
ALL = ""
"""The series filter's value for every series."""


def read_page(mine: Variosync, name: str, series: str, size: int, page: int) -> pl.DataFrame:
    """Rows ``page * size`` … of the dataset (or of one series), sorted by series and time:
    up to ``size + 1`` of them (the last one only says there is a next page)."""
    offset = page * size
    query = Query(series=(series,) if series else (), limit=offset + size + 1)
    return mine.query_lazy(name, query).slice(offset, size + 1).collect()


def moment_text(visit: Visit, moment: datetime) -> str:
    """A point's time in the user's zone, to the second (and its fraction when it has one)."""
    text = visit.when(moment, seconds=True)
    return f"{text}.{moment.microsecond:06d}".rstrip("0") if moment.microsecond else text


def cell(visit: Visit, value: object) -> object:
    """A value as a table cell shows it."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return moment_text(visit, value)
    return str(value)


def table_rows(visit: Visit, frame: pl.DataFrame, first: int) -> list[dict[str, Any]]:
    """The rows of a page, numbered from ``first``."""
    rows = []
    for number, point in enumerate(frame.iter_rows(named=True), start=first):
        row: dict[str, Any] = {"_n": number}
        row |= {name: cell(visit, value) for name, value in point.items()}
        rows.append(row)
    return rows


def table_columns(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Row number, time, series, then the dataset's fields."""
    fields = [c for c in frame.columns if c not in (SERIES, TS)]
    columns = [
        {"name": "_n", "label": "#", "field": "_n"},
        {"name": TS, "label": "Time", "field": TS, "align": "left"},
        {"name": SERIES, "label": "Series", "field": SERIES, "align": "left"},
    ]
    return columns + [{"name": f, "label": f, "field": f} for f in fields]


async def render(visit: Visit, card: dict[str, Any], save: Save) -> None:
    """Draw the card: series and page-size choices, previous and next, the page's rows."""
    name = str(card["dataset"])
    names = await off_loop(visit.mine.series, name)
    series = card.get("series") if card.get("series") in names else ALL
    size = card.get("page_size") if card.get("page_size") in PAGE_SIZES else DEFAULT_PAGE_SIZE
    page = card.get("page") if isinstance(card.get("page"), int) and card["page"] >= 0 else 0
    state: dict[str, Any] = {"series": series, "page_size": size, "page": page}

    with ui.row().classes("items-center gap-2"):
        choices = {ALL: "All series"} | {s: s for s in names}
        chosen = ui.select(choices, value=series, label="Series", with_input=True)
        chosen.classes("w-48").mark("table-series")
        sizes = ui.select(list(PAGE_SIZES), value=size, label="Rows a page")
        sizes.classes("w-28").mark("table-size")
        previous = ui.button(icon="chevron_left").props("flat dense").mark("table-previous")
        position = ui.label().mark("table-position")
        following = ui.button(icon="chevron_right").props("flat dense").mark("table-next")
    table = ui.table(columns=[], rows=[], row_key="_n").props("dense flat")
    table.classes("w-full").mark("table-rows")

    async def show() -> None:
        frame = await off_loop(
            read_page, visit.mine, name, state["series"], state["page_size"], state["page"]
        )
        first = state["page"] * state["page_size"] + 1
        shown = frame.head(state["page_size"])
        table.columns = table_columns(frame)
        table.rows = table_rows(visit, shown, first)
        table.update()
        position.set_text(
            f"Rows {first}–{first + shown.height - 1}" if shown.height else "No rows on this page"
        )
        previous.set_enabled(state["page"] > 0)
        following.set_enabled(frame.height > state["page_size"])

    async def change(**settings: Any) -> None:
        state.update(settings)
        await save(dict(state))
        try:
            await show()
        except VarioSyncError as exc:
            failed(f"Cannot show {name}", exc)

    chosen.on_value_change(lambda e: change(series=e.value or ALL, page=0))
    sizes.on_value_change(lambda e: change(page_size=e.value, page=0))
    previous.on_click(lambda: change(page=max(0, state["page"] - 1)))
    following.on_click(lambda: change(page=state["page"] + 1))
    await show()
