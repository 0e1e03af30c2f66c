"""Request parameters shared by the dataset routes: the dataset name and the query selection
(the CLI's query options, parsed into a ``Query`` the way the CLI parses them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi import Path as PathParam
from fastapi import Query as QueryParam

from variosync.catalog.datasets import NAME_RULE
from variosync.errors import UsageError
from variosync.query import Agg, Fill, Query, check_zone, parse_time

DatasetName = Annotated[
    str,
    PathParam(
        pattern=NAME_RULE.pattern,
        description="The dataset: 1-128 letters, digits, '.', '_' or '-', starting with a "
        "letter or digit",
        examples=["sensors"],
    ),
]


def split(text: str | None) -> tuple[str, ...]:
    """The items of a comma-separated parameter, each once, in order."""
    if text is None:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def series_ids(values: list[str] | None) -> tuple[str, ...]:
    """Series ids from a repeatable parameter whose values may also be ``a,b`` lists."""
    return tuple(s for item in values or () for s in item.split(",") if s)


def build_query(
    *,
    series: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    fields: str | None = None,
    every: str | None = None,
    agg: str | None = None,
    fill: Fill | None = None,
    latest: bool = False,
    limit: int | None = None,
    tz: str | None = None,
) -> Query:
    """A validated Query from request parameters (the rules of ``variosync query``)."""
    aggs = split(agg)
    valid = [a.value for a in Agg]
    unknown = [a for a in aggs if a not in valid]
    if unknown:
        raise UsageError(
            f"unknown aggregate(s): {', '.join(unknown)}", hint=f"use {', '.join(valid)}"
        )
    if aggs and not every:
        raise UsageError("'agg' needs 'every'", hint="e.g. every=1h&agg=mean,max")
    if fill is not None and not every:
        raise UsageError("'fill' needs 'every'", hint="e.g. every=1h&fill=previous")
    return Query(
        series=series_ids(series),
        start=parse_time(start, "start") if start else None,
        end=parse_time(end, "end") if end else None,
        fields=split(fields),
        every=every,
        aggs=tuple(Agg(a) for a in aggs),
        fill=fill,
        latest=latest,
        limit=limit,
        tz=check_zone(tz) if tz else None,
    )


@dataclass(frozen=True)
class Selection:
    """What query and export read: a validated query, optionally of an old version."""

    query: Query
    as_of: int | None = None


def selection(
    series: Annotated[
        list[str] | None, QueryParam(description="Series to keep (repeat, or a,b)")
    ] = None,
    start: Annotated[
        str | None,
        QueryParam(description="First time (inclusive), ISO 8601", examples=["2024-01-15"]),
    ] = None,
    end: Annotated[str | None, QueryParam(description="Last time (exclusive), ISO 8601")] = None,
    fields: Annotated[
        str | None, QueryParam(description="Comma-separated fields (default: all)")
    ] = None,
    every: Annotated[
        str | None, QueryParam(description="Resample to buckets: 1m, 15m, 1h, 1d, 1w, 1mo")
    ] = None,
    agg: Annotated[
        str | None,
        QueryParam(description="Aggregates with every: " + ",".join(a.value for a in Agg)),
    ] = None,
    fill: Annotated[Fill | None, QueryParam(description="Fill empty buckets")] = None,
    latest: Annotated[bool, QueryParam(description="Only the latest point of each series")] = False,
    limit: Annotated[int | None, QueryParam(ge=0, description="At most this many rows")] = None,
    as_of: Annotated[int | None, QueryParam(ge=0, description="Read an old version")] = None,
    tz: Annotated[
        str | None,
        QueryParam(
            description="Show times in this zone, e.g. Europe/Berlin (default: the dataset's)"
        ),
    ] = None,
) -> Selection:
    """The query parameters shared by query and export."""
    spec = build_query(
        series=series,
        start=start,
        end=end,
        fields=fields,
        every=every,
        agg=agg,
        fill=fill,
        latest=latest,
        limit=limit,
        tz=tz,
    )
    return Selection(spec, as_of)


SelectionDep = Annotated[Selection, Depends(selection)]
