"""Files that cannot be read at all fail with one line naming the file and leave the dataset alone.

Dataset names are validated before anything is read or written.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]

GOOD = "time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n"


def _parquet() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"time": ["2024-01-01T00:00:00Z"] * 500, "v": range(500)}).write_parquet(buffer)
    return buffer.getvalue()


UNREADABLE: dict[str, tuple[str, Callable[[], bytes]]] = {
    # case: (file name, contents)
    "random bytes": ("noise.bin", lambda: os.urandom(2048).replace(b"\n", b"\x00") + b"\xff\xfe"),
    "truncated parquet": ("cut.parquet", lambda: _parquet()[:300]),
    "parquet name, csv bytes": ("fake.parquet", lambda: GOOD.encode()),
    "empty file": ("empty.csv", lambda: b""),
    "header only": ("header.csv", lambda: b"time,v\n"),
    "truncated gzip": ("cut.csv.gz", lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 20),
    "broken json": ("broken.json", lambda: b'[{"time": "2024-01-01", "v": '),
    "no time column": ("notime.csv", lambda: b"a,b\nx,y\nz,w\n"),
}


@pytest.fixture
def existing(vs: Cli, write: Write) -> list[dict[str, object]]:
    """Dataset ``d`` at version 0 with two points; returns its points."""
    vs.ingest(write("first.csv", GOOD), "-d", "d")
    return vs.points("d")


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_file_fails_cleanly_and_writes_nothing(
    vs: Cli, write: Write, existing: list[dict[str, object]], case: str
) -> None:
    name, contents = UNREADABLE[case]
    path = write(name, contents())
    line = vs.fails("ingest", path, "-d", "d")
    assert name in line
    assert len(vs.history("d")) == 1
    assert vs.info("d")["version"] == 0
    assert vs.points("d") == existing


def test_one_bad_file_among_good_ones_writes_nothing(
    vs: Cli, write: Write, existing: list[dict[str, object]]
) -> None:
    good = write("more.csv", "time,v\n2024-02-01T00:00:00Z,3\n")
    bad = write("cut.parquet", _parquet()[:300])
    line = vs.fails("ingest", good, bad, "-d", "d")
    assert "cut.parquet" in line
    assert len(vs.history("d")) == 1
    assert vs.points("d") == existing


def test_missing_path(vs: Cli, tmp_path: Path, existing: list[dict[str, object]]) -> None:
    line = vs.fails("ingest", tmp_path / "nowhere.csv", "-d", "d", code=5)
    assert "nowhere.csv" in line
    assert "no such file" in line
    assert vs.points("d") == existing


def test_a_folder_is_not_a_file(vs: Cli, tmp_path: Path) -> None:
    line = vs.fails("ingest", tmp_path, "-d", "d")
    assert "folder" in line


def test_unreadable_file_into_a_new_dataset_creates_nothing(vs: Cli, write: Write) -> None:
    vs.fails("ingest", write("noise.bin", b"\x00\x01\x02\xff" * 100), "-d", "fresh")
    vs.fails("info", "fresh", code=3)
    assert vs.ok("datasets", "--json").stdout.strip() == "[]"


def test_unknown_format_names_the_supported_ones(vs: Cli, write: Write) -> None:
    result = vs("ingest", write("noise.bin", b"\x00\x01\x02\xff" * 100), "-d", "d")
    assert result.exit_code == 5
    assert result.stderr.splitlines()[1].startswith("hint: supported formats: parquet")


@pytest.mark.parametrize(
    "name", ["../etc", "a b", "", "/abs", "a/b", "..", ".hidden", "-x", "é", "x" * 129]
)
def test_invalid_dataset_names(vs: Cli, write: Write, tmp_path: Path, name: str) -> None:
    path = write("s.csv", GOOD)
    line = vs.fails("ingest", path, "--dataset", name, code=2)
    assert line.startswith("error: invalid dataset name")
    # Nothing was written anywhere, least of all outside the home.
    files = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.parts[0] in ("files", "home") for p in files)
    assert not any(p.parts[:2] == ("home", "store") for p in files)


def test_dataset_name_never_becomes_a_path(vs: Cli, write: Write) -> None:
    vs.ingest(write("s.csv", GOOD), "-d", "My.Data_set-1")
    tables = [p.name for p in (vs.home / "store" / "datasets").iterdir()]
    assert len(tables) == 1
    assert "My" not in tables[0]
    assert tables[0].isalnum()


@pytest.mark.parametrize("command", ["query", "info", "history", "aggregates", "optimize"])
def test_unknown_dataset(vs: Cli, command: str) -> None:
    line = vs.fails(command, "ghost", code=3)
    assert line == "error: no dataset named 'ghost'"


def test_unknown_dataset_for_restore_and_delete(vs: Cli) -> None:
    vs.fails("restore", "ghost", "0", code=3)
    vs.fails("delete", "ghost", "--yes", code=3)


def test_usage_errors_from_click_are_not_tracebacks(vs: Cli) -> None:
    result = vs("ingest", "x.csv")  # --dataset missing
    assert result.exit_code == 2
    assert "Missing option '--dataset'" in result.stderr
    assert "Traceback" not in result.output


def test_an_option_one_of_several_files_cannot_meet_names_that_file(vs: Cli, write: Write) -> None:
    first = write("first.csv", "stamp,v\n2024-01-01T00:00:00Z,1\n")
    second = write("second.csv", GOOD)
    line = vs.fails("ingest", first, second, "-d", "d", "--time-col", "stamp", code=2)
    assert line.startswith("error: second.csv: no column 'stamp' for the time column")


def test_an_unreachable_store_is_one_line_without_secrets(
    vs: Cli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The object store's client explains a failure as a chain of causes over several lines.
    monkeypatch.setenv("VARIOSYNC_STORE_URL", "s3://bucket/prefix")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-print-me")
    line = vs.fails("ingest", write("a.csv", GOOD), "-d", "d", code=6)
    assert "s3://bucket/prefix" in line
    assert "Connection refused" in line
    assert "do-not-print-me" not in line
