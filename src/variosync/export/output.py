"""Writing a stream of batches to a file (atomically, via a temporary sibling) or a stream."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import polars as pl

from variosync.errors import UsageError
from variosync.export.compression import compressed
from variosync.export.registry import check_compression, get_format, member_name


def write_stream(
    batches: Iterable[pl.DataFrame],
    sink: BinaryIO,
    fmt: str,
    compression: str | None = None,
    *,
    name: str = "export",
) -> int:
    """Write the batches to an open binary stream in ``fmt``, compressed; return the rows written.

    ``name`` (without extensions) names the zip member and the file in the gzip header. The
    sink is flushed, never closed.
    """
    writer = get_format(fmt)
    compression = check_compression(compression)
    with compressed(sink, compression, member_name(Path(name), fmt, None)) as out:
        rows = writer(batches, out)
    sink.flush()
    return rows


def write_batches(
    batches: Iterable[pl.DataFrame], dest: Path, fmt: str, compression: str | None = None
) -> int:
    """Write the batches to ``dest`` in ``fmt``, compressed; return the rows written.

    The bytes go to a hidden temporary file beside ``dest`` that is renamed over it once
    complete, so ``dest`` is never left half-written; on any error the temporary file is removed.
    """
    dest = Path(dest)
    writer = get_format(fmt)
    compression = check_compression(compression)
    member = member_name(dest, writer.name, compression)
    temp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
    try:
        with temp.open("xb") as sink, compressed(sink, compression, member) as out:
            rows = writer(batches, out)
        temp.replace(dest)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise UsageError(
            f"cannot write {dest}: {exc.strerror or exc}",
            hint="check that the folder exists and is writable",
        ) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return rows
