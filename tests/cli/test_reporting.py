"""What the summary and errors tell a user: duplicates, misplaced options, unreachable services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from variosync import Agg, Query, Settings, Variosync
from variosync.catalog import make_engine
from variosync.catalog.migrate import current_revision
from variosync.errors import StorageError

from .conftest import Cli

Write = Callable[[str, bytes | str], Path]


def test_repeated_points_in_one_input_are_counted_and_the_last_kept(vs: Cli, write: Write) -> None:
    path = write("d.csv", "time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:00Z,2\n")
    summary = vs.ingest(path, "-d", "d")
    assert (summary["rows_written"], summary["duplicates"]) == (1, 1)
    assert [p["v"] for p in vs.points("d")] == [2]
    result = vs.ok("ingest", path, "-d", "d")
    assert "1 row(s) repeated a series and time of the same input" in result.stderr


def test_sheet_on_a_non_excel_file_is_an_error_naming_it(vs: Cli, write: Write) -> None:
    path = write("d.csv", "time,v\n2024-01-01T00:00:00Z,1\n")
    message = vs.fails("ingest", path, "-d", "d", "--sheet", "s1", code=2)
    assert "d.csv: --sheet applies to Excel files" in message


def test_an_unreachable_catalog_names_it_without_the_password() -> None:
    engine = make_engine("postgresql+psycopg://someone:hunter2@127.0.0.1:1/db")
    with pytest.raises(StorageError) as caught:
        current_revision(engine)
    engine.dispose()
    assert "127.0.0.1:1/db" in caught.value.message
    assert "hunter2" not in caught.value.message
    assert "\n" not in caught.value.message


def test_repeated_fields_and_aggregates_in_the_api_count_once(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:30:00Z,3\n")
    with Variosync(Settings(home=tmp_path / "home")) as service:
        service.ingest([data], "t")
        assert service.query("t", Query(fields=("v", "v"))).columns == ["series_id", "ts", "v"]
        hourly = service.query("t", Query(every="1h", aggs=(Agg.MEAN, Agg.MEAN)))
        assert hourly.get_column("v").to_list() == [2.0]
