"""Looking at the first bytes of a file: magic numbers, text or binary, decoding a head of text."""

from __future__ import annotations

from pathlib import Path

from variosync.errors import ReadError

HEAD_BYTES = 64 * 1024
"""How much of a file detection and dialect sniffing look at."""

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
PARQUET_MAGIC = b"PAR1"
ARROW_FILE_MAGIC = b"ARROW1"
ARROW_STREAM_MARKER = b"\xff\xff\xff\xff"
FEATHER_V1_MAGIC = b"FEA1"

_UTF8_BOM = b"\xef\xbb\xbf"
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v")


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """Return the first ``size`` bytes of ``path``, or a ReadError naming the file."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError as exc:
        raise ReadError(f"{path.name}: file not found", hint=f"check the path {path}") from exc
    except OSError as exc:
        raise ReadError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc


def is_compressed(head: bytes) -> bool:
    """Whether ``head`` starts with the magic bytes of a compression or zip container."""
    return head.startswith(
        (GZIP_MAGIC, BZIP2_MAGIC, XZ_MAGIC, ZSTD_MAGIC, ZIP_MAGIC, EMPTY_ZIP_MAGIC)
    )


def is_parquet(head: bytes) -> bool:
    """Whether ``head`` starts a Parquet file."""
    return head.startswith(PARQUET_MAGIC)


def is_arrow(head: bytes) -> bool:
    """Whether ``head`` starts an Arrow IPC file, or a stream with its continuation marker."""
    if head.startswith(ARROW_FILE_MAGIC):
        return True
    if not head.startswith(ARROW_STREAM_MARKER) or len(head) < 8:
        return False
    # The marker is followed by the little-endian length of the first (schema) message.
    length = int.from_bytes(head[4:8], "little")
    return 0 < length < 1 << 30


def is_xlsx(head: bytes) -> bool:
    """Whether ``head`` looks like an Office Open XML workbook (a zip naming ``xl/`` parts)."""
    return head.startswith(ZIP_MAGIC) and b"xl/" in head


def strip_bom(head: bytes) -> bytes:
    """Drop a UTF-8 byte order mark."""
    return head.removeprefix(_UTF8_BOM)


def is_text(head: bytes) -> bool:
    """Whether ``head`` looks like text: no NUL byte and almost no other control characters."""
    if not head or b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls * 100 <= len(head)


def decode_head(head: bytes) -> str:
    """Decode a head of text as UTF-8 (a character cut at the end is dropped), else as Latin-1."""
    head = strip_bom(head)
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            try:
                return head[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
        return head.decode("latin-1")


def head_lines(head: bytes, limit: int = 50) -> list[str]:
    """The first complete non-blank lines of a head of text (the possibly cut last line dropped)."""
    text = decode_head(head)
    lines = text.splitlines()
    if len(head) >= HEAD_BYTES and lines and not text.endswith(("\n", "\r")):
        lines.pop()
    return [line for line in lines if line.strip()][:limit]
