"""Compressed files: recognise the compression, peek at the payload, unwrap it once to a file."""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final, Protocol

import zstandard

from variosync.errors import ReadError, TooLargeError
from variosync.formats.batches import LIBRARY_ERRORS, read_error
from variosync.formats.sniff import (
    BZIP2_MAGIC,
    EMPTY_ZIP_MAGIC,
    GZIP_MAGIC,
    HEAD_BYTES,
    XZ_MAGIC,
    ZIP_MAGIC,
    ZSTD_MAGIC,
)

COMPRESSIONS: Final = ("gz", "bz2", "xz", "zst", "zip")
"""The compressions unwrapped (once) before a reader sees the payload."""

EXTENSIONS: Final = {
    "gz": "gz",
    "bz2": "bz2",
    "xz": "xz",
    "zst": "zst",
    "zstd": "zst",
    "zip": "zip",
}
"""File extension -> compression."""

_NAMES: Final = {"gz": "gzip", "bz2": "bzip2", "xz": "xz", "zst": "zstd", "zip": "zip"}
_CHUNK: Final = 1 << 20
_ZSTD_INPUT: Final = 1 << 16


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def compression_from_name(name: str) -> tuple[str | None, str]:
    """The compression named by the last extension of ``name``, and the name without it."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in EXTENSIONS:
        return EXTENSIONS[extension.lower()], stem
    return None, name


def compression_from_content(path: Path, head: bytes) -> str | None:
    """The compression whose magic starts ``head``; a zip holding a workbook is no compression."""
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return None if _is_workbook(path) else "zip"
    magics = {GZIP_MAGIC: "gz", BZIP2_MAGIC: "bz2", XZ_MAGIC: "xz", ZSTD_MAGIC: "zst"}
    return next((name for magic, name in magics.items() if head.startswith(magic)), None)


def peek(path: Path, compression: str, inner_name: str) -> tuple[str, bytes]:
    """The payload's name and its first bytes, read without unwrapping the whole file."""
    with ExitStack() as stack:
        name, source = _open_payload(path, compression, inner_name, stack)
        try:
            head = source.read(HEAD_BYTES)
        except LIBRARY_ERRORS as exc:
            raise _error(path, compression, exc) from exc
    return name, head


def unwrap(
    path: Path, compression: str, inner_name: str, stack: ExitStack, limit: int | None = None
) -> Path:
    """Decompress ``path`` into a temp file (deleted when ``stack`` closes); return its path.
    Past ``limit`` bytes of payload, TooLargeError (a small upload must not fill the disk)."""
    folder = Path(tempfile.mkdtemp(prefix="variosync-"))
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    with ExitStack() as reading:
        name, source = _open_payload(path, compression, inner_name, reading)
        target = folder / name
        try:
            with target.open("wb") as out:
                _copy(source, out, limit, path)
        except LIBRARY_ERRORS as exc:
            raise _error(path, compression, exc) from exc
    return target


def _copy(source: _Readable, out: BinaryIO, limit: int | None, path: Path) -> None:
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if limit is not None and written > limit:
            raise TooLargeError(
                f"{path.name}: unpacks to more than {limit:,} bytes",
                hint="upload it uncompressed or in parts, or ask the operator to raise "
                "VARIOSYNC_UPLOAD_MAX_UNPACKED_BYTES",
            )
        out.write(chunk)


def _open_payload(
    path: Path, compression: str, inner_name: str, stack: ExitStack
) -> tuple[str, _Readable]:
    try:
        if compression == "zip":
            archive = stack.enter_context(zipfile.ZipFile(path))
            member = _single_member(path, archive)
            name = PurePosixPath(member.filename.replace("\\", "/")).name
            name = name if name not in ("", ".", "..") else "payload"
            return name, stack.enter_context(archive.open(member))
        raw = stack.enter_context(path.open("rb"))
        if compression == "gz":
            return inner_name, stack.enter_context(gzip.GzipFile(fileobj=raw))
        if compression == "bz2":
            return inner_name, stack.enter_context(bz2.BZ2File(raw))
        if compression == "xz":
            return inner_name, stack.enter_context(lzma.LZMAFile(raw))
        return inner_name, _ZstdReader(raw)
    except LIBRARY_ERRORS as exc:
        raise _error(path, compression, exc) from exc


def _single_member(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith("__MACOSX/")
    ]
    if len(members) != 1:
        raise ReadError(
            f"{path.name}: a zip must hold exactly one file, this one holds {len(members)}",
            hint="unzip it and import the files one by one",
        )
    return members[0]


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except LIBRARY_ERRORS:
        return False


def _error(path: Path, compression: str, exc: BaseException) -> ReadError:
    return read_error(path, f"{_NAMES[compression]} file", exc)


class _ZstdReader:
    """A read-only stream over zstd frames that fails on a truncated last frame.

    ``zstandard``'s own stream readers return short data silently when a frame is cut off. Input
    is fed in small pieces so that one call's output stays bounded for ordinary data.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._context = zstandard.ZstdDecompressor()
        self._chunks = self._decompress()
        self._buffer = bytearray()

    def _decompress(self) -> Iterator[bytes]:
        decoder = self._context.decompressobj()
        fed = False
        while chunk := self._raw.read(_ZSTD_INPUT):
            while chunk:
                fed = True
                yield decoder.decompress(chunk)
                if not decoder.eof:
                    break
                chunk, decoder, fed = decoder.unused_data, self._context.decompressobj(), False
        if fed:
            raise EOFError("compressed data ended before the end of a zstd frame")

    def read(self, size: int = -1, /) -> bytes:
        """Read up to ``size`` decompressed bytes (all when negative)."""
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        cut = len(self._buffer) if size < 0 else size
        data = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        return data
