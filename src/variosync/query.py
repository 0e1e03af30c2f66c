"""Queries over a dataset scan: filter, pick fields, resample with aggregates, fill, latest, limit.

Pure: takes and returns polars lazy frames; the store provides the scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import polars as pl

from variosync.errors import UsageError
from variosync.model import SERIES, TS, TS_DTYPE, Kind

_DURATION = re.compile(r"^(\d{1,18})(ns|us|ms|s|m|min|h|d|w|mo|q|y)$")
_MICROS = {"us": 1, "ms": 10**3, "s": 10**6, "m": 60 * 10**6, "h": 3600 * 10**6}
_MICROS |= {"d": 24 * _MICROS["h"], "w": 7 * 24 * _MICROS["h"], "y": 31_556_952 * 10**6}
_MICROS |= {"mo": _MICROS["y"] // 12, "q": _MICROS["y"] // 4}
"""Microseconds per unit (a month, quarter and year as their Gregorian averages)."""
MAX_INTERVAL_YEARS = 1000
_MAX_HEAD = 2**32 - 1 if pl.get_index_type() == pl.UInt32 else 2**63 - 1
"""The largest limit polars' row index holds."""


class Agg(StrEnum):
    """Aggregations a resample can apply."""

    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "count"
    FIRST = "first"
    LAST = "last"
    MEDIAN = "median"
    STD = "std"


class Fill(StrEnum):
    """How empty resample buckets are filled."""

    NULL = "null"
    PREVIOUS = "previous"
    LINEAR = "linear"


NUMERIC_ONLY = {Agg.MEAN, Agg.SUM, Agg.MEDIAN, Agg.STD}
OHLCV_AGGS = {
    "open": Agg.FIRST,
    "high": Agg.MAX,
    "low": Agg.MIN,
    "close": Agg.LAST,
    "volume": Agg.SUM,
}


@dataclass(frozen=True)
class Query:
    """A query's parameters, validated by ``build``."""

    series: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    fields: tuple[str, ...] = ()
    every: str | None = None
    aggs: tuple[Agg, ...] = ()
    fill: Fill | None = None
    latest: bool = False
    limit: int | None = None
    tz: str | None = None
    """Show times in this zone (an IANA name); buckets of a day or longer follow its calendar."""


def parse_duration(text: str) -> str:
    """A polars duration string from ``1h``, ``15min``, ``1d``…; UsageError if malformed."""
    return "{}{}".format(*_interval(text))


def interval_micros(text: str) -> int:
    """The length of an interval in microseconds (a month as the Gregorian average)."""
    count, unit = _interval(text)
    return count * _MICROS[unit]


def _interval(text: str) -> tuple[int, str]:
    """The number and polars unit of an interval (``every``), within what polars can compute."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"invalid interval {text!r}",
            hint="use a number and a unit: 30s, 15m, 1h, 1d, 1w, 1mo, 1y",
            field="every",
        )
    count, unit = int(match.group(1)), "m" if match.group(2) == "min" else match.group(2)
    if unit == "ns":
        # Times are stored in microseconds; a ns interval would also make the fill's grid ns.
        if count % 1000:
            raise UsageError(
                f"invalid interval {text!r}: finer than the stored microseconds",
                hint="use whole microseconds: 1us, 1ms, 1s",
                field="every",
            )
        count, unit = count // 1000, "us"
    if count * _MICROS[unit] > MAX_INTERVAL_YEARS * _MICROS["y"]:
        # polars cannot step a date that far (a fill's grid fails); no bucket needs to be wider
        raise UsageError(
            f"invalid interval {text!r}: longer than {MAX_INTERVAL_YEARS} years",
            hint=f"use at most {MAX_INTERVAL_YEARS}y",
            field="every",
        )
    return count, unit


def parse_time(text: str, what: str = "time", *, field: str | None = None) -> datetime:
    """A datetime from ISO 8601 text (date or date-time). Without an offset it stays naive:
    a query reads it in its display zone (UTC unless the dataset or ``--tz`` names one)."""
    try:
        value = datetime.fromisoformat(text.strip())
        # in UTC, a time near year 1 or 9999 can fall outside the years datetime holds
        return value if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise UsageError(
            f"invalid {what} {text!r}",
            hint="use ISO 8601: 2024-01-15 or 2024-01-15T09:30:00Z",
            field=field,
        ) from None


def _in_zone(value: datetime, zone: str | None) -> datetime:
    """A naive bound as a wall-clock time of ``zone`` (UTC when None)."""
    if value.tzinfo is not None:
        return value
    from zoneinfo import ZoneInfo

    return value.replace(tzinfo=ZoneInfo(zone) if zone else UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_literal(value: datetime) -> pl.Expr:
    """A timestamp literal for comparisons with ``ts``; naive means UTC.

    Built from integer microseconds: ``pl.lit`` of a zoned datetime costs ~0.25 ms (it builds
    and converts a Series), a tenth of a one-series query.
    """
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    micros = (aware - _EPOCH) // timedelta(microseconds=1)
    return pl.lit(micros, pl.Int64).cast(TS_DTYPE)


def check_zone(zone: str) -> str:
    """``zone`` if it is a time-zone name polars can convert to, else a UsageError.

    Asked of polars itself: the system's tz database also loads names it refuses
    (``posixrules``, ``localtime``, ``Factory``), which would break every later query.
    """
    probe = pl.Series([0], dtype=pl.Int64).cast(TS_DTYPE)
    try:
        probe.dt.convert_time_zone(zone)
    except (pl.exceptions.PolarsError, ValueError, TypeError):
        raise UsageError(
            f"unknown time zone {zone!r}",
            hint="use an IANA name: UTC, Europe/Berlin, US/Eastern",
            field="tz",
        ) from None
    return zone


def _field_names(schema: pl.Schema) -> list[str]:
    return [name for name in schema.names() if name not in (SERIES, TS)]


def select_fields(schema: pl.Schema, wanted: tuple[str, ...]) -> list[str]:
    """The fields to return: all, or the requested ones (UsageError naming unknown ones)."""
    available = _field_names(schema)
    if not wanted:
        return available
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise UsageError(
            f"unknown field(s): {', '.join(unknown)}",
            hint=f"available fields: {', '.join(available) or '(none)'}",
            field="fields",
        )
    return list(wanted)


def agg_expr(name: str, agg: Agg) -> pl.Expr:
    """The aggregation of column ``name`` in a resample bucket."""
    column = pl.col(name)
    exprs = {
        Agg.MEAN: column.mean(),
        Agg.MIN: column.min(),
        Agg.MAX: column.max(),
        Agg.SUM: column.sum(),
        Agg.COUNT: column.count(),
        # Rows reach a bucket in storage order, not time order: order them by time first.
        Agg.FIRST: column.sort_by(TS).drop_nulls().first(),
        Agg.LAST: column.sort_by(TS).drop_nulls().last(),
        Agg.MEDIAN: column.median(),
        Agg.STD: column.std(),
    }
    return exprs[agg]


def _resample_exprs(
    schema: pl.Schema, fields: list[str], aggs: tuple[Agg, ...], kind: Kind, explicit: bool
) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for name in fields:
        numeric = schema[name].is_numeric()
        if not aggs:
            default = OHLCV_AGGS.get(name) if kind is Kind.OHLCV else None
            agg = default or (Agg.MEAN if numeric else Agg.LAST)
            exprs.append(agg_expr(name, agg).alias(name))
            continue
        usable = [a for a in aggs if numeric or a not in NUMERIC_ONLY]
        if not usable:
            if explicit:
                raise UsageError(
                    f"field {name!r} holds text; {', '.join(aggs)} needs numbers",
                    hint="use first, last, count, min or max, or pick numeric --fields",
                    field="agg",
                )
            continue
        for agg in usable:
            alias = name if len(aggs) == 1 else f"{name}_{agg}"
            exprs.append(agg_expr(name, agg).alias(alias))
    return exprs


def run(scan: pl.LazyFrame, query: Query, kind: Kind = Kind.GENERIC) -> pl.LazyFrame:
    """Apply ``query`` to a dataset scan; the result is sorted by series and time."""
    schema = scan.collect_schema()
    query = replace(
        query, fields=tuple(dict.fromkeys(query.fields)), aggs=tuple(dict.fromkeys(query.aggs))
    )
    fields = select_fields(schema, query.fields)
    frame = scan
    if len(query.series) == 1:  # an equality prunes row groups more reliably than is_in
        frame = frame.filter(pl.col(SERIES) == query.series[0])
    elif query.series:
        frame = frame.filter(pl.col(SERIES).is_in(list(query.series)))
    zone = check_zone(query.tz) if query.tz is not None and query.tz != "UTC" else None
    if query.start is not None:
        frame = frame.filter(pl.col(TS) >= utc_literal(_in_zone(query.start, zone)))
    if query.end is not None:
        frame = frame.filter(pl.col(TS) < utc_literal(_in_zone(query.end, zone)))
    frame = frame.select(SERIES, TS, *fields)
    every = parse_duration(query.every) if query.every else None
    # Buckets of a day or longer follow the zone's calendar (a local day across a clock
    # change is 23 or 25 hours); shorter ones are cut in UTC, so every hour has its bucket.
    local_buckets = zone is not None and every is not None and every[-1] in "dwoqy"
    if zone is not None and (every is None or local_buckets):
        frame = frame.with_columns(pl.col(TS).dt.convert_time_zone(zone))
    if every is not None:
        exprs = _resample_exprs(schema, fields, query.aggs, kind, bool(query.fields))
        # Buckets are [t, t + every) labelled by their start: exactly what truncate gives,
        # and a hash group-by needs no sort of the whole scan (group_by_dynamic does).
        frame = frame.group_by(SERIES, pl.col(TS).dt.truncate(every)).agg(exprs)
        if query.fill is not None:
            frame = _fill(frame, every, query.fill)
        if zone is not None and not local_buckets:
            frame = frame.with_columns(pl.col(TS).dt.convert_time_zone(zone))
    elif query.fill is not None:
        raise UsageError(
            "--fill needs --every", hint="e.g. --every 1h --fill previous", field="fill"
        )
    if query.latest:
        frame = frame.filter(pl.col(TS) == pl.col(TS).max().over(SERIES))
    # one series: its time alone orders it (an integer sort, ~3× faster than with the text key)
    frame = frame.sort(TS) if len(query.series) == 1 else frame.sort(SERIES, TS)
    if query.limit is not None:
        if query.limit < 0:
            raise UsageError(f"invalid limit {query.limit}", hint="use a number ≥ 0", field="limit")
        # a limit over polars' row index overflows it; no result holds more rows anyway
        frame = frame.head(min(query.limit, _MAX_HEAD))
    return frame


def _fill(frame: pl.LazyFrame, every: str, fill: Fill) -> pl.LazyFrame:
    """Insert the empty buckets between each series' first and last bucket, then fill them."""
    grid = (
        frame.group_by(SERIES)
        .agg(pl.datetime_ranges(pl.col(TS).min(), pl.col(TS).max(), interval=every).alias(TS))
        .explode(TS)
    )
    full = grid.join(frame, on=[SERIES, TS], how="left").sort(SERIES, TS)
    values = [c for c in frame.collect_schema().names() if c not in (SERIES, TS)]
    if fill is Fill.PREVIOUS:
        return full.with_columns(pl.col(values).forward_fill().over(SERIES))
    if fill is Fill.LINEAR:
        numeric = [c for c in values if full.collect_schema()[c].is_numeric()]
        return full.with_columns(pl.col(numeric).cast(pl.Float64).interpolate_by(TS).over(SERIES))
    return full


def hourly_aggregates(scan: pl.LazyFrame, every: str) -> pl.LazyFrame:
    """Points and distinct series per time bucket (the reference system's aggregates view)."""
    return (
        scan.group_by(pl.col(TS).dt.truncate(parse_duration(every)))
        .agg(pl.len().alias("points"), pl.col(SERIES).n_unique().alias("series"))
        .sort(TS)
    )
