"""Upserts, schema evolution and the version history: history, query --as-of, restore, optimize."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deltalake import DeltaTable

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]

FIRST = (
    "time,series,v\n2024-01-01T00:00:00Z,a,1\n2024-01-01T01:00:00Z,a,2\n2024-01-01T00:00:00Z,b,3\n"
)


def test_reingesting_the_same_file_changes_nothing(vs: Cli, write: Write) -> None:
    path = write("f.csv", FIRST)
    vs.ingest(path, "-d", "d")
    before = vs.points("d")
    again = vs.ingest(path, "-d", "d")
    assert again["version"] == 1
    assert again["rows_written"] == 3
    assert vs.points("d") == before
    assert vs.info("d")["row_count"] == 3


def test_later_points_replace_earlier_ones(vs: Cli, write: Write) -> None:
    vs.ingest(write("f.csv", FIRST), "-d", "d")
    summary = vs.ingest(
        write("g.csv", "time,series,v\n2024-01-01T01:00:00Z,a,20\n2024-01-01T02:00:00Z,a,30\n"),
        "-d",
        "d",
    )
    assert (summary["inserted"], summary["updated"]) == (1, 1)
    points = [(p["series_id"], p["ts"][11:16], p["v"]) for p in vs.points("d")]
    assert points == [("a", "00:00", 1), ("a", "01:00", 20), ("a", "02:00", 30), ("b", "00:00", 3)]


def test_a_new_column_is_added_and_old_rows_are_null(vs: Cli, write: Write) -> None:
    vs.ingest(write("f.csv", FIRST), "-d", "d")
    vs.ingest(write("g.csv", "time,series,v,w\n2024-01-02T00:00:00Z,a,5,7.5\n"), "-d", "d")
    points = vs.points("d")
    assert [p["w"] for p in points] == [None, None, 7.5, None]
    assert [p["v"] for p in points] == [1, 2, 5, 3]
    assert [f["name"] for f in vs.info("d")["fields"]] == ["v", "w"]


def test_a_later_file_without_a_column_leaves_it_null(vs: Cli, write: Write) -> None:
    vs.ingest(write("f.csv", FIRST), "-d", "d")
    vs.ingest(write("g.csv", "time,series\n2024-01-03T00:00:00Z,a\n"), "-d", "d")
    assert vs.points("d", "--start", "2024-01-03")[0]["v"] is None


def _three_versions(vs: Cli, write: Write) -> None:
    vs.ingest(write("f.csv", FIRST), "-d", "d")  # version 0: 3 rows
    vs.ingest(write("g.csv", "time,series,v\n2024-01-01T01:00:00Z,a,20\n"), "-d", "d")  # 1
    vs.ingest(write("h.csv", "time,series,v\n2024-01-05T00:00:00Z,c,9\n"), "-d", "d")  # 2


def test_history_lists_versions_newest_first(vs: Cli, write: Write) -> None:
    _three_versions(vs, write)
    versions = vs.history("d")
    assert [v["version"] for v in versions] == [2, 1, 0]
    assert {v["operation"] for v in versions} == {"ingest"}
    assert [v["metadata"]["rows"] for v in versions] == ["1", "1", "3"]
    assert [v["metadata"]["files"] for v in versions] == ["h.csv", "g.csv", "f.csv"]
    now = datetime.now(UTC)
    for v in versions:
        stamp = datetime.fromisoformat(v["timestamp"])
        assert now - stamp < timedelta(minutes=5)


def test_history_text(vs: Cli, write: Write) -> None:
    _three_versions(vs, write)
    lines = vs.ok("history", "d").stdout.splitlines()
    assert len(lines) == 3
    assert re.match(r"^\s+2  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  ingest .*rows=1", lines[0])
    assert "files=f.csv" in lines[2]


def test_query_as_of_reads_old_versions(vs: Cli, write: Write) -> None:
    _three_versions(vs, write)
    v0 = vs.points("d", "--as-of", "0")
    assert [p["v"] for p in v0] == [1, 2, 3]
    v1 = vs.points("d", "--as-of", "1")
    assert [p["v"] for p in v1] == [1, 20, 3]
    assert len(vs.points("d")) == 4
    line = vs.fails("query", "d", "--as-of", "9", code=3)
    assert "version 9" in line


def test_restore_rolls_back_as_a_new_version(vs: Cli, write: Write) -> None:
    _three_versions(vs, write)
    v0 = vs.points("d", "--as-of", "0")
    result = vs.ok("restore", "d", "0")
    assert result.stdout == ""
    assert "restored version 0 as version 3" in result.stderr
    assert vs.points("d") == v0
    versions = vs.history("d")
    assert versions[0]["version"] == 3
    assert versions[0]["operation"] == "restore"
    info = vs.info("d")
    assert (info["version"], info["row_count"], info["series_count"]) == (3, 3, 2)
    assert info["end"] == "2024-01-01T01:00:00Z"
    # The restored-away version is still there to go back to.
    assert len(vs.points("d", "--as-of", "2")) == 4


def test_restore_unknown_version(vs: Cli, write: Write) -> None:
    vs.ingest(write("f.csv", FIRST), "-d", "d")
    line = vs.fails("restore", "d", "5", code=3)
    assert "version 5" in line
    assert len(vs.history("d")) == 1


def test_optimize_compacts_and_keeps_the_data(vs: Cli, write: Write) -> None:
    for day in range(1, 6):
        vs.ingest(write(f"f{day}.csv", f"time,v\n2024-01-0{day}T00:00:00Z,{day}\n"), "-d", "d")
    before = vs.points("d")
    [table] = (vs.home / "store" / "datasets").iterdir()
    assert len(DeltaTable(table).file_uris()) == 5
    version_before = vs.info("d")["version"]
    result = vs.ok("optimize", "d")
    assert re.search(r"5 files compacted into 1; version 5", result.stderr), result.stderr
    assert vs.points("d") == before
    assert vs.info("d")["version"] == version_before + 1
    assert vs.history("d")[0]["operation"] == "optimize"
    assert len(DeltaTable(table).file_uris()) == 1
    # Old files stay for time travel.
    assert len(vs.points("d", "--as-of", "2")) == 3


def test_duplicate_points_in_one_ingest_last_one_wins(vs: Cli, write: Write) -> None:
    dup = write("dup.csv", "time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:00Z,2\n")
    summary = vs.ingest(dup, dup, "-d", "d")
    assert summary["rows_written"] == 1
    assert [p["v"] for p in vs.points("d")] == [2]


def test_restoring_the_current_version_is_a_clear_error(vs: Cli, write: Write) -> None:
    vs.ingest(write("f.csv", FIRST), "-d", "d")
    assert "version 0 is already the current version" in vs.fails("restore", "d", "0", code=2)
