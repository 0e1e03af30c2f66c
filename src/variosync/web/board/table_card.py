"""The table card: a dataset's raw points a page at a time — all series or one, 10 to 100
rows a page, times in the user's zone.

Pages are read by their keys, never by an offset: rows are ordered by (series, time), a key
the store keeps unique, and a page is the rows from its first key on (the next page starts at
the row after its last), or the rows just before the first key (the page before). A page
reads its series' rows from that time on (an equality on the series prunes row groups) and,
when the series runs out, the next series' first rows: memory and time stay flat however
large the dataset, where sorting it and skipping an offset held every row before the page.
Each read is metered like the REST query of the same selection (``Actions.read``).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import polars as pl
from nicegui import ui

from variosync.api.actions import REFUSED, refusal
from variosync.errors import VarioSyncError
from variosync.model import SERIES, TS
from variosync.query import Query, utc_literal
from variosync.service import Variosync
from variosync.web.board.cards import Save, off_loop
from variosync.web.frame import Visit, failed

TYPE = "table"
TITLE = "Table"
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
ALL = ""
"""The series filter's value for every series."""

Key = tuple[str, datetime]
"""A row's place in (series, time) order: its series and its time (UTC)."""


@dataclass(frozen=True)
class Page:
    """Up to a page of rows in (series, time) order, and the first row of the page after it
    (None: it is the last)."""

    rows: pl.DataFrame
    following: Key | None


def key_of(frame: pl.DataFrame, index: int) -> Key:
    """The key of the row at ``index``."""
    return str(frame[SERIES][index]), frame[TS][index]


def saved_key(value: object) -> Key | None:
    """A key as a card saves it (``[series, ISO time]``), None for anything else."""
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):
        return None
    try:
        moment = datetime.fromisoformat(value[1])
    except ValueError:
        return None
    return value[0], moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def key_json(key: Key | None) -> list[str] | None:
    """A key as a card saves it."""
    return None if key is None else [key[0], key[1].isoformat()]


def _ordered(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Series, time, then the dataset's fields, as a query returns them."""
    fields = [c for c in scan.collect_schema().names() if c not in (SERIES, TS)]
    return scan.select(SERIES, TS, *fields)


def _first_series(scan: pl.LazyFrame) -> str | None:
    """The smallest series id (None: no rows): the first row's, unless a smaller one exists —
    found with a filter that the row groups' statistics mostly answer, where a plain
    minimum reads the whole column."""
    head = scan.select(SERIES).head(1).collect()
    if not head.height:
        return None
    candidate = str(head.item())
    smaller = scan.filter(pl.col(SERIES) < candidate).select(pl.col(SERIES).min()).collect()
    return str(smaller.item()) if smaller.item() is not None else candidate


def rows_from(
    mine: Variosync, name: str, series: str, start: Key | None, count: int, as_of: int | None
) -> pl.DataFrame:
    """Up to ``count`` rows from ``start`` on (itself included; None: the first row), of one
    series or (``series`` empty) of all, in (series, time) order."""
    scan = _ordered(mine.scan(name, as_of))
    if start is None or (series and start[0] != series):
        first = series or _first_series(scan)
        if first is None:  # no rows
            return scan.head(0).collect()
        current = scan.filter(pl.col(SERIES) == first)
    else:
        first = start[0]
        current = scan.filter(pl.col(SERIES) == first, pl.col(TS) >= utc_literal(start[1]))
    found = current.sort(TS).head(count).collect()
    if found.height >= count or series:
        return found
    rest = scan.filter(pl.col(SERIES) > first).sort(SERIES, TS).head(count - found.height)
    return pl.concat([found, rest.collect()])


def rows_before(
    mine: Variosync, name: str, series: str, first: Key, count: int, as_of: int | None
) -> pl.DataFrame:
    """Up to ``count`` rows just before ``first``, of one series or of all, in (series,
    time) order."""
    scan = _ordered(mine.scan(name, as_of))
    current = scan.filter(pl.col(SERIES) == first[0], pl.col(TS) < utc_literal(first[1]))
    found = current.sort(TS, descending=True).head(count).collect()
    if found.height < count and not series:
        earlier = scan.filter(pl.col(SERIES) < first[0]).sort(SERIES, TS, descending=True)
        found = pl.concat([found, earlier.head(count - found.height).collect()])
    return found.reverse()


def page_from(
    mine: Variosync, name: str, series: str, size: int, start: Key | None, as_of: int | None = None
) -> Page:
    """The page that starts at ``start`` (None: the first page)."""
    found = rows_from(mine, name, series, start, size + 1, as_of)
    following = key_of(found, size) if found.height > size else None
    return Page(found.head(size), following)


def page_before(
    mine: Variosync, name: str, series: str, size: int, first: Key, as_of: int | None = None
) -> Page:
    """The page that ends just before ``first`` (shorter than ``size`` at the start)."""
    return Page(rows_before(mine, name, series, first, size, as_of), first)


def read_query(series: str) -> Query:
    """What a page reads, as the REST query it is metered like."""
    return Query(series=(series,) if series else ())


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
    start = saved_key(card.get("start"))
    if start is None:  # a card saved before pages had keys starts again at the top
        page = 0
    state: dict[str, Any] = {"series": series, "page_size": size, "page": page, "start": start}
    # the first row of the page after the one on screen (None: none, or nothing on screen)
    shown: dict[str, Key | None] = {"following": None}

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

    async def read(before: Key | None = None) -> Page | None:
        """The page from ``state["start"]`` (or the one before ``before``): None, said on
        the card, when the read is refused (out of hours, too many reads, signed out)."""
        chosen_series, page_size = state["series"], state["page_size"]
        reader = (
            partial(page_from, visit.mine, name, chosen_series, page_size, state["start"])
            if before is None
            else partial(page_before, visit.mine, name, chosen_series, page_size, before)
        )
        try:
            actions = await visit.act("query")
            return await off_loop(actions.read, name, read_query(chosen_series), reader)
        except REFUSED as exc:
            shown["following"] = None
            table.rows = []
            table.update()
            position.set_text(refusal(exc))
            previous.set_enabled(state["page"] > 0)
            following.set_enabled(False)
            failed(f"Cannot show {name}", exc)
            return None

    def draw(found: Page) -> None:
        first = state["page"] * state["page_size"] + 1
        rows = found.rows
        shown["following"] = found.following
        table.columns = table_columns(rows)
        table.rows = table_rows(visit, rows, first)
        table.update()
        position.set_text(
            f"Rows {first}–{first + rows.height - 1}" if rows.height else "No rows on this page"
        )
        previous.set_enabled(state["page"] > 0)
        following.set_enabled(found.following is not None)

    async def show() -> None:
        found = await read()
        if found is not None:
            draw(found)

    async def change(**settings: Any) -> None:
        state.update(settings)
        await save(state | {"start": key_json(state["start"])})
        try:
            await show()
        except VarioSyncError as exc:
            failed(f"Cannot show {name}", exc)

    turning = asyncio.Lock()  # a click while a page is read is dropped: it would count twice

    async def forward() -> None:
        if shown["following"] is not None and not turning.locked():
            async with turning:
                await change(page=state["page"] + 1, start=shown["following"])

    async def back() -> None:
        if not turning.locked():
            async with turning:
                await earlier()

    async def earlier() -> None:
        if state["page"] <= 1 or state["start"] is None:
            await change(page=0, start=None)
            return
        try:
            found = await read(before=state["start"])
        except VarioSyncError as exc:
            failed(f"Cannot show {name}", exc)
            return
        if found is None:
            return
        if found.rows.height < state["page_size"]:  # rows came or went: number from the top
            await change(page=0, start=None)
            return
        state.update(page=state["page"] - 1, start=key_of(found.rows, 0))
        draw(found)
        await save(state | {"start": key_json(state["start"])})

    chosen.on_value_change(lambda e: change(series=e.value or ALL, page=0, start=None))
    sizes.on_value_change(lambda e: change(page_size=e.value, page=0, start=None))
    previous.on_click(back)
    following.on_click(forward)
    await show()
