"""The Python API of profiling and cleaning: dry runs, versions, undo, S3 and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from variosync import Settings, Variosync
from variosync.errors import UsageError

CSV = (
    "time,sensor,v,n\n"
    "2024-01-01T00:00:00Z,a,1.0,1\n"
    "2024-01-01T01:00:00Z,a,,2\n"
    "2024-01-01T02:00:00Z,a,3.0,3\n"
    "2024-01-01T00:00:00Z,b,10.0,4\n"
    "2024-01-01T02:00:00Z,b,30.0,5\n"
)
STEPS = [{"op": "fill_gaps", "every": "1h"}, {"op": "fill_nulls", "method": "linear"}]


def _exercise(vs: Variosync, tmp_path: Path) -> None:
    source = tmp_path / "d.csv"
    source.write_text(CSV)
    vs.ingest([source], "d")
    before, first_profile = vs.query("d"), vs.profile("d")

    preview = vs.clean("d", STEPS, dry_run=True)
    assert preview.dry_run and preview.version is None
    assert [s.rows_added for s in preview.steps] == [1, 0]
    assert [s.values_filled for s in preview.steps] == [0, 3]  # a's v, b's inserted v and n
    assert not preview.before.is_empty() and not preview.after.is_empty()
    json.dumps(preview.to_dict())
    assert vs.query("d").equals(before)

    applied = vs.clean("d", STEPS)
    assert applied.version == 1
    after = vs.query("d")
    assert after.height == 6
    assert after.filter(pl.col("series_id") == "b").get_column("v").to_list() == [10, 20, 30]
    record = vs.versions.get(vs.catalog.get("d").id, 1)
    assert record is not None and record.operation == "clean"
    assert record.recipe == [{"op": "fill_gaps", "every": "1h"}, STEPS[1]]
    assert record.report is not None and record.report[0]["rows_added"] == 1

    profile = vs.profile("d")
    assert profile.rows == 6 and profile.totals.gaps == 0
    assert vs.info("d").profile == profile

    vs.restore("d", 0)
    assert vs.query("d").equals(before)
    assert vs.profile("d") == first_profile


def test_clean_preview_apply_and_restore(tmp_path: Path) -> None:
    with Variosync(Settings(home=tmp_path / "home")) as vs:
        _exercise(vs, tmp_path)


@pytest.mark.s3
def test_cleaning_on_s3(tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> None:
    settings = Settings(
        home=tmp_path / "home",
        store_url=f"s3://{s3_bucket}/variosync",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    with Variosync(settings) as vs:
        _exercise(vs, tmp_path)


@pytest.mark.postgres
def test_version_records_in_postgresql(tmp_path: Path, postgres_url: str) -> None:
    settings = Settings(home=tmp_path / "home", database_url=postgres_url)
    from variosync.catalog import make_engine, upgrade

    engine = make_engine(settings.catalog_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    with Variosync(settings) as vs:
        _exercise(vs, tmp_path)
        dataset_id = vs.catalog.get("d").id
        assert [r.version for r in vs.versions.for_dataset(dataset_id)] == [0, 1, 2]
        vs.delete("d")
        assert vs.versions.for_dataset(dataset_id) == []  # ON DELETE CASCADE


def test_a_recipe_file_and_its_errors(tmp_path: Path) -> None:
    source = tmp_path / "d.csv"
    source.write_text(CSV)
    recipe = tmp_path / "r.yml"
    recipe.write_text("- op: convert\n  fields: [n]\n  to: string\n")
    with Variosync(Settings(home=tmp_path / "home")) as vs:
        vs.ingest([source], "d")
        with pytest.raises(UsageError, match="would be String in the cleaned series"):
            vs.clean("d", recipe, series=["a"])
        assert vs.clean("d", recipe).version == 1
        assert vs.query("d").schema["n"] == pl.String
        recipe.write_text("- op: convert\n  fields: [n]\n  to: [string]\n")
        with pytest.raises(UsageError, match=r"recipe r.yml: recipe step 1 \(convert\)"):
            vs.clean("d", recipe)


def test_deleting_a_dataset_removes_its_version_records(tmp_path: Path) -> None:
    source = tmp_path / "d.csv"
    source.write_text(CSV)
    with Variosync(Settings(home=tmp_path / "home")) as vs:
        vs.ingest([source], "d")
        dataset_id = vs.catalog.get("d").id
        assert len(vs.versions.for_dataset(dataset_id)) == 1
        vs.delete("d")
        assert vs.versions.for_dataset(dataset_id) == []


def test_a_spilled_first_ingest_is_profiled_on_its_way_in(tmp_path: Path) -> None:
    rows = ["time,sensor,v"] + [
        f"2024-01-01T{h:02d}:00:00Z,s{s},{(h * s) % 7 if h % 5 else ''}"
        for s in range(40)
        for h in range(24)
        if (s + h) % 11
    ]
    source = tmp_path / "many.csv"
    source.write_text("\n".join(rows) + "\n")
    with Variosync(Settings(home=tmp_path / "home", ingest_memory_bytes=0)) as vs:
        vs.ingest([source], "d")  # spilled: one profile per hash bucket of series, merged
        stored = vs.profile("d")
        assert stored.series_count == 40
        assert vs.profile("d", refresh=True) == stored
