"""What query and export read, built from the options people type: one set of rules for the
CLI's ``--series/--start/--every…`` options and the REST API's query parameters; and the rows a
resample with fill may make, which the facade bounds and billing charges for."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from variosync.errors import UsageError
from variosync.query import (
    Agg,
    Fill,
    Query,
    check_zone,
    interval_micros,
    parse_duration,
    parse_time,
)

MAX_FILLED_ROWS = 50_000_000
"""A resample with fill makes a row per bucket from each series' first bucket to its last, with
no stored row behind most of them: the size refused (1 s buckets over 60 days make 5.2 M)."""


@dataclass(frozen=True)
class Selection:
    """What query and export read: a validated query, optionally of an old version."""

    query: Query
    as_of: int | None = None


@dataclass(frozen=True)
class Spelling:
    """How a front end writes a parameter in messages: ``--agg`` on the command line,
    ``'agg'`` in the API, and an example of a few settings together."""

    name: Callable[[str], str]
    example: Callable[[dict[str, str]], str]


CLI_SPELLING = Spelling(
    name=lambda n: "--" + n.replace("_", "-"),
    example=lambda pairs: " ".join(f"--{k} {v}" for k, v in pairs.items()),
)
API_SPELLING = Spelling(
    name=lambda n: repr(n),
    example=lambda pairs: "&".join(f"{k}={v}" for k, v in pairs.items()),
)


def split(text: str | None) -> tuple[str, ...]:
    """The items of a comma-separated option, each once, in order."""
    if text is None:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def series_ids(values: Iterable[str] | None) -> tuple[str, ...]:
    """Series ids from a repeatable option whose values may also be ``a,b`` lists."""
    return tuple(s for item in values or () for s in item.split(",") if s)


def build_query(
    *,
    series: Iterable[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    fields: str | None = None,
    every: str | None = None,
    agg: str | None = None,
    fill: str | None = None,
    latest: bool = False,
    limit: int | None = None,
    tz: str | None = None,
    spelling: Spelling = CLI_SPELLING,
) -> Query:
    """A validated Query from typed options (the rules of ``variosync query``); a UsageError
    names the option at fault in ``field`` by its plain name (``every``), the message in the
    front end's ``spelling``."""
    name = spelling.name
    aggs = split(agg)
    valid = [a.value for a in Agg]
    unknown = [a for a in aggs if a not in valid]
    if unknown:
        raise UsageError(
            f"unknown aggregate(s): {', '.join(unknown)}",
            hint=f"use {', '.join(valid)}",
            field="agg",
        )
    for given, what, example in (
        (aggs, "agg", "mean,max"),
        (fill, "fill", "previous"),
    ):
        if given and not every:
            raise UsageError(
                f"{name(what)} needs {name('every')}",
                hint="e.g. " + spelling.example({"every": "1h", what: example}),
                field=what,
            )
    if every:
        parse_duration(every)  # refused here, naming the option, before any data is read
    return Query(
        series=series_ids(series),
        start=parse_time(start, name("start"), field="start") if start else None,
        end=parse_time(end, name("end"), field="end") if end else None,
        fields=split(fields),
        every=every,
        aggs=tuple(Agg(a) for a in aggs),
        fill=Fill(fill) if fill else None,
        latest=latest,
        limit=limit,
        tz=check_zone(tz) if tz else None,
    )


def filled_rows(query: Query, span: tuple[datetime, datetime] | None, series_count: int) -> int:
    """Rows a resample with fill may make: every bucket of the dataset's time ``span`` within
    the query's window, for each series selected (all ``series_count`` when none is named);
    0 for other queries. A naive bound is taken as UTC, close enough to size the grid."""
    if not query.every or query.fill is None or span is None:
        return 0
    width = interval_micros(query.every)
    lo = max(span[0], _utc(query.start)) if query.start is not None else span[0]
    hi = min(span[1], _utc(query.end)) if query.end is not None else span[1]
    if hi < lo:
        return 0
    buckets = (hi - lo) // timedelta(microseconds=1) // width + 1
    series = min(len(query.series), series_count) if query.series else series_count
    return buckets * series


def check_filled_rows(
    query: Query, span: tuple[datetime, datetime] | None, series_count: int
) -> None:
    """UsageError (naming ``every``) when a resample with fill would make over MAX_FILLED_ROWS."""
    rows = filled_rows(query, span, series_count)
    if rows > MAX_FILLED_ROWS:
        raise UsageError(
            f"filling empty {query.every} buckets would make about {rows:,} rows "
            f"(at most {MAX_FILLED_ROWS:,})",
            hint="resample to longer buckets, or select a shorter time range or fewer series",
            field="every",
        )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
