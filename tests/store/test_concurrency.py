"""Two real processes ingesting into one dataset at once lose no rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from variosync import Settings, Variosync


def _csv(path: Path, series: str, rows: int) -> Path:
    lines = ["time,sensor,value"]
    lines += [f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z,{series},{i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(2))
def test_parallel_ingests_into_one_dataset(tmp_path: Path, round_: int) -> None:
    home = tmp_path / "home"
    files = [_csv(tmp_path / f"f{i}.csv", f"s{i}", 2_000) for i in range(4)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "variosync",
                "--home",
                str(home),
                "ingest",
                str(f),
                "-d",
                "shared",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outcomes = [p.communicate(timeout=240) for p in procs]
    for proc, (_out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
    with Variosync(Settings(home=home)) as service:
        data = service.query("shared")
        assert data.height == 8_000
        assert sorted(data.get_column("series_id").unique().to_list()) == ["s0", "s1", "s2", "s3"]
        assert service.catalog.get("shared").row_count == 8_000
        assert len(service.history("shared")) == 4
        assert data.group_by("series_id").agg(pl.len()).get_column("len").to_list() == [2_000] * 4


@pytest.mark.slow
@pytest.mark.s3
def test_parallel_ingests_on_s3_lose_nothing(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    env = {
        **os.environ,
        "VARIOSYNC_HOME": str(tmp_path / "home"),
        "VARIOSYNC_STORE_URL": f"s3://{s3_bucket}/variosync",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    files = [_csv(tmp_path / f"f{i}.csv", f"s{i}", 500) for i in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "variosync", "ingest", str(f), "-d", "shared", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        summary = json.loads(out)
        assert summary["inserted"] == 500  # this ingest's rows, not the table's
    result = subprocess.run(
        [sys.executable, "-m", "variosync", "query", "shared", "--format", "csv"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1 + 1_500
