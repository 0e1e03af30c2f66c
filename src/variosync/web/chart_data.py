"""Chart data on the request path: the window of a dataset a chart shows, read (only the
series, fields and time asked), thinned to about one point per pixel (``variosync.charts``:
MinMaxLTTB lines with gaps as NaN breaks, or candles of candles), as Plotly traces of typed
arrays. Blocking: the card runs it off the event loop.

The thinned points are cached (``ResultCache``) under the dataset's id and version, the zone
and the normalised request, so a repeated view or zoom is a hit, and a new version is a key
never seen before.

Reading is metered as the REST query of the same series and window is (``Actions.read``):
free up to ``VARIOSYNC_METERED_QUERY_ROWS`` estimated rows, else charged its measured time. A
cache hit reads no data and is never charged (the card still spends a request of the
``query`` rate limit on it, as a cached REST query does).

Plotly knows no time zones: a date axis shows the numbers it gets as if they were UTC. So the
x values sent are the viewer's wall-clock times (as epoch milliseconds), and a window coming
back from a zoom is read as wall-clock time of that zone (:func:`from_wall_clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import polars as pl

from variosync.api.actions import Actions
from variosync.cache import ResultCache, result_key
from variosync.catalog import Dataset
from variosync.charts import Floats, budget, candles, line, typed
from variosync.errors import UsageError
from variosync.model import SERIES, TS, Kind
from variosync.query import Query, utc_literal
from variosync.service import Variosync

Style = Literal["line", "candlestick", "ohlc"]
STYLES: tuple[Style, ...] = ("line", "candlestick", "ohlc")
DEFAULT_WIDTH_PX = 1200
MAX_TRACES = 12
"""Lines one chart overlays (series × fields): each series is a read of its own."""
CANDLE_FIELDS = ("open", "high", "low", "close")
VOLUME = "volume"
_NUMERIC = ("Int", "UInt", "Float", "Decimal", "Boolean")
_EPOCH = datetime(1970, 1, 1)
_LINE_SCHEMA = {"trace": pl.UInt32, "x": pl.Float64, "y": pl.Float64, "total": pl.Int64}
_CANDLE_SCHEMA = {
    "trace": pl.UInt32,
    "x": pl.Float64,
    **dict.fromkeys((*CANDLE_FIELDS, VOLUME), pl.Float64),
    "total": pl.Int64,
}


@dataclass(frozen=True)
class ChartSpec:
    """What a chart shows: series and fields of a dataset, drawn as ``style``, over a window
    (aware times; None: from the first or to the last point), for a plot ``width_px`` wide,
    with times in ``zone``."""

    dataset: str
    series: tuple[str, ...]
    fields: tuple[str, ...] = ()
    style: Style = "line"
    volume: bool = True
    start: datetime | None = None
    end: datetime | None = None
    width_px: int = DEFAULT_WIDTH_PX
    zone: str = "UTC"


@dataclass(frozen=True)
class Chart:
    """Plotly traces (arrays typed) and the layout keys they need; the points the window
    holds and the points sent."""

    data: list[dict[str, Any]]
    layout: dict[str, Any]
    read: int
    shown: int


def numeric_fields(record: Dataset) -> list[str]:
    """The fields a chart can draw (numbers and booleans)."""
    return [f.name for f in record.fields if f.dtype.startswith(_NUMERIC)]


def candle_style(record: Dataset, style: str) -> bool:
    """Whether ``style`` draws candles (or OHLC bars): only for OHLCV datasets."""
    return style != "line" and record.kind == Kind.OHLCV.value


def chart_traces(
    mine: Variosync, cache: ResultCache, spec: ChartSpec, actions: Actions | None = None
) -> Chart:
    """The chart of ``spec`` from ``mine``'s datasets (NotFoundError for anyone else's),
    cached by dataset version, zone, window and width; UsageError for a bad choice. With
    ``actions`` (the viewer's), a read that misses the cache is metered (PaymentRequiredError
    when the balance cannot cover it); without, it is not (the benchmark's calls)."""
    record = mine.catalog.get(spec.dataset)
    spec = _checked(record, spec)
    if record.version < 0:  # nothing stored yet: an empty chart
        return _chart(pl.DataFrame(schema=_LINE_SCHEMA), record, spec)
    key = result_key(record.id, record.version, spec.zone, "chart", _params(spec))
    points = cache.get(key)
    if points is None:
        if actions is None:
            points = _read(mine, record, spec)
        else:
            points = actions.read(
                spec.dataset, read_query(spec), lambda: _read(mine, record, spec), record.version
            )
        cache.put(key, points)
    return _chart(points, record, spec)


def read_query(spec: ChartSpec) -> Query:
    """What a chart reads, as the REST query it is metered like: its series and window."""
    return Query(series=spec.series, start=spec.start, end=spec.end, fields=spec.fields)


def wall_clock_ms(utc_ms: Floats, zone: str) -> Floats:
    """Epoch milliseconds (instants) as ``zone``'s wall-clock times in epoch milliseconds —
    what a Plotly date axis, which shows every number as UTC, needs to show local time."""
    if zone == "UTC" or not len(utc_ms):
        return utc_ms
    whole = np.floor(utc_ms).astype(np.int64)
    instants = pl.Series(whole).cast(pl.Datetime("ms", "UTC"))
    local = instants.dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.epoch("ms")
    offsets = np.asarray(local.to_numpy(), dtype=np.int64) - whole
    return np.asarray(utc_ms + offsets, dtype=np.float64)


def from_wall_clock(value: object, zone: str) -> datetime:
    """A bound from a Plotly date axis (a wall-clock date string of ``zone``, or epoch
    milliseconds of one) as an aware UTC time; UsageError for anything else."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = _EPOCH + timedelta(milliseconds=value)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value.strip())
        else:
            raise TypeError(type(value).__name__)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        return moment.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):  # not a time, or beyond the years held
        raise UsageError(f"invalid time {value!r} from the chart") from None


def _checked(record: Dataset, spec: ChartSpec) -> ChartSpec:
    """``spec`` with its fields settled (candles draw OHLC[V]); UsageError for a choice the
    dataset cannot draw."""
    try:
        ZoneInfo(spec.zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {spec.zone!r}") from None
    if spec.style not in STYLES:
        raise UsageError(f"unknown chart style {spec.style!r}", hint="line, candlestick or ohlc")
    if not spec.series:
        raise UsageError("choose at least one series to chart")
    numeric = numeric_fields(record)
    if candle_style(record, spec.style):
        volume = spec.volume and VOLUME in numeric
        return replace(spec, fields=(*CANDLE_FIELDS, *([VOLUME] if volume else [])), volume=volume)
    if spec.style != "line":
        raise UsageError(
            f"dataset {record.name!r} is not OHLCV: it has no candles",
            hint="draw it as lines",
        )
    fields = tuple(dict.fromkeys(spec.fields))
    if not fields:
        raise UsageError("choose at least one field to chart")
    unknown = [f for f in fields if f not in numeric]
    if unknown:
        raise UsageError(
            f"cannot chart {', '.join(map(repr, unknown))}: not numeric in {record.name!r}",
            hint=f"numeric fields: {', '.join(numeric) or 'none'}",
        )
    if len(spec.series) * len(fields) > MAX_TRACES:
        raise UsageError(
            f"too many lines: {len(spec.series)} series × {len(fields)} fields",
            hint=f"overlay at most {MAX_TRACES} lines",
        )
    return replace(spec, fields=fields, volume=False)


def _micros(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH.replace(tzinfo=UTC)) // timedelta(microseconds=1)


def _params(spec: ChartSpec) -> dict[str, object]:
    """What the thinned points depend on besides the dataset version and the zone."""
    return {
        "series": list(spec.series),  # their order numbers the traces
        "fields": list(spec.fields),
        "style": "line" if spec.style == "line" else "candles",
        "start": _micros(spec.start),
        "end": _micros(spec.end),
        "width": budget(spec.width_px),
    }


def _window(mine: Variosync, record: Dataset, spec: ChartSpec, series: str) -> pl.DataFrame:
    """One series' times and fields in the window, sorted by time.

    Not a facade query: that sorts every read, and a series' rows mostly come in time order
    already (each write's files are sorted; only writes that came out of time order are
    not), so the sort — half of a 10M-point first paint — runs only when a pass over the
    column finds them out of order."""
    scan = mine.scan(spec.dataset, record.version).filter(pl.col(SERIES) == series)
    if spec.start is not None:
        scan = scan.filter(pl.col(TS) >= utc_literal(spec.start))
    if spec.end is not None:
        scan = scan.filter(pl.col(TS) < utc_literal(spec.end))
    frame = scan.select(TS, *spec.fields).collect()
    return frame if frame[TS].is_sorted() else frame.sort(TS)


def _read(mine: Variosync, record: Dataset, spec: ChartSpec) -> pl.DataFrame:
    """The thinned points of every trace: one read per series (an equality on the series
    prunes row groups), of the window and fields asked."""
    parts = []
    number = 0
    for series in spec.series:
        frame = _window(mine, record, spec, series)
        if spec.style != "line":
            parts.append(_candles(frame, number, spec))
            number += 1
            continue
        for field in spec.fields:
            trace = line(series, frame[TS], frame[field], spec.width_px)
            x = wall_clock_ms(trace.x, spec.zone)
            columns = {"trace": number, "x": x, "y": trace.y, "total": trace.total}
            parts.append(pl.DataFrame(columns, schema=_LINE_SCHEMA))
            number += 1
    empty = _LINE_SCHEMA if spec.style == "line" else _CANDLE_SCHEMA
    return pl.concat(parts) if parts else pl.DataFrame(schema=empty)


def _candles(frame: pl.DataFrame, number: int, spec: ChartSpec) -> pl.DataFrame:
    """One series' candles (buckets of equal time for the width), x on the wall clock."""
    bars = candles(frame, spec.width_px)
    utc_ms = np.asarray(bars[TS].dt.epoch("ms").to_numpy(), dtype=np.float64)
    return bars.select(
        pl.lit(number, pl.UInt32).alias("trace"),
        pl.Series("x", wall_clock_ms(utc_ms, spec.zone)),
        *(pl.col(f).cast(pl.Float64) for f in CANDLE_FIELDS),
        (pl.col(VOLUME) if VOLUME in bars.columns else pl.lit(None)).cast(pl.Float64).alias(VOLUME),
        pl.lit(frame.height, pl.Int64).alias("total"),
    )


def _chart(points: pl.DataFrame, record: Dataset, spec: ChartSpec) -> Chart:
    """The Plotly traces and layout of cached points."""
    by_trace = {key[0]: part for key, part in points.partition_by("trace", as_dict=True).items()}
    data: list[dict[str, Any]] = []
    read = shown = 0
    names = [(s, f) for s in spec.series for f in spec.fields]
    if spec.style != "line":
        names = [(s, "") for s in spec.series]
    for number, (series, field) in enumerate(names):
        part = by_trace.get(number, points.clear())
        read += int(part["total"][0]) if part.height else 0
        if spec.style == "line":
            name = series if len(spec.fields) == 1 else f"{series} · {field}"
            data.append(_line_trace(name, part))
            shown += int(part["y"].is_not_nan().sum())
        else:
            data.extend(_candle_traces(series, part, spec))
            shown += part.height
    return Chart(data, _layout(record, spec), read, shown)


def _array(part: pl.DataFrame, column: str) -> dict[str, str]:
    return typed(np.asarray(part[column].fill_null(np.nan).to_numpy(), dtype=np.float64))


def _line_trace(name: str, part: pl.DataFrame) -> dict[str, Any]:
    """A line; NaN in y is a break (a gap in the data), never bridged."""
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": _array(part, "x"),
        "y": _array(part, "y"),
        "connectgaps": False,
    }


def _candle_traces(series: str, part: pl.DataFrame, spec: ChartSpec) -> list[dict[str, Any]]:
    """Candles (or OHLC bars) on the upper axis, volume bars on the lower one."""
    traces: list[dict[str, Any]] = [
        {
            "type": spec.style,
            "name": series,
            "x": _array(part, "x"),
            **{f: _array(part, f) for f in CANDLE_FIELDS},
            "yaxis": "y",
        }
    ]
    if spec.volume:
        traces.append(
            {
                "type": "bar",
                "name": f"{series} volume",
                "x": _array(part, "x"),
                "y": _array(part, VOLUME),
                "yaxis": "y2",
                "marker": {"opacity": 0.5},
            }
        )
    return traces


def _layout(record: Dataset, spec: ChartSpec) -> dict[str, Any]:
    """Axes: dates on x (the viewer's zone named), and for candles with volume a volume
    panel under the price panel, sharing x."""
    units = {f.name: f.unit for f in record.fields}
    xaxis: dict[str, Any] = {"type": "date", "title": {"text": f"Time ({spec.zone})"}}
    if spec.style == "line":
        title = spec.fields[0] if len(spec.fields) == 1 else ""
        unit = units.get(title)
        text = f"{title} ({unit})" if unit else title
        return {"xaxis": xaxis, "yaxis": {"title": {"text": text}}}
    xaxis["rangeslider"] = {"visible": False}
    if not spec.volume:
        return {"xaxis": xaxis, "yaxis": {"title": {"text": "price"}}}
    return {
        "xaxis": xaxis | {"anchor": "y2"},
        "yaxis": {"domain": [0.3, 1.0], "title": {"text": "price"}},
        "yaxis2": {"domain": [0.0, 0.22], "title": {"text": VOLUME}},
        "bargap": 0,
    }
