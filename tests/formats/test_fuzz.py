"""Fuzz targets: any bytes given to any reader end in frames or a VarioSyncError, nothing else."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variosync.errors import VarioSyncError
from variosync.formats import FORMATS, ReadOptions, open_source

from . import samples

VALID = {
    "csv": samples.CSV,
    "tsv": samples.TSV,
    "json": samples.JSON,
    "jsonl": samples.JSONL,
    "parquet": samples.parquet(),
    "arrow": samples.arrow_stream(),
    "feather": samples.arrow_file(),
    "xlsx": samples.xlsx(),
    "stooq": samples.STOOQ,
    "lineprotocol": samples.LINEPROTOCOL,
}
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` cut short, with a few bytes overwritten, or with bytes spliced in."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        data[position : position + 1] = draw(st.binary(min_size=0, max_size=3))
    return bytes(data[: draw(st.integers(0, len(data)))])


def inputs(fmt: str) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, or a damaged copy of a valid file of ``fmt``."""
    return st.one_of(st.binary(max_size=512), mutated(VALID[fmt]))


def _consume(fmt: str, data: bytes, options: ReadOptions) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz.{fmt}"
        path.write_bytes(data)
        try:
            source = FORMATS[fmt].open(path, options)
            for batch in source.batches:
                assert batch.width >= 0
        except VarioSyncError:
            pass


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_opener_never_raises_anything_else(fmt: str) -> None:
    @FUZZ
    @given(data=inputs(fmt), batch_rows=st.integers(1, 5))
    def run(data: bytes, batch_rows: int) -> None:
        _consume(fmt, data, ReadOptions(batch_rows=batch_rows))

    run()


@FUZZ
@given(
    data=st.one_of(st.binary(max_size=512), st.sampled_from(sorted(VALID.values()))),
    name=st.sampled_from(["x", "x.csv", "x.gz", "x.zip", "x.parquet", "x.txt", "x.xlsx"]),
)
def test_open_source_never_raises_anything_else(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            with open_source(path, ReadOptions(batch_rows=2)) as source:
                for _ in source.batches:
                    pass
        except VarioSyncError:
            pass
