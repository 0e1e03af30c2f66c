"""Streaming compression around any writer's output: gzip, bzip2, xz, zstandard and zip."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, BinaryIO, cast

import zstandard

COMPRESSIONS = ("gz", "bz2", "xz", "zst", "zip")

EXTENSIONS = {
    ".gz": "gz",
    ".gzip": "gz",
    ".bz2": "bz2",
    ".xz": "xz",
    ".zst": "zst",
    ".zstd": "zst",
    ".zip": "zip",
}


class ForwardOnly(io.RawIOBase):
    """A write-only view of a compressor that says plainly it cannot seek.

    Compressors such as ``GzipFile`` claim to be seekable yet refuse to seek backwards; zipfile
    (inside xlsxwriter) and Arrow then try to patch earlier bytes and fail. Behind this view they
    write forward only (zipfile switches to data descriptors).
    """

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._position = 0

    def writable(self) -> bool:
        """Always writable."""
        return True

    def seekable(self) -> bool:
        """Never seekable."""
        return False

    def tell(self) -> int:
        """Bytes written so far."""
        return self._position

    def write(self, data: Any) -> int:
        """Pass the bytes on to the compressor."""
        size = len(memoryview(data).cast("B"))
        self._raw.write(data)
        self._position += size
        return size

    def flush(self) -> None:
        """Flush the compressor's buffered input (does not end the compressed stream)."""
        if not self.closed:
            self._raw.flush()


def _open(
    sink: BinaryIO, compression: str, member: str
) -> tuple[IO[bytes], zipfile.ZipFile | None]:
    """The compressor writing into ``sink``, plus the zip archive that holds it, if any."""
    if compression == "gz":
        gz = gzip.GzipFile(member, "wb", compresslevel=6, fileobj=sink, mtime=0)
        return cast("IO[bytes]", gz), None
    if compression == "bz2":
        return bz2.BZ2File(sink, "wb"), None
    if compression == "xz":
        return lzma.LZMAFile(sink, "wb"), None
    if compression == "zst":
        writer = zstandard.ZstdCompressor().stream_writer(sink, closefd=False)
        return cast("IO[bytes]", writer), None
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    return archive.open(member, "w", force_zip64=True), archive


@contextmanager
def compressed(sink: BinaryIO, compression: str | None, member: str) -> Iterator[BinaryIO]:
    """Yield a stream whose bytes reach ``sink`` compressed; ``sink`` itself is left open.

    ``member`` names the original file: the zip member, and the name in the gzip header.
    """
    if compression is None:
        yield sink
        return
    stream, archive = _open(sink, compression, member)
    try:
        yield cast("BinaryIO", ForwardOnly(stream))
    finally:
        stream.close()
        if archive is not None:
            archive.close()
