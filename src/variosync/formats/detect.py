"""Which format and compression a file is in: by extension first, then by content."""

from __future__ import annotations

from pathlib import Path

from variosync.errors import UnknownFormatError
from variosync.formats import stooq
from variosync.formats.archive import EXTENSIONS as COMPRESSED_EXTENSIONS
from variosync.formats.archive import compression_from_content, compression_from_name, peek
from variosync.formats.registry import BY_EXTENSION, FORMATS
from variosync.formats.sniff import ZIP_MAGIC, is_compressed, is_text, read_head

_HINT = "supported formats: " + ", ".join(FORMATS) + "; compressed with gz, bz2, xz, zst or zip"


def detect(path: Path) -> tuple[str, str | None]:
    """Name the format of ``path`` and its compression (None when not compressed)."""
    head = read_head(path)
    if not head:
        raise UnknownFormatError(f"{path.name}: the file is empty", hint=_HINT)
    compression, inner_name = compression_from_name(path.name)
    if compression is None:
        if _binary_extension(path.name):
            return format_of(path.name, path.name, head), None
        compression = compression_from_content(path, head)
    if compression is None:
        if head.startswith(ZIP_MAGIC):
            return "xlsx", None  # a zip holding xl/workbook.xml: compression_from_content said so
        return format_of(path.name, path.name, head), None
    inner_name, inner_head = peek(path, compression, inner_name)
    if not inner_head:
        raise UnknownFormatError(f"{path.name}: the compressed file is empty", hint=_HINT)
    return format_of(path.name, inner_name, inner_head, nested=True), compression


def format_of(shown: str, name: str, head: bytes, *, nested: bool = False) -> str:
    """The format of an uncompressed payload called ``name`` that starts with ``head``.

    ``shown`` is the file name errors report. An extension naming a binary format wins; binary
    signatures beat text extensions; a text extension is trusted when the content is text (a
    ``.csv`` with a Stooq header is Stooq); otherwise (``.txt``, unknown or no extension) the
    text sniffers decide.
    """
    extension = _extension(name)
    by_extension = BY_EXTENSION.get(extension)
    if by_extension is not None and FORMATS[by_extension].binary:
        return by_extension
    for fmt in FORMATS.values():
        if fmt.binary and fmt.sniff is not None and fmt.sniff(head):
            return fmt.name
    if nested and (is_compressed(head) or extension in COMPRESSED_EXTENSIONS):
        raise UnknownFormatError(
            f"{shown}: holds another compressed file ({name}); only one layer is unwrapped",
            hint="decompress the outer file yourself and import the inner one",
        )
    if not is_text(head):
        raise UnknownFormatError(
            f"{shown}: not a recognised format (binary content without a known signature)",
            hint=_HINT + "; text must be UTF-8 or Latin-1",
        )
    if by_extension == "csv" and stooq.sniff(head):
        return "stooq"
    if by_extension is not None:
        return by_extension
    for fmt in FORMATS.values():
        if not fmt.binary and fmt.sniff is not None and fmt.sniff(head):
            return fmt.name
    # Unreachable while csv accepts any text; kept so a narrower csv sniffer fails loudly.
    raise UnknownFormatError(f"{shown}: not a recognised format", hint=_HINT)


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _binary_extension(name: str) -> bool:
    """Whether the extension names a binary format (a ``.xlsx`` is a zip, yet no compression)."""
    by_extension = BY_EXTENSION.get(_extension(name))
    return by_extension is not None and FORMATS[by_extension].binary
