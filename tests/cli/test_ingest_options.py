"""``variosync ingest`` options, the summary it prints, and what happens to bad rows."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]


def test_json_summary_keys(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n")
    summary = vs.ingest(path, "-d", "d")
    for key in ("dataset", "rows_written", "series", "start", "end", "rejected", "version"):
        assert key in summary
    assert summary["dataset"] == "d"
    assert summary["rows_written"] == 2
    assert summary["rejected"] == 0
    assert summary["rejects_sample"] == []
    assert summary["version"] == 0


def test_plain_summary_goes_to_stdout(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-01T00:00:00Z,1\nbad,2\n")
    result = vs.ok("ingest", path, "-d", "d")
    assert result.stdout.startswith("d: wrote 1 rows")
    assert "2024-01-01T00:00:00Z" in result.stdout
    assert "version 0" in result.stdout
    # Rejects are messages for people: stderr.
    assert "rejected 1 row(s)" in result.stderr
    assert "s.csv row 2, column time" in result.stderr
    assert "rejected" not in result.stdout


def test_series_defaults_to_the_file_stem(vs: Cli, write: Write) -> None:
    path = write("boiler-7.csv", "time,v\n2024-01-01,1\n")
    vs.ingest(path, "-d", "d")
    assert vs.points("d")[0]["series_id"] == "boiler-7"


def test_series_column_is_detected(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,ticker,v\n2024-01-01,A,1\n2024-01-01,B,2\n")
    summary = vs.ingest(path, "-d", "d")
    assert summary["series"] == 2
    assert [(p["series_id"], p["v"]) for p in vs.points("d")] == [("A", 1), ("B", 2)]


def test_series_col_option(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,site,v\n2024-01-01,north,1\n2024-01-01,south,2\n")
    summary = vs.ingest(path, "-d", "d", "--series-col", "site")
    assert summary["series"] == 2
    points = vs.points("d")
    assert [p["series_id"] for p in points] == ["north", "south"]
    assert "site" not in points[0]


def test_time_col_option(vs: Cli, write: Write) -> None:
    # Two date columns: --time-col picks which one is the time, the other stays a field.
    path = write("s.csv", "created,measured,v\n2020-01-01,2024-05-06,1\n")
    vs.ingest(path, "-d", "d", "--time-col", "measured")
    point = vs.points("d")[0]
    assert point["ts"] == "2024-05-06T00:00:00Z"
    assert point["created"] == "2020-01-01"


def test_time_format_option(vs: Cli, write: Write) -> None:
    path = write("s.csv", "when,v\n06|05|2024 07h30,1\n07|05|2024 08h00,2\n")
    with_col = vs.ingest(path, "-d", "a", "--time-col", "when", "--time-format", "%d|%m|%Y %Hh%M")
    assert (with_col["start"], with_col["end"]) == ("2024-05-06T07:30:00Z", "2024-05-07T08:00:00Z")
    # Without --time-col, the column the format reads is the time column.
    alone = vs.ingest(path, "-d", "b", "--time-format", "%d|%m|%Y %Hh%M")
    assert (alone["start"], alone["end"]) == ("2024-05-06T07:30:00Z", "2024-05-07T08:00:00Z")


def test_dayfirst(vs: Cli, write: Write) -> None:
    path = write("s.csv", "date,v\n01/02/2024,1\n03/02/2024,2\n")
    assert vs.ingest(path, "-d", "dmy", "--dayfirst")["start"] == "2024-02-01T00:00:00Z"
    assert vs.ingest(path, "-d", "mdy")["start"] == "2024-01-02T00:00:00Z"


def test_tz_stores_utc(vs: Cli, write: Write) -> None:
    # Berlin is UTC+1 in winter and UTC+2 in summer.
    path = write("s.csv", "time,v\n2024-01-15 12:00:00,1\n2024-07-15 12:00:00,2\n")
    summary = vs.ingest(path, "-d", "d", "--tz", "Europe/Berlin")
    assert summary["start"] == "2024-01-15T11:00:00Z"
    assert summary["end"] == "2024-07-15T10:00:00Z"
    assert [p["ts"] for p in vs.points("d")] == ["2024-01-15T11:00:00Z", "2024-07-15T10:00:00Z"]


def test_tz_rejects_local_times_that_do_not_exist_or_repeat(vs: Cli, write: Write) -> None:
    path = write(
        "s.csv",
        "time,v\n"
        "2024-03-31 01:30,1\n"
        "2024-03-31 02:30,2\n"  # clocks jump from 02:00 to 03:00
        "2024-03-31 03:30,3\n"
        "2024-10-27 02:30,4\n",  # 02:00-03:00 happens twice
    )
    summary = vs.ingest(path, "-d", "d", "--tz", "Europe/Berlin")
    assert [(r["row"], r["reason"]) for r in summary["rejects_sample"]] == [
        (2, "local time '2024-03-31 02:30' does not exist in Europe/Berlin (DST gap)"),
        (4, "local time '2024-10-27 02:30' is ambiguous in Europe/Berlin (DST overlap)"),
    ]
    assert [p["ts"] for p in vs.points("d")] == ["2024-03-31T00:30:00Z", "2024-03-31T01:30:00Z"]


def test_tz_leaves_explicit_offsets_alone(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-15T12:00:00+05:00,1\n")
    summary = vs.ingest(path, "-d", "d", "--tz", "Europe/Berlin")
    assert summary["start"] == "2024-01-15T07:00:00Z"


def test_unknown_tz_is_a_usage_error(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-15 12:00:00,1\n")
    line = vs.fails("ingest", path, "-d", "d", "--tz", "Mars/Olympus")
    assert "Mars/Olympus" in line


def test_fields_option_keeps_only_those(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,a,b,c\n2024-01-01,1,2,3\n")
    vs.ingest(path, "-d", "d", "--fields", "a,c")
    assert vs.points("d") == [{"series_id": "s", "ts": "2024-01-01T00:00:00Z", "a": 1, "c": 3}]


def test_fields_option_unknown_field(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,a\n2024-01-01,1\n")
    line = vs.fails("ingest", path, "-d", "d", "--fields", "zz")
    assert "zz" in line
    vs.fails("query", "d", code=3)  # nothing was created


def test_empty_cells_are_nulls_and_the_row_is_kept(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,a,b\n2024-01-01,1,x\n2024-01-02,,\n2024-01-03,3,\n")
    summary = vs.ingest(path, "-d", "d")
    assert summary["rows_written"] == 3
    assert summary["rejected"] == 0
    points = vs.points("d")
    assert [p["a"] for p in points] == [1, None, 3]
    assert [p["b"] for p in points] == ["x", None, None]


def test_bad_timestamp_row_is_rejected_with_its_number(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-01,1\n2024-01-02,2\nlast tuesday,3\n2024-01-04,4\n")
    summary = vs.ingest(path, "-d", "d")
    assert summary["rows_written"] == 3
    assert summary["rejected"] == 1
    [reject] = summary["rejects_sample"]
    assert reject["row"] == 3
    assert reject["column"] == "time"
    assert reject["file"] == "s.csv"
    assert "last tuesday" in reject["reason"]
    assert [p["v"] for p in vs.points("d")] == [1, 2, 4]


def test_every_row_rejected_writes_nothing(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\nnope,1\nnever,2\n")
    # A time column that never parses is no time column at all.
    line = vs.fails("ingest", path, "-d", "d")
    assert "s.csv" in line
    vs.fails("info", "d", code=3)


OHLCV = (
    "date,open,high,low,close,volume\n"
    "2024-01-01,10,12,9,11,100\n"
    "2024-01-02,11,10,9,10.5,200\n"  # high 10 < open 11
    "2024-01-03,10.5,13,10,12,300\n"
)


def test_kind_ohlcv_rejects_a_violating_row_and_keeps_the_rest(vs: Cli, write: Write) -> None:
    path = write("bars.csv", OHLCV)
    summary = vs.ingest(path, "-d", "bars", "--kind", "ohlcv")
    assert summary["kind"] == "ohlcv"
    assert summary["rows_written"] == 2
    assert summary["rejected"] == 1
    [reject] = summary["rejects_sample"]
    assert reject["row"] == 2
    assert reject["column"] == "high"
    assert reject["reason"] == "high 10.0 < max(open, close) 11.0"
    assert [p["ts"][:10] for p in vs.points("bars")] == ["2024-01-01", "2024-01-03"]


def test_kind_ohlcv_needs_the_columns(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-01,1\n")
    line = vs.fails("ingest", path, "-d", "d", "--kind", "ohlcv", code=2)
    assert "open" in line


def test_kind_of_an_existing_dataset_cannot_change(vs: Cli, write: Write) -> None:
    vs.ingest(write("bars.csv", OHLCV), "-d", "bars")
    line = vs.fails("ingest", write("g.csv", OHLCV), "-d", "bars", "--kind", "generic")
    assert "ohlcv" in line


def test_strict_writes_nothing_on_a_new_dataset(vs: Cli, write: Write) -> None:
    path = write("bars.csv", OHLCV)
    line = vs.fails("ingest", path, "-d", "bars", "--strict", code=5)
    assert "bars.csv row 2" in line
    vs.fails("info", "bars", code=3)
    assert json.loads(vs.ok("datasets", "--json").stdout) == []


def test_strict_leaves_an_existing_dataset_at_its_version(vs: Cli, write: Write) -> None:
    good = write("good.csv", "date,open,high,low,close\n2023-12-31,1,2,1,2\n")
    vs.ingest(good, "-d", "bars")
    before = vs.points("bars")
    vs.fails("ingest", write("bars.csv", OHLCV), "-d", "bars", "--strict")
    assert len(vs.history("bars")) == 1
    assert vs.info("bars")["version"] == 0
    assert vs.points("bars") == before


def test_strict_passes_when_every_row_is_valid(vs: Cli, write: Write) -> None:
    path = write("s.csv", "time,v\n2024-01-01,1\n")
    assert vs.ingest(path, "-d", "d", "--strict")["rows_written"] == 1


def _workbook() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, value in (("first", 1.0), ("second", 2.0)):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, ["time", "v"])
        sheet.write_datetime(1, 0, datetime(2024, 3, 1, 8, 15), stamp)
        sheet.write_number(1, 1, value)
    workbook.close()
    return buffer.getvalue()


@pytest.mark.parametrize(("sheet", "value"), [(None, 1.0), ("first", 1.0), ("second", 2.0)])
def test_sheet_option(vs: Cli, write: Write, sheet: str | None, value: float) -> None:
    path = write("book.xlsx", _workbook())
    args = ["--sheet", sheet] if sheet else []
    summary = vs.ingest(path, "-d", "d", *args)
    assert summary["start"] == "2024-03-01T08:15:00Z"
    assert vs.points("d")[0]["v"] == value


def test_unknown_sheet(vs: Cli, write: Write) -> None:
    path = write("book.xlsx", _workbook())
    line = vs.fails("ingest", path, "-d", "d", "--sheet", "third")
    assert "third" in line
