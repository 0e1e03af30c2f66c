"""Every format × compression reads back through our own readers and normaliser unchanged.

Limits the data is shaped around, each a property of the format rather than of the writer:

* xlsx: Excel dates start at 1900-01-01 and calamine (fastexcel) reads serial 1 (1900-01-01) as
  1899-12-31, so times start 1900-01-02; times come back at millisecond precision; numbers are
  doubles written with 16 significant digits, so floats compare to 1e-15 and integers stay
  within ±2**53 and may come back as floats.
* stooq: TIME is ``HHMMSS``, so times are whole seconds.
* lineprotocol: int64 nanoseconds span 1677-09-21..2262-04-11; rows whose fields are all null
  have no line and are dropped from the expectation; series ids hold no line breaks.
* lineprotocol: a series id cannot start with ``#`` (a comment line).
* csv and friends: an empty string reads back as null and a string column of numbers as
  numbers, so strings are non-empty and hold a letter.
"""

from __future__ import annotations

import tempfile
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variosync.export import COMPRESSIONS, EXPORT_FORMATS, write_batches
from variosync.model import SERIES, TS, TS_DTYPE, IngestOptions

FIELDS = {"reading": pl.Float64(), "tally": pl.Int64(), "label": pl.String()}
NAMES = ["Zürich-温度", 'a,b "q"', "x y=z", "AAPL.US", "semi;colon\ttab", "back\\slash"]
EARLIEST = {"xlsx": datetime(1900, 1, 2), "lineprotocol": datetime(1677, 9, 22)}
LATEST = {"lineprotocol": datetime(2262, 4, 10)}
INT_LIMIT = {"xlsx": 2**53}
CASES = [(fmt, comp) for fmt in EXPORT_FORMATS for comp in (None, *COMPRESSIONS)]

letters = st.characters(categories=["L"])
safe_char = st.characters(categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\r")


@st.composite
def words(draw: st.DrawFn, newlines: bool) -> str:
    """Non-empty text with a letter and no surrounding spaces; line breaks only if allowed."""
    chars = st.one_of(safe_char, st.just("\n")) if newlines else safe_char
    text = draw(letters) + draw(st.text(chars, max_size=10)) + draw(letters)
    return text


@st.composite
def datasets(draw: st.DrawFn, fmt: str) -> pl.DataFrame:
    """A canonical frame: a few series, unique (series, ts), nullable typed fields."""
    names = draw(
        st.lists(
            st.one_of(st.sampled_from(NAMES), words(newlines=False)),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    start = EARLIEST.get(fmt, datetime(1800, 1, 1))
    end = LATEST.get(fmt, datetime(2300, 1, 1))
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.datetimes(start, end)),
            min_size=1,
            max_size=25,
            unique=True,
        )
    )
    limit = INT_LIMIT.get(fmt, 2**63 - 1)
    values = {
        "reading": st.floats(allow_nan=False, allow_infinity=False),
        "tally": st.integers(-limit, limit),
        "label": words(newlines=fmt != "lineprotocol"),
    }
    columns: dict[str, list[Any]] = {SERIES: [k[0] for k in keys], TS: [k[1] for k in keys]}
    for name, strategy in values.items():
        column = draw(st.lists(st.none() | strategy, min_size=len(keys), max_size=len(keys)))
        if all(v is None for v in column):
            column[0] = draw(strategy)  # an all-null column has no type to read back
        columns[name] = column
    frame = pl.DataFrame(columns, schema={SERIES: pl.String(), TS: pl.Datetime("us"), **FIELDS})
    frame = frame.with_columns(pl.col(TS).cast(TS_DTYPE))
    if fmt == "stooq":
        frame = frame.with_columns(pl.col(TS).dt.truncate("1s"))
    if fmt == "xlsx":
        frame = frame.with_columns(pl.col(TS).dt.truncate("1ms"))
    return frame.unique([SERIES, TS], keep="first", maintain_order=True)


def read_back(path: Path) -> pl.DataFrame:
    """Read a file the way ingest does: detect, open, plan from the first batch, normalise."""
    formats = pytest.importorskip("variosync.formats")
    normalize = pytest.importorskip("variosync.normalize")
    opened: AbstractContextManager[Any] = formats.open_source(path, formats.ReadOptions())
    parts = []
    with opened as source:
        batches = iter(source.batches)
        first = next(batches)
        plan = normalize.plan_frame(first, source, IngestOptions(), default_series="x")
        offset = 0
        for batch in chain([first], batches):
            valid, rejects = normalize.apply_plan(plan, batch, offset)
            assert rejects.height == 0, rejects
            parts.append(valid)
            offset += batch.height
    return pl.concat(parts)


def expected_of(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """What the format can carry of ``frame``."""
    if fmt == "lineprotocol":
        frame = frame.filter(pl.any_horizontal(pl.col(*FIELDS).is_not_null()))
    return frame


def assert_same(back: pl.DataFrame, expected: pl.DataFrame, fmt: str) -> None:
    back = back.sort(SERIES, TS)
    expected = expected.sort(SERIES, TS)
    assert back.select(SERIES, TS).equals(expected.select(SERIES, TS))
    assert set(back.columns) == {SERIES, TS, *FIELDS}
    for name, dtype in FIELDS.items():
        got, want = back[name], expected[name]
        if fmt == "xlsx" and dtype.is_numeric():
            pairs = zip(got.to_list(), want.to_list(), strict=True)
            assert all(
                (g is None and w is None) or (g is not None and w is not None and _close(g, w))
                for g, w in pairs
            ), (name, got.to_list(), want.to_list())
        else:
            assert got.dtype == dtype, (name, got.dtype)
            assert got.to_list() == want.to_list(), name


def _close(got: float, want: float) -> bool:
    return got == want or abs(got - want) <= 1e-15 * max(abs(got), abs(want))


@pytest.mark.parametrize(("fmt", "compression"), CASES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(fmt: str, compression: str | None, data: st.DataObject) -> None:
    frame = data.draw(datasets(fmt))
    size = data.draw(st.integers(1, max(1, frame.height)))
    batches = [frame.slice(i, size) for i in range(0, frame.height, size)]
    extension = EXPORT_FORMATS[fmt].extensions[0] + (f".{compression}" if compression else "")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{extension}"
        write_batches(iter(batches), path, fmt, compression)
        back = read_back(path)
    assert_same(back, expected_of(frame, fmt), fmt)


def test_ohlcv_reads_back_from_stooq() -> None:
    start = datetime(2024, 1, 15, 9, 30)
    frame = pl.DataFrame(
        {
            SERIES: ["AAPL.US"] * 3,
            TS: [start + timedelta(minutes=5 * i) for i in range(3)],
            "open": [1.5, 2.5, 3.5],
            "high": [2.0, 3.0, 4.0],
            "low": [1.0, 2.0, 3.0],
            "close": [1.75, 2.75, 3.75],
            "volume": [1000, 2000, 3000],
        }
    ).with_columns(pl.col(TS).cast(TS_DTYPE))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "aapl.us.txt"
        write_batches([frame], path, "stooq")
        back = read_back(path)
    assert back.select(frame.columns).sort(TS).equals(frame)


@pytest.mark.parametrize("name", ["a\\,b", "end\\", "two\\\\slashes", "C:\\data"])
def test_line_protocol_backslashes_read_back(name: str) -> None:
    """InfluxDB reads an escaped backslash (two) as one; our reader must agree."""
    frame = pl.DataFrame({SERIES: [name], TS: [datetime(2024, 1, 1)], name: [1.5]}).with_columns(
        pl.col(TS).cast(TS_DTYPE)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "points.lp"
        write_batches([frame], path, "lineprotocol")
        back = read_back(path)
    assert back[SERIES].to_list() == [name]
    assert back.columns[2:] == [name]
