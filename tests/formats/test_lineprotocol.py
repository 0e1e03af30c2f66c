"""InfluxDB line protocol: escaping, field types, series keys, malformed lines."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from variosync.errors import ReadError
from variosync.formats import ReadOptions
from variosync.formats.lineprotocol import Malformed, open_lineprotocol, parse_line

from . import samples
from .conftest import Writer
from .samples import read_all


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cpu value=1", ("cpu", None, {"value": 1.0})),
        ("cpu value=1 1700000000000000000", ("cpu", 1700000000000000000, {"value": 1.0})),
        ("cpu,z=1,a=2 v=1i", ("cpu,a=2,z=1", None, {"v": 1})),
        ("cpu v=3u,w=-2i", ("cpu", None, {"v": 3, "w": -2})),
        ("cpu a=t,b=FALSE,c=True", ("cpu", None, {"a": True, "b": False, "c": True})),
        ('cpu s="a, b=c \\"q\\" \\\\"', ("cpu", None, {"s": 'a, b=c "q" \\'})),
        (r"my\ cpu,host\,name=a\ b\=c v\ x=1e3", ("my cpu,host,name=a b=c", None, {"v x": 1000.0})),
        ("cpu v=-1.5E-2 -5", ("cpu", -5, {"v": -0.015})),
        ('cpu s="with space" 12', ("cpu", 12, {"s": "with space"})),
    ],
)
def test_parse_line(line: str, expected: tuple) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "cpu",
        "cpu value",
        "cpu value=",
        "cpu value=abc",
        'cpu value="open',
        "cpu value=1 notatime",
        ",tag=a value=1",
        "cpu,tag value=1",
        "cpu v=-1u",
        "cpu v=9223372036854775808i",
    ],
)
def test_malformed_lines(line: str) -> None:
    with pytest.raises(Malformed):
        parse_line(line)


def test_file_becomes_typed_columns(write: Writer) -> None:
    source, frame = read_all(write("weather.lp", samples.LINEPROTOCOL))
    assert (source.format, source.series_col, source.time_col) == (
        "lineprotocol",
        "series_id",
        "ts",
    )
    assert frame.schema == pl.Schema(
        {
            "series_id": pl.String,
            "ts": pl.Datetime("ns", "UTC"),
            "temp": pl.Float64,
            "n": pl.Int64,
            "ok": pl.Boolean,
            "note": pl.String,
        }
    )
    assert frame["series_id"].to_list() == ["weather,city=zurich,station=b"] * 2
    assert frame["ts"][0] == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert frame["note"].to_list() == ["fine", 'a "b"']


def test_malformed_line_becomes_an_all_null_row(write: Writer) -> None:
    content = b"cpu v=1 1\n\n# comment\nthis is not line protocol\ncpu v=2\n"
    _, frame = read_all(write("mixed.lp", content))
    assert frame.to_dict(as_series=False) == {
        "series_id": ["cpu", None, "cpu"],
        "ts": [dt.datetime(1970, 1, 1, tzinfo=dt.UTC), None, None],
        "v": [1.0, None, 2.0],
    }


def test_reserved_field_names_are_renamed(write: Writer) -> None:
    _, frame = read_all(write("r.lp", b"cpu ts=1,series_id=2 5\n"))
    assert frame.columns == ["series_id", "ts", "ts_field", "series_id_field"]


@pytest.mark.parametrize("content", [b"# only a comment\n\n", b"not line protocol\nnor this\n"])
def test_no_valid_line_is_a_read_error(write: Writer, content: bytes) -> None:
    with pytest.raises(ReadError, match=r"bad\.lp: not a valid line protocol file"):
        open_lineprotocol(write("bad.lp", content), ReadOptions())


def test_batches_count_data_lines(write: Writer) -> None:
    content = b"# header\n" + b"".join(f"m v={i}i {i}\n".encode() for i in range(25))
    source = open_lineprotocol(write("m.lp", content), ReadOptions(batch_rows=10))
    batches = list(source.batches)
    assert [batch.height for batch in batches] == [10, 10, 5]
    assert pl.concat(batches)["v"].to_list() == list(range(25))
