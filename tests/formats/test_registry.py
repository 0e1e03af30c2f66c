"""The format registry: every registered format round-trips through detection and open_source."""

from __future__ import annotations

import polars as pl
import pytest

from variosync.formats import COMPRESSIONS, FORMATS, ReadOptions, detect, open_source

from . import samples
from .conftest import Writer

FILES = samples.by_format()


def test_every_format_has_a_sample() -> None:
    assert set(FILES) == set(FORMATS)
    assert COMPRESSIONS == ("gz", "bz2", "xz", "zst", "zip")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip(write: Writer, fmt: str) -> None:
    entry = FORMATS[fmt]
    name = f"sample.{entry.extensions[0]}" if entry.extensions else "sample.txt"
    path = write(name, FILES[fmt])
    assert detect(path) == (fmt, None)
    if entry.sniff is not None:
        assert entry.sniff(FILES[fmt])
        assert detect(write("sample", FILES[fmt])) == (fmt, None)
    with open_source(path, ReadOptions(batch_rows=2)) as source:
        batches = list(source.batches)
    assert source.format == fmt
    assert all(isinstance(batch, pl.DataFrame) for batch in batches)
    assert sum(batch.height for batch in batches) in (2, 3)
    assert all(batch.height <= 2 for batch in batches)


def test_extensions_are_unique_and_lower_case() -> None:
    extensions = [ext for fmt in FORMATS.values() for ext in fmt.extensions]
    assert len(extensions) == len(set(extensions))
    assert all(ext == ext.lower() and not ext.startswith(".") for ext in extensions)
