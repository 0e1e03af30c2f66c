"""What query and export read, built from the options people type: one set of rules for the
CLI's ``--series/--start/--every…`` options and the REST API's query parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from variosync.errors import UsageError
from variosync.query import Agg, Fill, Query, check_zone, parse_time


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
    """A validated Query from typed options (the rules of ``variosync query``)."""
    name = spelling.name
    aggs = split(agg)
    valid = [a.value for a in Agg]
    unknown = [a for a in aggs if a not in valid]
    if unknown:
        raise UsageError(
            f"unknown aggregate(s): {', '.join(unknown)}", hint=f"use {', '.join(valid)}"
        )
    for given, what, example in (
        (aggs, "agg", "mean,max"),
        (fill, "fill", "previous"),
    ):
        if given and not every:
            raise UsageError(
                f"{name(what)} needs {name('every')}",
                hint="e.g. " + spelling.example({"every": "1h", what: example}),
            )
    return Query(
        series=series_ids(series),
        start=parse_time(start, name("start")) if start else None,
        end=parse_time(end, name("end")) if end else None,
        fields=split(fields),
        every=every,
        aggs=tuple(Agg(a) for a in aggs),
        fill=Fill(fill) if fill else None,
        latest=latest,
        limit=limit,
        tz=check_zone(tz) if tz else None,
    )
