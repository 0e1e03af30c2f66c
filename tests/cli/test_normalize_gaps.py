"""``variosync ingest`` never turns readings into 1970 times, and reads true/false as booleans."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from variosync.export import EXPORT_FORMATS

Write = Callable[[str, bytes | str], Path]

EXTENSION = {"lineprotocol": "lp"}


def test_time_col_naming_a_reading_column_fails_and_writes_nothing(vs: Cli, samples: Path) -> None:
    result = vs("ingest", samples / "sensors.csv", "-d", "x", "--time-col", "humidity")
    assert result.exit_code == 5
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error == (
        "error: sensors.csv: column 'humidity' holds numbers like 64.8 that are not epoch times "
        "(seconds/ms/µs/ns since 1970)"
    )
    assert hint.startswith("hint: ") and "--time-format" in hint
    vs.fails("info", "x", code=3)


def test_the_sample_file_still_ingests_whole(vs: Cli, samples: Path) -> None:
    summary = vs.ingest(samples / "sensors.csv", "-d", "x")
    assert summary["rejected"] == 0
    assert summary["rows_written"] == 1080


@pytest.mark.parametrize(
    ("cells", "shown"),
    [
        (["21.5", "22.0", "22.5"], "21.5"),
        (["1", "2", "3"], "1"),
        (["0", "3600", "7200"], "0"),
    ],
)
def test_numbers_that_are_not_epochs_are_refused(
    vs: Cli, write: Write, cells: list[str], shown: str
) -> None:
    rows = "".join(f"{c},{i}\n" for i, c in enumerate(cells))
    path = write("s.csv", "reading,v\n" + rows)
    line = vs.fails("ingest", path, "-d", "d", "--time-col", "reading", code=5)
    assert f"column 'reading' holds numbers like {shown} that are not epoch times" in line


@pytest.mark.parametrize(
    ("cells", "start"),
    [
        (["1700000000", "1700000060"], "2023-11-14T22:13:20Z"),
        (["1700000000123", "1700000060123"], "2023-11-14T22:13:20.123000Z"),
        (["-2208988800", "-2208988740"], "1900-01-01T00:00:00Z"),
    ],
)
def test_time_col_reads_epochs(vs: Cli, write: Write, cells: list[str], start: str) -> None:
    rows = "".join(f"{c},{i}\n" for i, c in enumerate(cells))
    path = write("s.csv", "stamp,v\n" + rows)
    summary = vs.ingest(path, "-d", "d", "--time-col", "stamp")
    assert summary["rows_written"] == 2
    assert summary["start"] == start


def test_true_false_text_is_stored_as_booleans(vs: Cli, write: Write) -> None:
    path = write(
        "s.csv",
        "time,ok,v\n"
        "2024-01-01T00:00:00Z,True,1\n"
        "2024-01-01T01:00:00Z,FALSE,2\n"
        "2024-01-01T02:00:00Z,,3\n"
        "2024-01-01T03:00:00Z,false,4\n",
    )
    summary = vs.ingest(path, "-d", "d")
    assert summary["rejected"] == 0
    assert [p["ok"] for p in vs.points("d")] == [True, False, None, False]
    out = vs.ok("query", "d", "--format", "jsonl").stdout
    assert '"ok":true' in out and '"ok":false' in out
    fields = {f["name"]: f["dtype"] for f in vs.info("d")["fields"]}
    assert fields["ok"] == "Boolean"


def test_a_later_non_boolean_rejects_its_row(vs: Cli, write: Write) -> None:
    # Past the sample the plan is decided from (the head and every other row after it).
    n, bad = 4000, 3001
    cells = ["maybe" if i == bad else ("true" if i % 2 else "false") for i in range(n)]
    rows = "".join(f"{1700000000 + 60 * i},{c}\n" for i, c in enumerate(cells))
    path = write("s.csv", "timestamp,ok\n" + rows)
    summary = vs.ingest(path, "-d", "d")
    assert summary["rows_written"] == n - 1
    [reject] = summary["rejects_sample"]
    assert (reject["row"], reject["column"]) == (bad + 1, "ok")
    assert reject["reason"] == "'maybe' is not true/false"


def test_json_booleans_stay_booleans(vs: Cli, write: Write) -> None:
    records = [
        {"time": "2024-01-01T00:00:00Z", "ok": True},
        {"time": "2024-01-01T01:00:00Z", "ok": False},
    ]
    path = write("s.json", json.dumps(records))
    vs.ingest(path, "-d", "d")
    assert [p["ok"] for p in vs.points("d")] == [True, False]


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f != "stooq"])
def test_booleans_survive_export_and_ingest(
    vs: Cli, write: Write, tmp_path: Path, fmt: str
) -> None:
    path = write("s.csv", "time,ok\n2024-01-01T00:00:00Z,true\n2024-01-01T01:00:00Z,false\n")
    vs.ingest(path, "-d", "src")
    target = tmp_path / f"out.{EXTENSION.get(fmt, fmt)}"
    vs.ok("export", "src", target, "--format", fmt)
    vs.ingest(target, "-d", "copy")
    assert [p["ok"] for p in vs.points("copy")] == [True, False]
    fields = {f["name"]: f["dtype"] for f in vs.info("copy")["fields"]}
    assert fields["ok"] == "Boolean"
