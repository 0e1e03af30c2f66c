"""``datasets``, ``info``, ``delete``, ``demo``, ``--version`` and the help texts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from variosync.cli.main import cli

Write = Callable[[str, bytes | str], Path]

DATA = "time,sensor,temp\n2024-01-01T00:00:00Z,n,1.5\n2024-01-01T06:00:00Z,s,2.5\n"


def test_datasets_empty(vs: Cli) -> None:
    result = vs.ok("datasets")
    assert result.stdout == ""
    assert "no datasets yet" in result.stderr
    assert json.loads(vs.ok("datasets", "--json").stdout) == []


def test_datasets_lists_each(vs: Cli, write: Write, samples: Path) -> None:
    vs.ingest(write("t.csv", DATA), "-d", "temps")
    vs.ingest(samples / "financial_sample.json", "-d", "stocks")
    listing = json.loads(vs.ok("datasets", "--json").stdout)
    assert [(d["name"], d["kind"], d["row_count"], d["series_count"]) for d in listing] == [
        ("stocks", "ohlcv", 2, 2),
        ("temps", "generic", 2, 2),
    ]
    assert listing[1]["start"] == "2024-01-01T00:00:00Z"
    assert listing[1]["end"] == "2024-01-01T06:00:00Z"
    table = vs.ok("datasets").stdout
    assert "| temps  | generic | 2    | 2      | 2024-01-01T00:00:00Z |" in table


def test_info_json(vs: Cli, write: Write) -> None:
    vs.ingest(write("t.csv", DATA), "-d", "temps")
    vs.ingest(write("u.csv", "time,sensor,temp\n2024-01-02T00:00:00Z,n,3\n"), "-d", "temps")
    info = vs.info("temps")
    assert info["name"] == "temps"
    assert info["kind"] == "generic"
    assert info["row_count"] == 3
    assert info["series_count"] == 2
    assert info["series"] == ["n", "s"]
    assert info["start"] == "2024-01-01T00:00:00Z"
    assert info["end"] == "2024-01-02T00:00:00Z"
    assert info["version"] == 1
    assert info["versions"] == 2
    assert info["size_bytes"] > 0
    assert info["fields"] == [{"name": "temp", "dtype": "Float64", "unit": None}]


def test_info_shows_units_of_the_reference_sample(vs: Cli, samples: Path) -> None:
    vs.ingest(samples / "sample_data.json", "-d", "ref")
    units = {f["name"]: f["unit"] for f in vs.info("ref")["fields"]}
    assert units["close"] == "USD"
    assert units["temperature"] == "Celsius"
    assert units["humidity"] == "%"
    assert units["pressure"] == "hPa"
    assert units["open"] is None
    text = vs.ok("info", "ref").stdout
    assert any(line.split() == ["close", "Float64", "USD"] for line in text.splitlines())
    assert "series    3: AAPL, MSFT, WEATHER-STATION-001" in text
    assert "range     2024-01-15T09:30:00Z .. 2024-01-15T09:30:00Z" in text
    assert "version   0 (1 versions)" in text
    assert "rows      3" in text


def test_units_survive_a_later_ingest(vs: Cli, samples: Path, write: Write) -> None:
    vs.ingest(samples / "sample_data.json", "-d", "ref")
    more = "time,series_id,open,high,low,close\n2024-02-01,AAPL,189,191,188,190\n"
    vs.ingest(write("more.csv", more), "-d", "ref")
    units = {f["name"]: f["unit"] for f in vs.info("ref")["fields"]}
    assert units["close"] == "USD"


def test_delete_with_yes(vs: Cli, write: Write) -> None:
    vs.ingest(write("t.csv", DATA), "-d", "temps")
    result = vs.ok("delete", "temps", "--yes")
    assert result.stdout == ""
    assert "deleted temps" in result.stderr
    vs.fails("info", "temps", code=3)
    assert list((vs.home / "store" / "datasets").iterdir()) == []
    # The name is free again and starts over at version 0.
    assert vs.ingest(write("u.csv", DATA), "-d", "temps")["version"] == 0


def test_delete_asks_and_no_keeps_it(vs: Cli, write: Write) -> None:
    vs.ingest(write("t.csv", DATA), "-d", "temps")
    result = vs("delete", "temps", input="n\n")
    assert result.exit_code != 0
    assert "Delete dataset 'temps'" in result.stderr
    assert vs.info("temps")["row_count"] == 2


def test_delete_asks_and_yes_deletes(vs: Cli, write: Write) -> None:
    vs.ingest(write("t.csv", DATA), "-d", "temps")
    result = vs("delete", "temps", input="y\n")
    assert result.exit_code == 0
    vs.fails("info", "temps", code=3)


def test_demo(vs: Cli) -> None:
    result = vs.ok("demo")
    assert f"home: {vs.home}" in result.stderr
    assert "sensors: wrote 1080 rows" in result.stdout
    assert "| 2024-01-15T06:00:00Z | 180    | 3      |" in result.stdout
    assert "frequency 1m; 0 gaps (0 missing points)" in result.stdout
    listing = json.loads(vs.ok("datasets", "--json").stdout)
    assert [d["name"] for d in listing] == ["reference", "sensors", "stocks"]


def test_version(vs: Cli) -> None:
    assert vs.ok("--version").stdout == "variosync, version 0.1.0\n"


COMMANDS = sorted(cli.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_ends_with_an_example(vs: Cli, command: str) -> None:
    text = vs.ok(command, "--help").stdout
    assert f"Usage: variosync {command}" in text
    assert "Example: variosync" in text or "Example: DATABASE_URL=" in text
