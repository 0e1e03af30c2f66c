"""`variosync clean` and `ingest --recipe` against real Delta tables: preview, apply, undo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]

CSV = (
    "time,sensor,temp\n"
    + "".join(
        f"2024-01-01T00:{m:02d}:00Z,s1,{v}\n"
        for m, v in enumerate(["20", "", "", "21", "22", "95", "21", "20", "", "22"])
    )
    + "".join(f"2024-01-01T00:{m:02d}:00Z,s2,{10 + m}\n" for m in range(10))
)

RECIPE = """
- op: fill_nulls
  method: time
  fields: [temp]
  max_gap: 2
- op: outliers
  method: mad
  window: 5
  action: clip
"""


def _temps(vs: Cli, series: str) -> list[float | None]:
    return [p["temp"] for p in vs.points("d", "--series", series)]


def test_dry_run_reports_each_step_and_writes_nothing(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    recipe = write("r.yaml", RECIPE)
    out = vs.ok("clean", "d", "--recipe", recipe, "--dry-run").stdout
    assert "dry run, nothing written" in out
    assert "1. fill_nulls" in out and "filled 3 values" in out
    # Only the spike of 95 is clipped: the 22 beside it sits in a window whose median absolute
    # deviation is 0 (most of its points are equal), and such a window tests nothing.
    assert "2. outliers" in out and "changed 1 values" in out
    assert "before:" in out and "after:" in out
    assert vs.info("d")["version"] == 0
    assert _temps(vs, "s1")[1] is None


def test_apply_writes_one_version_and_restore_undoes_it(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    before = vs.points("d")
    report = json.loads(vs.ok("clean", "d", "--recipe", write("r.yaml", RECIPE), "--json").stdout)
    assert report["version"] == 1 and not report["dry_run"]
    assert [s["values_filled"] for s in report["steps"]] == [3, 0]
    temps = _temps(vs, "s1")
    assert temps[1] is not None and temps[2] is not None
    assert temps[5] is not None and temps[5] < 95
    assert _temps(vs, "s2") == [float(10 + m) for m in range(10)]  # untouched
    latest = vs.history("d")[0]
    assert latest["operation"] == "clean"
    assert "fill_nulls" in latest["metadata"]["steps"]
    assert (
        latest["metadata"]["report"] == "1: filled 3 values; 2: changed 1 values, flagged 1 values"
    )
    assert json.loads(latest["metadata"]["recipe"])[0]["method"] == "time"
    vs.ok("restore", "d", "0")
    assert vs.points("d") == before


def test_series_option_cleans_only_those_series(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    vs.ok("clean", "d", "--op", "fill_nulls method=constant value=0", "--series", "s2")
    assert _temps(vs, "s1")[1] is None
    vs.ok("clean", "d", "--op", "fill_nulls method=constant value=0", "-s", "s1")
    assert _temps(vs, "s1")[1] == 0.0


def test_a_recipe_changing_fields_rewrites_the_schema(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    vs.ok(
        "clean",
        "d",
        "--op",
        'rename fields={"temp":"celsius"}',
        "--op",
        'derive name=fahrenheit expr="celsius*9/5+32"',
    )
    info = vs.info("d")
    assert [f["name"] for f in info["fields"]] == ["celsius", "fahrenheit"]
    point = vs.points("d", "--series", "s2", "--limit", "1")[0]
    assert point["fahrenheit"] == 50.0


def test_ingest_with_a_recipe_cleans_on_the_way_in(vs: Cli, write: Write) -> None:
    summary = vs.ingest(
        write("s.csv", CSV), "-d", "d", "--recipe", write("r.yaml", RECIPE), "--op", "sort"
    )
    assert [s["op"] for s in summary["cleaning"]] == ["fill_nulls", "outliers", "sort"]
    assert summary["cleaning"][0]["values_filled"] == 3
    assert None not in _temps(vs, "s1")
    assert vs.history("d")[0]["metadata"]["recipe"].startswith("fill_nulls")


def test_failures_leave_the_data_as_it_was(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    before = vs.points("d")
    error = vs.fails("clean", "d", "--op", "round_time every=1h")
    assert "more than one row" in error
    error = vs.fails("clean", "d", "--op", "fill_nulls method=mean fields=tmp")
    assert "step 1 (fill_nulls): unknown field 'tmp'" in error
    assert "unknown series" in vs.fails("clean", "d", "--op", "sort", "-s", "nope")
    assert "--op 1: unknown operation 'fillna'" in vs.fails("clean", "d", "--op", "fillna")
    assert "does not exist" in vs.fails("clean", "d", "--recipe", "missing.yaml")
    assert "give a --recipe" in vs.fails("clean", "d")
    assert "no dataset named" in vs.fails("clean", "nope", "--op", "sort")
    assert vs.points("d") == before
    assert vs.info("d")["version"] == 0


def test_display_timezone_shows_local_times_and_local_days(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    vs.ok("clean", "d", "--op", "display_timezone zone=Asia/Kolkata")
    first = vs.points("d", "--limit", "1")[0]
    assert first["ts"] == "2024-01-01T05:30:00+05:30"
    assert vs.points("d", "--limit", "1", "--tz", "UTC")[0]["ts"] == "2024-01-01T00:00:00Z"
    daily = vs.points("d", "--every", "1d", "--series", "s2")
    assert [p["ts"] for p in daily] == ["2024-01-01T00:00:00+05:30"]
    assert vs.info("d")["display_zone"] == "Asia/Kolkata"
    vs.ok("restore", "d", "0")
    assert vs.points("d", "--limit", "1")[0]["ts"] == "2024-01-01T00:00:00Z"
    assert "unknown time zone" in vs.fails("query", "d", "--tz", "Mars/Base")
    assert "unknown time zone" in vs.fails("clean", "d", "--op", "display_timezone zone=Nope")


def test_ingest_recipes_into_existing_data_run_row_by_row_only(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    later = write("later.csv", "time,sensor,temp\n2024-01-01T00:10:00Z,s1,23.56\n")
    error = vs.fails(
        "ingest", later, "-d", "d", "--op", "clip upper=40", "--op", "resample every=1h"
    )
    assert "step 2 (resample) needs each series' stored points" in error
    error = vs.fails("ingest", later, "-d", "d", "--op", 'derive name=r expr="temp/prev(temp)"')
    assert "step 1 (derive)" in error
    summary = vs.ingest(
        later,
        "-d",
        "d",
        "--op",
        "round fields=temp decimals=1",
        "--op",
        "display_timezone zone=UTC",
    )
    assert summary["cleaning"][0]["values_changed"] == 1
    assert vs.points("d", "--series", "s1")[-1]["temp"] == 23.6


def test_a_failing_ingest_recipe_names_the_step_and_leaves_no_dataset(
    vs: Cli, write: Write
) -> None:
    error = vs.fails(
        "ingest", write("s.csv", CSV), "-d", "d", "--op", "round_time every=1h", code=2
    )
    assert "more than one row" in error
    assert "no dataset named" in vs.fails("info", "d")
    vs.ingest(write("s.csv", CSV), "-d", "d", "--op", "display_timezone zone=Europe/Paris")
    assert vs.info("d")["display_zone"] == "Europe/Paris"


BERLIN_DST = (
    "time,sensor,v\n"
    + "".join(f"2024-10-26T{h:02d}:00:00Z,s,{h}\n" for h in range(20, 24))
    + "".join(f"2024-10-27T{h:02d}:00:00Z,s,{24 + h}\n" for h in range(0, 6))
)


def test_zones_across_a_clock_change(vs: Cli, write: Write) -> None:
    # Berlin falls back at 2024-10-27 01:00 UTC: the local day of the 27th has 25 hours.
    vs.ingest(write("dst.csv", BERLIN_DST), "-d", "d")
    vs.ok("clean", "d", "--op", "display_timezone zone=Europe/Berlin")
    hourly = vs.points("d", "--every", "1h", "--fill", "null")
    assert len(hourly) == 10  # every UTC hour keeps its own bucket
    assert [p["v"] for p in hourly] == list(range(20, 30))
    assert hourly[4]["ts"] == "2024-10-27T02:00:00+02:00"
    assert hourly[5]["ts"] == "2024-10-27T02:00:00+01:00"
    daily = vs.points("d", "--every", "1d", "--agg", "count", "--fill", "null")
    assert [(p["ts"], p["v"]) for p in daily] == [
        ("2024-10-26T00:00:00+02:00", 2),
        ("2024-10-27T00:00:00+02:00", 8),
    ]
    # bounds without an offset are wall-clock times of the display zone
    local = vs.points("d", "--start", "2024-10-27T00:00", "--end", "2024-10-27T04:00")
    assert [p["v"] for p in local] == [22, 23, 24, 25, 26]
    assert [p["v"] for p in vs.points("d", "--start", "2024-10-27T00:00Z")] == list(range(24, 30))


def test_zone_names_polars_cannot_use_are_refused(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    for zone in ("posixrules", "localtime", "Factory"):
        assert "unknown time zone" in vs.fails(
            "clean", "d", "--op", f"display_timezone zone={zone}"
        )
        assert "unknown time zone" in vs.fails("query", "d", "--tz", zone)
    assert vs.info("d")["version"] == 0


def test_an_old_version_is_shown_in_its_own_zone(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", CSV), "-d", "d")
    vs.ok("clean", "d", "--op", "display_timezone zone=Asia/Kolkata")
    assert vs.points("d", "--limit", "1")[0]["ts"].endswith("+05:30")
    assert vs.points("d", "--limit", "1", "--as-of", "0")[0]["ts"].endswith("Z")
