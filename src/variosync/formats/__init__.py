"""Readers: turn any supported file, compressed or not, into a RawSource of polars batches.

``detect`` names the format and compression; ``open_source`` unwraps the compression once into a
temp file, opens the reader and cleans up when the ``with`` block ends::

    with open_source(Path("sales.csv.gz"), ReadOptions()) as source:
        for batch in source.batches:
            ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from variosync.formats.archive import COMPRESSIONS, compression_from_name, unwrap
from variosync.formats.base import Opener, RawSource, ReadOptions
from variosync.formats.batches import check_batch_rows
from variosync.formats.detect import detect
from variosync.formats.registry import FORMATS, Format

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "Format",
    "Opener",
    "RawSource",
    "ReadOptions",
    "detect",
    "open_source",
]


@contextmanager
def open_source(path: Path, options: ReadOptions) -> Iterator[RawSource]:
    """Open ``path`` with the reader its format needs; temp files go when the block ends."""
    path = Path(path)
    check_batch_rows(options.batch_rows)
    name, compression = detect(path)
    with ExitStack() as stack:
        payload = path
        if compression is not None:
            inner = compression_from_name(path.name)[1]
            payload = unwrap(path, compression, inner, stack, options.max_unpacked_bytes)
        source = FORMATS[name].open(payload, options)
        source.name = path.name
        stack.callback(_close, source.batches)
        yield source


def _close(batches: Iterator[object]) -> None:
    """Stop a half-read batch generator so that the files it holds are released."""
    close = getattr(batches, "close", None)
    if callable(close):
        close()
