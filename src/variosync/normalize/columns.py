"""Which columns hold time, series and fields, and what the fields are called canonically."""

from __future__ import annotations

import re
from collections.abc import Sequence

from variosync.errors import UsageError
from variosync.model import SERIES, TS

TIME_NAMES = (
    "timestamp",
    "datetime",
    "date_time",
    "time_stamp",
    "ts",
    "timestamp_utc",
    "datetime_utc",
    "time_utc",
    "date_utc",
    "utc",
    "epoch",
    "unix_time",
    "unixtime",
    "time",
    "date",
    "dt",
    "day",
)
DATE_PART_NAMES = ("date", "day", "dt")
CLOCK_PART_NAMES = ("time", "hour", "clock")
SERIES_NAMES = (
    "series_id",
    "seriesid",
    "series",
    "ticker",
    "symbol",
    "id",
    "name",
    "sensor",
    "sensor_id",
    "station",
    "station_id",
    "device",
    "device_id",
    "host",
)
HELPER_PATTERN = re.compile(r"^(__index_level_\d+__|Unnamed: \d+|\s*)$")

# Aliases that are safe on their own: full words.
_WORD_ALIASES = {
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "vol": "volume",
}
# Aliases that only make sense when the file is clearly a bar file (o/h/l/c, last, price).
_BAR_ALIASES = {"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"}
_CLOSE_FALLBACKS = ("adj_close", "adjclose", "adjusted_close", "last", "price")


def key(name: str) -> str:
    """Comparable form of a column name: trimmed, lower case, ``<>`` dropped, spaces → ``_``."""
    return re.sub(r"[\s\-.]+", "_", name.strip().strip("<>").strip().lower())


def find_named(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The first column (by priority of ``names``) whose key is one of ``names``."""
    keys = {key(c): c for c in reversed(columns)}
    for name in names:
        if name in keys:
            return keys[name]
    return None


def resolve(columns: Sequence[str], wanted: str, what: str) -> str:
    """Find a user-named column (exact, then by key), or raise UsageError listing the columns."""
    if wanted in columns:
        return wanted
    for column in columns:
        if key(column) == key(wanted):
            return column
    raise UsageError(
        f"no column {wanted!r} for the {what}; columns are: {', '.join(columns)}",
        hint=f"pass one of the listed columns as the {what}",
    )


def is_helper(name: str) -> bool:
    """Whether a column is index debris (pandas index, unnamed or blank headers)."""
    return HELPER_PATTERN.match(name) is not None


def canonical_names(columns: Sequence[str]) -> dict[str, str]:
    """Map each field column to its output name: OHLCV aliases resolved, others stripped.

    A bare ``c``/``last``/``price`` becomes ``close`` only when open, high and low are present
    too; ``Adj Close`` becomes ``close`` only when there is no plain close.
    """
    keys = {c: key(c) for c in columns}
    words = {c: _WORD_ALIASES[k] for c, k in keys.items() if k in _WORD_ALIASES}
    present = set(words.values())
    bars = {c: _BAR_ALIASES[k] for c, k in keys.items() if k in _BAR_ALIASES}
    if {"open", "high", "low", "close"} <= present | set(bars.values()):
        words.update({c: v for c, v in bars.items() if v not in present})
    present = set(words.values())
    if "close" not in present:
        fallbacks = [c for c, k in keys.items() if k in _CLOSE_FALLBACKS]
        fallbacks.sort(key=lambda c: _CLOSE_FALLBACKS.index(keys[c]))
        bar_like = {"open", "high", "low"} <= present
        for column in fallbacks:
            if keys[column] in ("adj_close", "adjclose", "adjusted_close") or bar_like:
                words[column] = "close"
                break
    out: dict[str, str] = {}
    taken: set[str] = {SERIES, TS}
    for column in columns:
        name = words.get(column)
        if name is None or name in taken:
            name = "adj_close" if keys[column] in ("adj_close", "adjclose") else column.strip()
        out[column] = _unique(name, taken)
        taken.add(out[column])
    return out


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 1
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"
