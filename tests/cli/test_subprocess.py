"""Smoke tests of the real entry points: ``python -m variosync`` and the ``variosync`` script."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.envclean import ENVIRONMENT

pytestmark = pytest.mark.slow

DATA = "time,sensor,v\n2024-01-01T00:00:00Z,a,1.5\n2024-01-01T01:00:00Z,a,2.5\nbad,a,3\n"


def _script() -> str:
    beside = Path(sys.executable).parent / "variosync"
    found = str(beside) if beside.exists() else shutil.which("variosync")
    if found is None:
        pytest.fail("the variosync console script is not installed")
    return found


def _run(program: list[str], args: list[str], home: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    return subprocess.run(
        [*program, "--home", str(home), *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


MODULE = [sys.executable, "-m", "variosync"]


def test_python_dash_m(tmp_path: Path) -> None:
    source = tmp_path / "s.csv"
    source.write_text(DATA)
    home = tmp_path / "home"

    ingest = _run(MODULE, ["ingest", str(source), "-d", "s"], home)
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.decode().startswith("s: wrote 2 rows")
    assert b"s.csv row 3, column time" in ingest.stderr
    assert b"Traceback" not in ingest.stderr

    query = _run(MODULE, ["query", "s", "--format", "csv"], home)
    assert query.returncode == 0
    assert query.stdout.decode() == (
        "series_id,ts,v\na,2024-01-01T00:00:00Z,1.5\na,2024-01-01T01:00:00Z,2.5\n"
    )
    assert query.stderr == b""

    # Parquet goes to a pipe as bytes.
    parquet = _run(MODULE, ["query", "s", "--format", "parquet"], home)
    assert parquet.returncode == 0
    assert pl.read_parquet(io.BytesIO(parquet.stdout))["v"].to_list() == [1.5, 2.5]


def test_console_script_errors_are_one_line(tmp_path: Path) -> None:
    script = _script()
    home = tmp_path / "home"
    missing = _run([script], ["query", "ghost"], home)
    assert missing.returncode == 3
    assert missing.stdout == b""
    assert missing.stderr.decode().splitlines() == [
        "error: no dataset named 'ghost'",
        "hint: `variosync datasets` lists the datasets",
    ]

    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 8)
    bad = _run([script], ["ingest", str(noise), "-d", "x"], home)
    assert bad.returncode == 5
    lines = bad.stderr.decode().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: noise.bin: ")
    assert lines[1].startswith("hint: ")

    version = _run([script], ["--version"], home)
    assert version.returncode == 0
    assert version.stdout == b"variosync, version 0.1.0\n"
