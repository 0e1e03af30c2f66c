"""CSV, TSV and delimited .txt: dialects, encodings, headers, quoting and batch boundaries."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest

from variosync.errors import ReadError, UsageError
from variosync.formats import ReadOptions, open_source
from variosync.formats.delimited import sniff_dialect

from .conftest import Writer
from .samples import read_all


@pytest.mark.parametrize(
    ("content", "delimiter", "has_header", "decimal_comma"),
    [
        ("ts,value\n2024-01-01,1.5\n", ",", True, False),
        ("ts;value\n2024-01-01;1,5\n2024-01-02;2,5\n", ";", True, True),
        ("ts;value\n2024-01-01;1.5\n", ";", True, False),
        ("ts;value\n2024-01-01;1.234,5\n", ";", True, True),
        ("ts\tvalue\n2024-01-01\t1,5\n", "\t", True, True),
        ("ts|value|note\n2024-01-01|1.5|a,b\n", "|", True, False),
        ("2024-01-01,1.5\n2024-01-02,2.5\n", ",", False, False),
        ("1;2;3\n4;5;6\n", ";", False, False),
        ('name,note\n"x","a;b;c;d"\n"y","e;f"\n', ",", True, False),
        ("value\n1\n2\n", ",", True, False),
    ],
)
def test_dialect_sniffing(
    content: str, delimiter: str, has_header: bool, decimal_comma: bool
) -> None:
    dialect = sniff_dialect(content.encode())
    assert (dialect.delimiter, dialect.has_header, dialect.decimal_comma) == (
        delimiter,
        has_header,
        decimal_comma,
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "bom.csv",
            b"\xef\xbb\xbfts,value\n2024-01-01,1\n",
            {"ts": ["2024-01-01"], "value": ["1"]},
        ),
        ("latin1.csv", "city;v\nZürich;1\n".encode("latin-1"), {"city": ["Zürich"], "v": ["1"]}),
        ("utf8.csv", "city;v\nZürich;1\n".encode(), {"city": ["Zürich"], "v": ["1"]}),
        (
            "quoted.csv",
            b'ts,note\n2024-01-01,"a, b\nsecond ""line"""\n',
            {"ts": ["2024-01-01"], "note": ['a, b\nsecond "line"']},
        ),
        (
            "noheader.csv",
            b"2024-01-01,1\n2024-01-02,\n",
            {
                "column_1": ["2024-01-01", "2024-01-02"],
                "column_2": ["1", None],
            },
        ),
        ("spaces.csv", b" ts , value \n2024-01-01,1\n", {"ts": ["2024-01-01"], "value": ["1"]}),
        ("dupes.csv", b"a,a,\n1,2,3\n", {"a": ["1"], "a_2": ["2"], "column_3": ["3"]}),
        ("crlf.csv", b"a,b\r\n1,2\r\n", {"a": ["1"], "b": ["2"]}),
        ("data.tsv", b"a\tb\n1,5\t2\n", {"a": ["1,5"], "b": ["2"]}),
        ("data.txt", b"a|b\nx|y\n", {"a": ["x"], "b": ["y"]}),
    ],
)
def test_reads_all_cells_as_strings(write: Writer, name: str, data: bytes, expected: dict) -> None:
    source, frame = read_all(write(name, data))
    assert frame.to_dict(as_series=False) == expected
    assert all(dtype == pl.String for dtype in frame.dtypes)
    assert source.name == name


def test_latin1_long_file_falls_back_after_the_sniffed_head(write: Writer) -> None:
    body = "".join(f"row{i};1\n" for i in range(20_000)) + "Zürich;2\n"
    _, frame = read_all(write("late.csv", ("name;v\n" + body).encode("latin-1")))
    assert frame["name"][-1] == "Zürich"
    assert frame.height == 20_001


def test_semicolon_decimal_comma_is_flagged_and_left_as_text(write: Writer) -> None:
    source, frame = read_all(write("eu.csv", b"ts;value\n2024-01-01;1,5\n2024-01-02;-2,25\n"))
    assert source.decimal_comma
    assert frame["value"].to_list() == ["1,5", "-2,25"]


def test_header_only_file_yields_an_empty_frame_with_its_columns(write: Writer) -> None:
    _, frame = read_all(write("empty.csv", b"ts,value\n"))
    assert frame.columns == ["ts", "value"]
    assert frame.height == 0


@pytest.mark.parametrize(
    ("rows", "batch_rows", "sizes"),
    [(2500, 1000, [1000, 1000, 500]), (2000, 1000, [1000, 1000]), (5, 1, [1] * 5)],
)
def test_batches_cover_every_row_once_in_order(
    write: Writer, rows: int, batch_rows: int, sizes: list[int]
) -> None:
    data = "i,v\n" + "".join(f"{i},x{i}\n" for i in range(rows))
    path = write("rows.csv", data)
    _, frame = read_all(path)

    with open_source(path, ReadOptions(batch_rows=batch_rows)) as source:
        batches = list(source.batches)
    assert [batch.height for batch in batches] == sizes
    assert pl.concat(batches)["i"].to_list() == [str(i) for i in range(rows)]
    assert frame.height == rows


def test_ragged_line_is_a_read_error_naming_the_file(write: Writer) -> None:
    with pytest.raises(ReadError, match=r"ragged\.csv: not a valid delimited text file"):
        read_all(write("ragged.csv", b"a,b\n1,2\n3,4,5,6\n"))


def test_latin1_copy_is_removed_when_reading_stops_early(write: Writer) -> None:
    def entries() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob("variosync-*"))

    before = entries()
    data = ("city;v\n" + "Zürich;1\n" * 10).encode("latin-1")
    with open_source(write("latin.csv", data), ReadOptions(batch_rows=2)) as source:
        first = next(source.batches)
        assert first["city"][0] == "Zürich"
        assert entries() > before
    assert entries() <= before


def test_bracketed_header_is_not_mistaken_for_json(write: Writer) -> None:
    source, frame = read_all(write("units.txt", b"[ts],[value]\n2024-01-01,1\n"))
    assert source.format == "csv"
    assert frame.columns == ["[ts]", "[value]"]


def test_batch_rows_below_one_is_a_usage_error(write: Writer) -> None:
    with pytest.raises(UsageError, match="batch_rows must be at least 1"):
        read_all(write("a.csv", b"a\n1\n"), ReadOptions(batch_rows=0))
