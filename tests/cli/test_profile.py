"""`variosync profile` and the quality summary of `info`, made at ingest and stored per version."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]

# s1: hourly with a 2-hour hole, one null, a duplicate row and a row that arrives late.
# s2: hourly, complete, stuck at 5.0 for twelve hours.
ROWS = (
    ["time,sensor,v"]
    + [f"2024-01-01T{h:02d}:00:00Z,s1,{h}" for h in (0, 1, 2, 6, 7, 8, 9)]
    + ["2024-01-01T10:00:00Z,s1,", "2024-01-01T09:00:00Z,s1,9", "2024-01-01T03:00:00Z,s1,3"]
    + [f"2024-01-01T{h:02d}:00:00Z,s2,5.0" for h in range(12)]
)
CSV = "\n".join(ROWS) + "\n"


def _profile(vs: Cli, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(vs.ok("profile", "d", "--json", *args).stdout)
    return found


def test_the_ingest_stores_a_profile_of_the_new_version(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    found = _profile(vs)
    assert found["rows"] == 21 and found["series_count"] == 2
    assert found["frequency"] == "1h"
    s1, s2 = found["series"]
    assert (s1["series_id"], s1["gaps"], s1["missing_points"]) == ("s1", 1, 2)
    assert (s1["duplicates"], s1["out_of_order"]) == (1, 2)
    assert s1["fields"][0]["nulls"] == 1
    assert s2["fields"][0]["constant_runs"]["runs"] == 1
    assert found["totals"]["duplicates"] == 1
    info = vs.ok("info", "d").stdout
    assert "quality   frequency 1h; 1 gaps (2 missing points); 1 nulls" in info
    assert "1 constant runs" in info and "ingest saw 1 duplicates, 2 out of order" in info
    assert vs.info("d")["quality"]["totals"]["gaps"] == 1
    # made from the groups on their way to the writer; a fresh profile of the table agrees
    assert _profile(vs, "--refresh") == found


def test_profile_text_and_series_filter(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    text = vs.ok("profile", "d", "--series", "s2").stdout
    assert "series s2" in text and "series s1" not in text
    assert [s["series_id"] for s in _profile(vs, "-s", "s1")["series"]] == ["s1"]
    assert "unknown series: nope" in vs.fails("profile", "d", "-s", "nope")
    assert "no dataset named" in vs.fails("profile", "missing")


def test_cleaning_makes_a_new_profile(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    vs.ok("clean", "d", "--op", "fill_gaps method=linear", "--op", "fill_nulls method=previous")
    found = _profile(vs)
    assert found["totals"]["gaps"] == 0 and found["rows"] == 23
    assert found["series"][0]["fields"][0]["nulls"] == 0
    # the ingest's duplicates still count: they describe how the data arrived
    assert found["totals"]["duplicates"] == 1


def test_profiling_on_write_can_be_turned_off(
    vs: Cli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARIOSYNC_PROFILE_ON_WRITE", "false")
    vs.ingest(write("s.csv", CSV), "-d", "d")
    assert "quality" not in vs.info("d")
    assert _profile(vs)["rows"] == 21  # made on request, then stored
    assert vs.info("d")["quality"]["rows"] == 21


def test_an_upsert_reprofiles_only_its_series_and_matches_a_full_profile(
    vs: Cli, write: Write
) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    later = "time,sensor,v\n2024-01-01T12:00:00Z,s2,6.5\n2024-01-01T15:00:00Z,s3,1\n"
    vs.ingest(write("later.csv", later), "-d", "d")
    stored = _profile(vs)
    assert [s["series_id"] for s in stored["series"]] == ["s1", "s2", "s3"]
    assert stored["series"][1]["rows"] == 13
    assert _profile(vs, "--refresh") == stored


def test_a_restore_counts_only_the_ingests_it_keeps(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    again = "time,sensor,v\n2024-01-01T20:00:00Z,s2,1\n2024-01-01T20:00:00Z,s2,2\n"
    vs.ingest(write("again.csv", again), "-d", "d")
    assert _profile(vs)["totals"]["duplicates"] == 2
    vs.ok("restore", "d", "0")
    assert _profile(vs)["totals"]["duplicates"] == 1
