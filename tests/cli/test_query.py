"""``variosync query`` and ``aggregates``: selection, resampling checked by hand, output formats."""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]

# Series a has three points in hour 0, one in hour 1, none in hour 2 and one in hour 3.
TINY = (
    "time,series,v,label\n"
    "2024-01-01T00:00:00Z,a,1,x\n"
    "2024-01-01T00:20:00Z,a,2,y\n"
    "2024-01-01T00:40:00Z,a,6,z\n"
    "2024-01-01T01:10:00Z,a,4,w\n"
    "2024-01-01T03:00:00Z,a,10,v\n"
    "2024-01-01T00:30:00Z,b,5,u\n"
)


@pytest.fixture
def tiny(vs: Cli, write: Write) -> str:
    vs.ingest(write("tiny.csv", TINY), "-d", "tiny")
    return "tiny"


def _keyed(points: list[dict[str, object]]) -> dict[tuple[object, object], dict[str, object]]:
    return {(p["series_id"], str(p["ts"])[11:16]): p for p in points}


def test_all_points_sorted_by_series_and_time(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny)
    assert [(p["series_id"], p["ts"]) for p in points] == [
        ("a", "2024-01-01T00:00:00Z"),
        ("a", "2024-01-01T00:20:00Z"),
        ("a", "2024-01-01T00:40:00Z"),
        ("a", "2024-01-01T01:10:00Z"),
        ("a", "2024-01-01T03:00:00Z"),
        ("b", "2024-01-01T00:30:00Z"),
    ]


def test_jsonl_is_one_object_per_point_series_ts_then_fields(vs: Cli, tiny: str) -> None:
    lines = vs.ok("query", tiny, "--format", "jsonl", "--limit", "2").stdout.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first) == ["series_id", "ts", "v", "label"]
    assert first == {"series_id": "a", "ts": "2024-01-01T00:00:00Z", "v": 1, "label": "x"}


@pytest.mark.parametrize("args", [["-s", "b"], ["--series", "b"]])
def test_one_series(vs: Cli, tiny: str, args: list[str]) -> None:
    assert [p["v"] for p in vs.points(tiny, *args)] == [5]


@pytest.mark.parametrize("args", [["-s", "a", "-s", "b"], ["--series", "a,b"]])
def test_several_series(vs: Cli, tiny: str, args: list[str]) -> None:
    assert len(vs.points(tiny, *args)) == 6


def test_unknown_series_gives_no_rows(vs: Cli, tiny: str) -> None:
    assert vs.points(tiny, "-s", "nope") == []


def test_start_inclusive_end_exclusive(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--start", "2024-01-01T00:20:00Z", "--end", "2024-01-01T01:10:00")
    assert [p["v"] for p in points] == [2, 6, 5]


def test_start_with_an_offset_is_converted_to_utc(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--start", "2024-01-01T02:10:00+01:00")
    assert [p["v"] for p in points] == [4, 10]


def test_fields(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--fields", "label", "--limit", "1")
    assert points == [{"series_id": "a", "ts": "2024-01-01T00:00:00Z", "label": "x"}]


def test_every_agg_by_hand(vs: Cli, tiny: str) -> None:
    aggs = "mean,min,max,sum,count,first,last,median,std"
    points = vs.points(tiny, "--fields", "v", "--every", "1h", "--agg", aggs)
    rows = _keyed(points)
    assert list(rows) == [("a", "00:00"), ("a", "01:00"), ("a", "03:00"), ("b", "00:00")]
    hour0 = rows[("a", "00:00")]
    assert hour0["v_mean"] == 3.0
    assert hour0["v_min"] == 1
    assert hour0["v_max"] == 6
    assert hour0["v_sum"] == 9
    assert hour0["v_count"] == 3
    assert hour0["v_first"] == 1
    assert hour0["v_last"] == 6
    assert hour0["v_median"] == 2.0
    assert math.isclose(hour0["v_std"], math.sqrt(7))  # type: ignore[arg-type]
    hour1 = rows[("a", "01:00")]
    assert (hour1["v_mean"], hour1["v_sum"], hour1["v_count"]) == (4.0, 4, 1)
    assert hour1["v_std"] is None  # the sample deviation of one value is undefined
    assert rows[("b", "00:00")]["v_first"] == 5


def test_every_without_agg_takes_the_mean_and_last_text(vs: Cli, tiny: str) -> None:
    rows = _keyed(vs.points(tiny, "--every", "1h", "-s", "a"))
    assert rows[("a", "00:00")] == {
        "series_id": "a",
        "ts": "2024-01-01T00:00:00Z",
        "v": 3.0,
        "label": "z",
    }


def test_every_one_agg_keeps_the_field_name(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--every", "2h", "--agg", "max", "--fields", "v", "-s", "a")
    assert [(p["ts"][11:16], p["v"]) for p in points] == [("00:00", 6), ("02:00", 10)]


def test_every_day(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--every", "1d", "--agg", "count", "--fields", "v")
    assert [(p["series_id"], p["ts"], p["v"]) for p in points] == [
        ("a", "2024-01-01T00:00:00Z", 5),
        ("b", "2024-01-01T00:00:00Z", 1),
    ]


@pytest.mark.parametrize(("fill", "hour2"), [("null", None), ("previous", 4.0), ("linear", 7.0)])
def test_fill(vs: Cli, tiny: str, fill: str, hour2: float | None) -> None:
    points = vs.points(tiny, "-s", "a", "--fields", "v", "--every", "1h", "--fill", fill)
    assert [(p["ts"][11:16], p["v"]) for p in points] == [
        ("00:00", 3.0),
        ("01:00", 4.0),
        ("02:00", hour2),
        ("03:00", 10.0),
    ]


def test_latest(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--latest")
    assert [(p["series_id"], p["ts"], p["v"]) for p in points] == [
        ("a", "2024-01-01T03:00:00Z", 10),
        ("b", "2024-01-01T00:30:00Z", 5),
    ]


def test_latest_with_end(vs: Cli, tiny: str) -> None:
    points = vs.points(tiny, "--latest", "--end", "2024-01-01T02:00:00Z", "-s", "a")
    assert [p["v"] for p in points] == [4]


@pytest.mark.parametrize("limit", [0, 1, 4, 100])
def test_limit(vs: Cli, tiny: str, limit: int) -> None:
    assert len(vs.points(tiny, "--limit", str(limit))) == min(limit, 6)


BARS = (
    "date,ticker,open,high,low,close,volume\n"
    "2024-01-02T09:00:00Z,X,10,12,9,11,100\n"
    "2024-01-02T09:30:00Z,X,11,15,10,14,50\n"
    "2024-01-02T10:00:00Z,X,14,14,8,9,25\n"
)


def test_ohlcv_default_resample(vs: Cli, write: Write) -> None:
    vs.ingest(write("bars.csv", BARS), "-d", "bars")
    points = vs.points("bars", "--every", "1h")
    assert points == [
        {
            "series_id": "X",
            "ts": "2024-01-02T09:00:00Z",
            "open": 10.0,
            "high": 15.0,
            "low": 9.0,
            "close": 14.0,
            "volume": 150,
        },
        {
            "series_id": "X",
            "ts": "2024-01-02T10:00:00Z",
            "open": 14.0,
            "high": 14.0,
            "low": 8.0,
            "close": 9.0,
            "volume": 25,
        },
    ]


def test_table_is_the_default(vs: Cli, tiny: str) -> None:
    result = vs.ok("query", tiny, "-s", "b")
    lines = result.stdout.splitlines()
    assert lines[0].split("|")[1:-1] == [" series_id ", " ts                   ", " v ", " label "]
    assert "| b         | 2024-01-01T00:30:00Z | 5 | u     |" in lines
    assert result.stderr == ""


def _minutes(count: int) -> str:
    return "time,v\n" + "".join(
        f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00Z,{i}\n" for i in range(count)
    )


def test_table_prints_the_first_rows_and_says_there_are_more(vs: Cli, write: Write) -> None:
    vs.ingest(write("long.csv", _minutes(100)), "-d", "long")
    result = vs.ok("query", "long")
    rows = [line for line in result.stdout.splitlines() if line.startswith("| long")]
    assert [row.split("|")[3].strip() for row in rows] == [str(i) for i in range(40)]
    assert "…" not in result.stdout
    assert result.stderr == "(first 40 rows; use --limit N or --format csv for all)\n"


@pytest.mark.parametrize(("count", "args"), [(40, []), (100, ["--limit", "10"])])
def test_table_says_nothing_when_all_rows_are_shown(
    vs: Cli, write: Write, count: int, args: list[str]
) -> None:
    vs.ingest(write("long.csv", _minutes(count)), "-d", "long")
    result = vs.ok("query", "long", *args)
    rows = [line for line in result.stdout.splitlines() if line.startswith("| long")]
    assert len(rows) == min(count, 40, *(int(a) for a in args[1:]))
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (["--fields", "v,v"], "series_id,ts,v"),
        (["--fields", "v", "--every", "1h", "--agg", "max,max"], "series_id,ts,v"),
        (["--fields", "v", "--every", "1h", "--agg", "max,min,max"], "series_id,ts,v_max,v_min"),
    ],
)
def test_a_name_given_twice_counts_once(vs: Cli, tiny: str, args: list[str], header: str) -> None:
    out = vs.ok("query", tiny, "-s", "b", "--format", "csv", *args).stdout
    assert out.splitlines()[0] == header


def test_csv(vs: Cli, tiny: str) -> None:
    out = vs.ok("query", tiny, "--format", "csv", "-s", "b").stdout
    assert out == "series_id,ts,v,label\nb,2024-01-01T00:30:00Z,5,u\n"


def test_json(vs: Cli, tiny: str) -> None:
    out = vs.ok("query", tiny, "--format", "json", "--latest").stdout
    assert json.loads(out) == [
        {"series_id": "a", "ts": "2024-01-01T03:00:00Z", "v": 10, "label": "v"},
        {"series_id": "b", "ts": "2024-01-01T00:30:00Z", "v": 5, "label": "u"},
    ]


def test_parquet_to_stdout(vs: Cli, tiny: str) -> None:
    result = vs.ok("query", tiny, "--format", "parquet")
    frame = pl.read_parquet(io.BytesIO(result.stdout_bytes))
    assert frame.columns == ["series_id", "ts", "v", "label"]
    assert frame.height == 6
    assert frame["v"].to_list() == [1, 2, 6, 4, 10, 5]
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")


@pytest.mark.parametrize(("name", "fmt"), [("out.csv", None), ("out.dat", "json")])
def test_output_file(vs: Cli, tiny: str, tmp_path: Path, name: str, fmt: str | None) -> None:
    target = tmp_path / name
    args = ["--format", fmt] if fmt else []
    result = vs.ok("query", tiny, "-s", "a", "--output", target, *args)
    assert result.stdout == ""
    assert f"wrote 5 rows to {target}" in result.stderr
    text = target.read_text()
    if fmt == "json":
        assert [p["v"] for p in json.loads(text)] == [1, 2, 6, 4, 10]
    else:
        assert text.splitlines()[1] == "a,2024-01-01T00:00:00Z,1,x"


def test_output_parquet(vs: Cli, tiny: str, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    vs.ok("query", tiny, "--every", "1h", "--agg", "sum", "--fields", "v", "-o", target)
    assert pl.read_parquet(target)["v"].to_list() == [9, 4, 10, 5]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_an_empty_result_keeps_its_columns(vs: Cli, tiny: str, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"none.{fmt}"
    result = vs.ok("query", tiny, "--start", "2030-01-01", "-o", target)
    assert "wrote 0 rows" in result.stderr
    out = vs.ok("query", tiny, "--start", "2030-01-01", "--format", fmt).stdout_bytes
    if fmt == "csv":
        assert out == target.read_bytes() == b"series_id,ts,v,label\n"
    elif fmt == "parquet":
        frame = pl.read_parquet(target)
        assert (frame.columns, frame.height) == (["series_id", "ts", "v", "label"], 0)
        assert pl.read_parquet(io.BytesIO(out)).columns == frame.columns
    elif fmt == "json":
        assert json.loads(out) == json.loads(target.read_bytes()) == []
    else:
        assert out == target.read_bytes() == b""


def test_output_into_a_missing_folder(vs: Cli, tiny: str, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.csv"
    line = vs.fails("query", tiny, "-o", target, code=2)
    assert line.startswith(f"error: cannot write {target}")
    assert not target.parent.exists()


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--fields", "nope"], 2, "unknown field(s): nope"),
        (["--every", "1x"], 2, "invalid interval '1x'"),
        (["--every", "0h"], 2, "invalid interval '0h'"),
        (["--start", "yesterday"], 2, "invalid --start 'yesterday'"),
        (["--end", "2024-13-01"], 2, "invalid --end"),
        (["--agg", "mean"], 2, "--agg needs --every"),
        (["--every", "1h", "--agg", "avg"], 2, "unknown aggregate(s): avg"),
        (["--fill", "previous"], 2, "--fill needs --every"),
        (["--every", "1h", "--agg", "mean", "--fields", "label"], 2, "holds text"),
        (["--as-of", "7"], 3, "version 7"),
    ],
)
def test_bad_values_are_clear_errors(
    vs: Cli, tiny: str, args: list[str], code: int, words: str
) -> None:
    line = vs.fails("query", tiny, *args, code=code)
    assert words in line


def test_bad_choice_is_a_usage_error(vs: Cli, tiny: str) -> None:
    for args in (["--format", "xml"], ["--fill", "zero"], ["--limit", "-1"]):
        result = vs("query", tiny, *args)
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert result.stdout == ""


def test_aggregates_points_and_series_per_bucket(vs: Cli, tiny: str) -> None:
    out = vs.ok("aggregates", tiny, "--every", "1h", "--format", "jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [
        {"ts": "2024-01-01T00:00:00Z", "points": 4, "series": 2},
        {"ts": "2024-01-01T01:00:00Z", "points": 1, "series": 1},
        {"ts": "2024-01-01T03:00:00Z", "points": 1, "series": 1},
    ]


def test_aggregates_default_hour_table(vs: Cli, tiny: str) -> None:
    lines = vs.ok("aggregates", tiny).stdout.splitlines()
    assert "| 2024-01-01T00:00:00Z | 4      | 2      |" in lines
    assert len(lines) == 2 + 3


def test_aggregates_csv_by_day(vs: Cli, tiny: str) -> None:
    out = vs.ok("aggregates", tiny, "--every", "1d", "--format", "csv").stdout
    assert out == "ts,points,series\n2024-01-01T00:00:00Z,6,2\n"


def test_aggregates_bad_interval(vs: Cli, tiny: str) -> None:
    assert "invalid interval" in vs.fails("aggregates", tiny, "--every", "hourly", code=2)


@pytest.mark.parametrize("command", ["query", "aggregates", "export"])
def test_a_version_past_the_latest_is_refused_at_once(
    vs: Cli, tiny: str, tmp_path: Path, command: str
) -> None:
    """The store's search for a missing version grows with its number (10**8 took 8 s)."""
    args = [tmp_path / "out.csv"] if command == "export" else []
    started = time.perf_counter()
    line = vs.fails(command, tiny, *args, "--as-of", "100000000", code=3)
    assert line == "error: version 100000000 does not exist (latest is 0)"
    assert time.perf_counter() - started < 5


def test_extreme_values_are_clear_errors(vs: Cli, tiny: str) -> None:
    assert len(vs.points(tiny, "--limit", "1" + "0" * 30)) == 6  # past polars' row index
    start = ["--start", "0001-01-01T00:00:00+01:00"]  # before year 1 in UTC
    assert vs.fails("query", tiny, *start, code=2) == f"error: invalid --start {start[1]!r}"
    for every, words in [("1000000000000d", "longer than 1000 years"), ("1ns", "finer")]:
        assert words in vs.fails("query", tiny, "--every", every, "--fill", "null", code=2)


def test_a_filled_resample_too_large_is_refused(
    vs: Cli, tiny: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("variosync.selection.MAX_FILLED_ROWS", 3)
    fill = ["-s", "a", "--fields", "v", "--fill", "previous", "--every"]
    line = vs.fails("query", tiny, *fill, "1h", code=2)
    assert line == "error: filling empty 1h buckets would make about 4 rows (at most 3)"
    assert [p["v"] for p in vs.points(tiny, *fill, "2h")] == [3.25, 10.0]
