"""Batch streams: exact batch sizes, and library failures turned into ReadError naming the file."""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import fastexcel
import polars as pl
import pyarrow as pa
import zstandard

from variosync.errors import ReadError, UsageError

T = TypeVar("T")

LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    pa.ArrowException,
    fastexcel.FastExcelError,
    zstandard.ZstdError,
    zipfile.BadZipFile,
    lzma.LZMAError,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    OverflowError,
    RuntimeError,
)
"""What the libraries under the readers raise on corrupt or unexpected input."""


def reason(exc: BaseException) -> str:
    """The first line of a library error, for a one-line message."""
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__


def read_error(path: Path, what: str, exc: BaseException) -> ReadError:
    """A ReadError saying ``path`` is not readable as ``what``, with the library's reason."""
    if isinstance(exc, OSError) and exc.errno is not None:  # the disk or the OS, not the bytes
        return ReadError(
            f"{path.name}: cannot be read or unpacked ({exc.strerror or reason(exc)})",
            hint="check the file's permissions and the free space of the temp folder",
        )
    return ReadError(
        f"{path.name}: not a valid {what} ({reason(exc)})",
        hint=f"check that the file is a complete {what}; re-export it if it was cut short",
    )


def guarded(path: Path, what: str, batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Yield ``batches``, turning a library failure while reading into a ReadError."""
    try:
        yield from batches
    except LIBRARY_ERRORS as exc:
        raise read_error(path, what, exc) from exc
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def call_guarded(path: Path, what: str, action: Callable[[], T]) -> T:
    """Run ``action``, turning a library failure into a ReadError naming ``path``."""
    try:
        return action()
    except LIBRARY_ERRORS as exc:
        raise read_error(path, what, exc) from exc


def check_batch_rows(rows: int) -> None:
    """Refuse a batch size below one row."""
    if rows < 1:
        raise UsageError(
            f"batch_rows must be at least 1, got {rows}", hint="use the default of 1,000,000"
        )


def rebatch(frames: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """Regroup ``frames`` into batches of exactly ``rows`` rows (the last may be shorter)."""
    check_batch_rows(rows)
    pending: list[pl.DataFrame] = []
    held = 0
    for frame in frames:
        while frame.height:
            take = min(rows - held, frame.height)
            pending.append(frame.slice(0, take))
            held += take
            frame = frame.slice(take)
            if held == rows:
                yield pl.concat(pending, how="vertical_relaxed") if len(pending) > 1 else pending[0]
                pending, held = [], 0
    if pending:
        yield pl.concat(pending, how="vertical_relaxed") if len(pending) > 1 else pending[0]


def sliced(frame: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    """Cut one in-memory frame into batches of ``rows`` rows."""
    check_batch_rows(rows)
    for start in range(0, frame.height, rows):
        yield frame.slice(start, rows)
