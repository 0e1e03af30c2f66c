"""The aggregates card: hourly or daily buckets of a dataset — points, distinct series and a
chosen aggregate (mean, min, max, sum…) of a chosen field — as a table and a small plot.

Hourly buckets are cut in UTC, like the API's aggregates; daily ones follow the calendar of
the user's time zone. Results are kept in the query-result cache, keyed by the dataset's
version, so a view seen again is not computed again (and a new version never finds a stale
one).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
from nicegui import ui

from variosync.cache import ResultCache, interval_key, result_key
from variosync.errors import UsageError, VarioSyncError
from variosync.model import SERIES, TS
from variosync.query import NUMERIC_ONLY, Agg, agg_expr, parse_duration
from variosync.service import Variosync
from variosync.web.board.cards import Save, off_loop
from variosync.web.frame import Visit, failed

TYPE = "aggregates"
TITLE = "Aggregates"
BUCKETS = {"1h": "Hourly", "1d": "Daily"}
MAX_SHOWN = 2_000
"""Buckets shown at most (the latest): hourly buckets of years are a table no one reads."""
NO_FIELD = ""


def field_kinds(mine: Variosync, name: str) -> dict[str, bool]:
    """The dataset's fields, each with whether it holds numbers."""
    schema = mine.scan(name).collect_schema()  # says so when the dataset holds no data
    return {n: schema[n].is_numeric() for n in schema.names() if n not in (SERIES, TS)}


def bucket_frame(
    scan: pl.LazyFrame, every: str, field: str | None, agg: Agg, zone: str
) -> pl.LazyFrame:
    """Points, distinct series and (with a field) ``agg`` of it per bucket of ``every``,
    sorted by time; buckets of a day or longer follow the calendar of ``zone``."""
    width = parse_duration(every)
    frame = scan
    if zone != "UTC" and width[-1] in "dwoqy":
        frame = frame.with_columns(pl.col(TS).dt.convert_time_zone(zone))
    exprs = [pl.len().alias("points"), pl.col(SERIES).n_unique().alias("series")]
    if field is not None:
        exprs.append(agg_expr(field, agg).alias("value"))
    return frame.group_by(pl.col(TS).dt.truncate(width)).agg(exprs).sort(TS)


def buckets(
    mine: Variosync,
    cache: ResultCache,
    name: str,
    every: str,
    field: str | None,
    agg: Agg,
    zone: str,
) -> pl.DataFrame:
    """The dataset's buckets (``ts``, ``points``, ``series`` and, with a field, ``value``),
    from the cache when this view of its version was seen before."""
    record = mine.catalog.get(name)
    scan = mine.scan(name, record.version)  # says so when the dataset holds no data
    schema = scan.collect_schema()
    if field is not None and field not in schema.names():
        field = None  # the field is gone (a new version): show the counts alone
    if field is not None and agg in NUMERIC_ONLY and not schema[field].is_numeric():
        raise UsageError(
            f"field {field!r} holds text; {agg} needs numbers",
            hint="choose min, max, first, last or count, or a numeric field",
        )
    daily = parse_duration(every)[-1] in "dwoqy"
    params = {"every": interval_key(every), "field": field, "agg": agg.value if field else None}
    key = result_key(record.id, record.version, zone if daily else None, "explore", params)
    frame = cache.get(key)
    if frame is None:
        frame = bucket_frame(scan, every, field, agg, zone).collect()
        cache.put(key, frame)
    return frame


def _number(value: object) -> object:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def _plot(labels: list[str], frame: pl.DataFrame, value_name: str | None) -> None:
    series: list[dict[str, Any]] = [
        {"name": "points", "type": "bar", "data": frame.get_column("points").to_list()}
    ]
    axes: list[dict[str, Any]] = [{"type": "value", "name": "points"}]
    if value_name is not None:
        values = [_number(v) for v in frame.get_column("value").to_list()]
        series.append(
            {"name": value_name, "type": "line", "yAxisIndex": 1, "data": values, "symbol": "none"}
        )
        axes.append({"type": "value", "name": value_name, "scale": True})
    options = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 56, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": axes,
        "series": series,
    }
    ui.echart(options).classes("w-full").style("height: 220px; min-height: 220px").mark("agg-plot")


def _table(labels: list[str], frame: pl.DataFrame, value_name: str | None) -> None:
    columns = [
        {"name": "bucket", "label": "Bucket", "field": "bucket", "align": "left"},
        {"name": "points", "label": "Points", "field": "points"},
        {"name": "series", "label": "Series", "field": "series"},
    ]
    if value_name is not None:
        columns.append({"name": "value", "label": value_name, "field": "value"})
    rows = []
    for label, bucket in zip(labels, frame.iter_rows(named=True), strict=True):
        row = {"bucket": label, "points": bucket["points"], "series": bucket["series"]}
        if value_name is not None:
            row["value"] = _number(bucket["value"])
        rows.append(row)
    table = ui.table(columns=columns, rows=rows, row_key="bucket", pagination=10)
    table.props("dense flat").classes("w-full").mark("agg-table")


async def render(visit: Visit, card: dict[str, Any], save: Save) -> None:
    """Draw the card: bucket width, field and aggregate choices, then the plot and table."""
    name = str(card["dataset"])
    state: dict[str, Any] = {
        "every": card.get("every") if card.get("every") in BUCKETS else "1h",
        "field": card.get("field") if isinstance(card.get("field"), str) else None,
        "agg": card.get("agg") if card.get("agg") in set(Agg) else Agg.MEAN.value,
    }
    known = await off_loop(field_kinds, visit.mine, name)
    if state["field"] is None:  # a new card: the first numeric field, if any
        state["field"] = next((f for f, numeric in known.items() if numeric), NO_FIELD)

    with ui.row().classes("items-center gap-2"):
        every = ui.select(BUCKETS, value=state["every"], label="Buckets").classes("w-28")
        every.mark("agg-every")
        choices = {NO_FIELD: "(no field)"} | {f: f for f in known}
        start = state["field"] if state["field"] in known else NO_FIELD
        field = ui.select(choices, value=start, label="Field").classes("w-40").mark("agg-field")
        aggregate = ui.select([a.value for a in Agg], value=state["agg"], label="Aggregate")
        aggregate.classes("w-28").mark("agg-agg")
    results = ui.column().classes("w-full gap-2")

    async def show(notify: bool) -> None:
        every_value, chosen = state["every"], state["field"] or None
        try:
            frame = await off_loop(
                buckets,
                visit.mine,
                visit.shared.cache,
                name,
                every_value,
                chosen,
                Agg(state["agg"]),
                visit.preferences.time_zone,
            )
        except UsageError as exc:  # a text field with a numbers-only aggregate
            results.clear()
            with results:
                ui.label(exc.message).classes("text-negative").mark("agg-problem")
            if notify:
                failed(f"Cannot aggregate {name}", exc)
            return
        results.clear()
        with results:
            if frame.height > MAX_SHOWN:
                ui.label(f"The latest {MAX_SHOWN} of {frame.height} buckets").classes("text-sm")
                frame = frame.tail(MAX_SHOWN)
            if frame.is_empty():
                ui.label("No points").mark("agg-empty")
                return
            daily = every_value != "1h"
            labels = [visit.when(t)[:10] if daily else visit.when(t) for t in frame.get_column(TS)]
            value_name = f"{state['agg']} of {chosen}" if "value" in frame.columns else None
            _plot(labels, frame, value_name)
            _table(labels, frame, value_name)

    async def change(**settings: Any) -> None:
        state.update(settings)
        await save(dict(state))
        try:
            await show(notify=True)
        except VarioSyncError as exc:
            failed(f"Cannot aggregate {name}", exc)

    every.on_value_change(lambda e: change(every=e.value))
    field.on_value_change(lambda e: change(field=e.value or NO_FIELD))
    aggregate.on_value_change(lambda e: change(agg=e.value))
    await show(notify=False)
