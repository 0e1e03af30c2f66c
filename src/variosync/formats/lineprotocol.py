"""InfluxDB line protocol: ``measurement,tag=v field=1.0,n=2i,s="x",b=true 1700000000000000000``.

Each data line becomes one row: ``series_id`` (the measurement, or ``measurement,k=v,...`` with the
tags sorted by key, unescaped), ``ts`` (nanoseconds since the epoch as a UTC datetime) and one
column per field (``i``/``u`` integers Int64, floats Float64, booleans, strings). A line without a
timestamp gets a null ``ts``. A malformed line is not fatal: it becomes a row whose every cell is
null, so the normaliser rejects it by its row number (rows count data lines; comments and blank
lines are skipped). A file without a single valid line is a ReadError.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import polars as pl

from variosync.errors import ReadError
from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import guarded
from variosync.formats.records import column
from variosync.formats.sniff import head_lines, is_text

SERIES_COL: Final = "series_id"
TIME_COL: Final = "ts"
FieldValue = int | float | bool | str

_TRUE: Final = frozenset(("t", "T", "true", "True", "TRUE"))
_FALSE: Final = frozenset(("f", "F", "false", "False", "FALSE"))
_KEY_ESCAPE = re.compile(r"\\([,= \\])")
_STRING_ESCAPE = re.compile(r'\\(["\\])')
_INT64_MAX: Final = 2**63 - 1


class Malformed(ValueError):
    """A line that is not valid line protocol."""


Point = tuple[str, int | None, dict[str, FieldValue]]


def parse_line(line: str) -> Point:
    """Parse one data line into (series key, timestamp in ns or None, fields)."""
    if "\\" in line or '"' in line:
        key, _, rest = _partition(line, " ")
        field_set, _, stamp = _partition(rest.lstrip(" "), " ", quoted=True)
        items = _split(field_set, ",", quoted=True)
    else:
        # Nothing escaped or quoted, the common case: plain string methods are much faster.
        key, _, rest = line.partition(" ")
        field_set, _, stamp = rest.lstrip(" ").partition(" ")
        items = field_set.split(",")
    if not field_set:
        raise Malformed("no field set")
    stamp = stamp.strip()
    if stamp and not _is_integer(stamp):
        raise Malformed(f"bad timestamp {stamp!r}")
    fields: dict[str, FieldValue] = {}
    for item in items:
        name, _, raw = _partition(item, "=")
        if not name or not raw:
            raise Malformed(f"bad field {item!r}")
        fields[_unescape(name)] = _value(raw)
    return _series(key), int(stamp) if stamp else None, fields


@functools.lru_cache(maxsize=4096)
def _series(key: str) -> str:
    """The canonical series key: the measurement, then the tags sorted by key, unescaped."""
    names = _split(key, ",")
    measurement = _unescape(names[0])
    if not measurement:
        raise Malformed("no measurement")
    tags = sorted(_pair(tag) for tag in names[1:])
    return ",".join([measurement, *(f"{name}={value}" for name, value in tags)])


def sniff(head: bytes) -> bool:
    """Whether every sampled data line of a text head parses as line protocol."""
    if not is_text(head):
        return False
    lines = [line.strip() for line in head_lines(head, limit=20)]
    lines = [line for line in lines if not line.startswith("#")]
    try:
        return bool(lines) and all(parse_line(line) for line in lines)
    except Malformed:
        return False


def open_lineprotocol(path: Path, options: ReadOptions) -> RawSource:
    """Open a line protocol file; batches hold ``options.batch_rows`` data lines each."""
    _require_valid_line(path)
    batches = guarded(path, "line protocol file", _batches(path, options.batch_rows))
    return RawSource(
        name=path.name,
        format="lineprotocol",
        batches=batches,
        time_col=TIME_COL,
        series_col=SERIES_COL,
    )


def _data_lines(path: Path) -> Iterator[str]:
    with path.open("rb") as handle:
        for raw in handle:
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                line = raw.decode("latin-1").strip()
            if line and not line.startswith("#"):
                yield line


def _require_valid_line(path: Path) -> None:
    problem = "the file has no data lines"
    for number, line in enumerate(_data_lines(path), start=1):
        try:
            parse_line(line)
            return
        except Malformed as exc:
            if number == 1:
                problem = f"data line 1: {exc}"
    raise ReadError(
        f"{path.name}: not a valid line protocol file ({problem})",
        hint="lines look like: weather,station=a temp=21.5,ok=true 1700000000000000000",
    )


def _batches(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    points: list[Point | None] = []
    for line in _data_lines(path):
        try:
            points.append(parse_line(line))
        except Malformed:
            points.append(None)
        if len(points) == rows:
            yield _frame(points)
            points = []
    if points:
        yield _frame(points)


def _frame(points: list[Point | None]) -> pl.DataFrame:
    fields: dict[str, dict[int, FieldValue]] = {}
    for row, point in enumerate(points):
        for name, value in point[2].items() if point else ():
            fields.setdefault(name, {})[row] = value
    stamps = pl.Series(TIME_COL, [point[1] if point else None for point in points], pl.Int64)
    columns = [
        pl.Series(SERIES_COL, [point[0] if point else None for point in points], pl.String),
        stamps.cast(pl.Datetime("ns")).dt.replace_time_zone("UTC"),
    ]
    for name, values in fields.items():
        label = f"{name}_field" if name in (SERIES_COL, TIME_COL) else name
        columns.append(column(label, [values.get(row) for row in range(len(points))]))
    return pl.DataFrame(columns)


def _pair(item: str) -> tuple[str, str]:
    name, _, value = _partition(item, "=")
    if not name or not value:
        raise Malformed(f"bad tag {item!r}")
    return _unescape(name), _unescape(value)


def _value(raw: str) -> FieldValue:
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise Malformed(f"unterminated string {raw!r}")
        return _STRING_ESCAPE.sub(r"\1", raw[1:-1])
    if raw[-1] in "iu" and _is_integer(raw[:-1]):
        number = int(raw[:-1])
        if (raw[-1] == "u" and number < 0) or not -_INT64_MAX - 1 <= number <= _INT64_MAX:
            raise Malformed(f"integer out of range {raw!r}")
        return number
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    try:
        real = float(raw)
    except ValueError:
        raise Malformed(f"bad field value {raw!r}") from None
    if not (raw[-1].isdigit() or raw[-1] == "."):  # float() also takes nan, inf, infinity
        raise Malformed(f"bad field value {raw!r}")
    return real


def _is_integer(text: str) -> bool:
    """An optionally signed run of ASCII digits (``int()`` would also take ``1_0`` and spaces)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


def _unescape(text: str) -> str:
    return _KEY_ESCAPE.sub(r"\1", text) if "\\" in text else text


def _split(text: str, sep: str, *, quoted: bool = False) -> list[str]:
    """Split on ``sep`` unless escaped by a backslash or (when ``quoted``) inside double quotes."""
    if _plain(text, quoted):
        return text.split(sep)
    parts, start = [], 0
    for cut in _cuts(text, sep, quoted):
        parts.append(text[start:cut])
        start = cut + 1
    parts.append(text[start:])
    return parts


def _partition(text: str, sep: str, *, quoted: bool = False) -> tuple[str, str, str]:
    """Like ``str.partition`` at the first ``sep`` that ``_split`` would split on."""
    if _plain(text, quoted):
        return text.partition(sep)
    cut = next(_cuts(text, sep, quoted), None)
    return (text, "", "") if cut is None else (text[:cut], sep, text[cut + 1 :])


def _plain(text: str, quoted: bool) -> bool:
    """No escapes and no quotes to honour: ``str.split`` does the job, much faster."""
    return "\\" not in text and not (quoted and '"' in text)


def _cuts(text: str, sep: str, quoted: bool) -> Iterator[int]:
    index, in_quotes = 0, False
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 1
        elif quoted and char == '"':
            in_quotes = not in_quotes
        elif char == sep and not in_quotes:
            yield index
        index += 1
