"""``variosync export`` to every format × compression, then ``variosync ingest`` of the file.

The re-ingested dataset holds the same points. Limits that belong to the formats: xlsx keeps
milliseconds, stooq whole seconds, and a text format cannot tell an integer column that was
written as ``1.0`` from a float one, so values compare as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli
from tests.envclean import ENVIRONMENT
from variosync.export import COMPRESSIONS, EXPORT_FORMATS

SOURCE = (
    "time,sensor,reading,count,state\n"
    "2024-01-15T09:30:00Z,alpha,1.25,1,ok\n"
    "2024-01-15T09:31:00Z,alpha,-2.5,,warn\n"
    "2024-01-15T09:32:00Z,alpha,1e6,3,ok\n"
    "2024-01-15T09:30:00Z,beta,0.1,40,\n"
    "2024-02-29T23:59:59Z,beta,,50,late\n"
)

EXTENSION = {
    "csv": "csv",
    "tsv": "tsv",
    "json": "json",
    "jsonl": "jsonl",
    "parquet": "parquet",
    "arrow": "arrow",
    "feather": "feather",
    "xlsx": "xlsx",
    "stooq": "stooq",
    "lineprotocol": "lp",
}
CASES = [(fmt, comp) for fmt in EXPORT_FORMATS for comp in (None, *COMPRESSIONS)]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One home for the whole module holding dataset ``src``; each case adds its own dataset."""
    root = tmp_path_factory.mktemp("roundtrip")
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        vs = Cli(root / "home")
        source = root / "source.csv"
        source.write_text(SOURCE)
        vs.ingest(source, "-d", "src")
        yield vs


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12)
    return bool(a == b)


def _assert_same_points(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert [(p["series_id"], p["ts"]) for p in got] == [(p["series_id"], p["ts"]) for p in want]
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), (g, w)
        for key in w:
            assert _same(g[key], w[key]), (key, g, w)


def _name(fmt: str, compression: str | None) -> str:
    if compression == "zip":
        return f"out.{compression}"  # holds out.<format>
    suffix = f".{compression}" if compression else ""
    return f"out.{EXTENSION[fmt]}{suffix}"


@pytest.mark.parametrize(("fmt", "compression"), CASES)
def test_export_then_ingest_gives_the_same_data(
    shared: Cli, tmp_path: Path, fmt: str, compression: str | None
) -> None:
    vs = shared
    target = tmp_path / _name(fmt, compression)
    args = ["--format", fmt]
    if compression:
        args += ["--compression", compression]
    result = vs.ok("export", "src", target, *args)
    assert result.stdout == ""
    assert f"wrote 5 rows to {target}" in result.stderr
    assert target.stat().st_size > 0

    copy = f"copy-{fmt}-{compression or 'none'}"
    summary = vs.ingest(target, "-d", copy)
    assert summary["rejected"] == 0
    assert summary["rows_written"] == 5
    assert summary["series"] == 2
    _assert_same_points(vs.points(copy), vs.points("src"))


@pytest.mark.parametrize(
    ("name", "fmt", "compression"),
    [
        ("prices.csv.gz", "csv", "gz"),
        ("prices.feather", "feather", None),
        ("prices.tsv.zst", "tsv", "zst"),
        ("prices.lp.xz", "lineprotocol", "xz"),
        ("prices.zip", None, "zip"),
    ],
)
def test_format_and_compression_from_the_extension(
    shared: Cli, tmp_path: Path, name: str, fmt: str | None, compression: str | None
) -> None:
    target = tmp_path / name
    if fmt is None:
        line = shared.fails("export", "src", target, code=2)
        assert "cannot tell the export format" in line
        return
    shared.ok("export", "src", target)
    summary = shared.ingest(target, "-d", f"ext-{fmt}")
    assert summary["files"][0]["format"] == fmt
    assert summary["rows_written"] == 5


def test_export_a_selection(shared: Cli, tmp_path: Path) -> None:
    target = tmp_path / "alpha.jsonl"
    result = shared.ok(
        "export", "src", target, "-s", "alpha", "--fields", "reading", "--end", "2024-01-15T09:32"
    )
    assert "wrote 2 rows" in result.stderr
    assert target.read_text().splitlines() == [
        '{"series_id":"alpha","ts":"2024-01-15T09:30:00Z","reading":1.25}',
        '{"series_id":"alpha","ts":"2024-01-15T09:31:00Z","reading":-2.5}',
    ]


def test_export_errors(shared: Cli, tmp_path: Path) -> None:
    assert "no dataset named" in shared.fails("export", "ghost", tmp_path / "g.csv", code=3)
    line = shared.fails("export", "src", tmp_path / "out.unknown", code=2)
    assert "out.unknown" in line
    assert "unknown field" in shared.fails("export", "src", tmp_path / "x.csv", "--fields", "zz")
    assert not (tmp_path / "x.csv").exists()


def test_xlsx_keeps_milliseconds(vs: Cli, tmp_path: Path) -> None:
    source = tmp_path / "ms.csv"
    source.write_text("time,v\n2024-01-15T09:30:00.123Z,1\n2024-01-15T09:30:00.456Z,2\n")
    vs.ingest(source, "-d", "ms")
    target = tmp_path / "ms.xlsx"
    vs.ok("export", "ms", target)
    vs.ingest(target, "-d", "back")
    assert [p["ts"] for p in vs.points("back")] == [
        "2024-01-15T09:30:00.123Z",
        "2024-01-15T09:30:00.456Z",
    ]


# Formats that carry no zone hold local wall times in a display zone: re-ingest with --tz.
NAIVE_LOCAL = {"xlsx", "stooq"}


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_exports_in_a_display_zone_keep_the_instants(vs: Cli, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "source.csv"
    source.write_text(SOURCE)
    vs.ingest(source, "-d", "src")
    vs.ok("clean", "src", "--op", "display_timezone zone=America/New_York")
    target = tmp_path / f"out.{EXTENSION[fmt]}"
    vs.ok("export", "src", target)
    zone = ["--tz", "America/New_York"] if fmt in NAIVE_LOCAL else []
    vs.ingest(target, "-d", "copy", *zone)
    _assert_same_points(vs.points("copy"), vs.points("src", "--tz", "UTC"))
