"""Ingest throughput: ``variosync ingest`` (a whole CLI run) against hand-written pipelines."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from proc import BIN, PYTHON, Measured, measure, warm_cache

BASELINES = Path(__file__).with_name("baselines.py")


@dataclass(frozen=True)
class Run:
    """One contender's run over one file."""

    name: str
    rows: int
    measured: Measured

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.measured.seconds


def variosync_ingest(
    source: Path, home: Path, dataset: str = "bench", profile: bool = True
) -> Measured:
    """``variosync --home HOME ingest SOURCE --dataset DATASET`` into a fresh home.

    ``profile=False`` turns off the quality profile every new version gets by default.
    """
    shutil.rmtree(home, ignore_errors=True)
    env = None if profile else {"VARIOSYNC_PROFILE_ON_WRITE": "false"}
    return measure(
        [str(BIN / "variosync"), "--home", str(home), "ingest", str(source), "-d", dataset], env
    )


def baseline(name: str, source: Path, target: Path) -> Measured:
    """One pipeline of ``baselines.py`` as a subprocess."""
    target.unlink(missing_ok=True)
    result = measure([PYTHON, str(BASELINES), name, str(source), str(target)])
    target.unlink(missing_ok=True)
    return result


def csv_ingest(csv: Path, rows: int, home: Path, scratch: Path) -> list[Run]:
    """variosync, polars and pandas over the same CSV; the home keeps the dataset for queries."""
    warm_cache(csv)
    bare = variosync_ingest(csv, scratch / "home-no-profile", profile=False)
    shutil.rmtree(scratch / "home-no-profile", ignore_errors=True)
    return [
        Run("variosync", rows, variosync_ingest(csv, home)),
        Run("polars", rows, baseline("polars-csv", csv, scratch / "polars.parquet")),
        Run("pandas", rows, baseline("pandas-csv", csv, scratch / "pandas.parquet")),
        Run("variosync, no profile", rows, bare),
    ]


def parquet_ingest(parquet: Path, rows: int, home: Path, scratch: Path) -> list[Run]:
    """variosync and the equivalent polars pipeline over the same Parquet file."""
    warm_cache(parquet)
    runs = [
        Run("variosync", rows, variosync_ingest(parquet, home)),
        Run("polars", rows, baseline("polars-parquet", parquet, scratch / "polars.parquet")),
    ]
    shutil.rmtree(home, ignore_errors=True)
    return runs
