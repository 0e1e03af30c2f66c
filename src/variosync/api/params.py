"""Request parameters shared by the dataset routes: the dataset name and the query selection
(the CLI's query options, parsed into a ``Query`` the way the CLI parses them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi import Path as PathParam
from fastapi import Query as QueryParam

from variosync.catalog.datasets import NAME_RULE
from variosync.query import Agg, Fill
from variosync.selection import API_SPELLING, Selection, build_query, series_ids, split

DatasetName = Annotated[
    str,
    PathParam(
        pattern=NAME_RULE.pattern,
        description="The dataset: 1-128 letters, digits, '.', '_' or '-', starting with a "
        "letter or digit",
        examples=["sensors"],
    ),
]


MAX_AS_OF = 2**31 - 1
MAX_LIMIT = 10**9
"""Bounds that turn an absurd number into a 422 naming it (the facade refuses a version the
dataset lacks; a limit past polars' row index would overflow it)."""
AsOf = Annotated[
    int | None, QueryParam(ge=0, le=MAX_AS_OF, description="Read an old version (see history)")
]


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
    limit: Annotated[
        int | None, QueryParam(ge=0, le=MAX_LIMIT, description="At most this many rows")
    ] = None,
    as_of: AsOf = None,
    tz: Annotated[
        str | None,
        QueryParam(
            description="Show times in this zone, e.g. Europe/Berlin (default: the dataset's)"
        ),
    ] = None,
) -> Selection:
    """The query parameters shared by query and export."""
    spec = build_query(
        spelling=API_SPELLING,
        series=series,
        start=start,
        end=end,
        fields=fields,
        every=every,
        agg=agg,
        fill=None if fill is None else fill.value,
        latest=latest,
        limit=limit,
        tz=tz,
    )
    return Selection(spec, as_of)


SelectionDep = Annotated[Selection, Depends(selection)]


__all__ = ["AsOf", "DatasetName", "Selection", "SelectionDep", "selection", "series_ids", "split"]
