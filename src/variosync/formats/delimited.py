"""Delimited text (CSV, TSV, delimited .txt): dialect sniffing and batched reading as strings."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import guarded, rebatch
from variosync.formats.sniff import HEAD_BYTES, decode_head, is_text, read_head

DELIMITERS: Final = (",", ";", "\t", "|")
"""Delimiters tried when sniffing, in order of preference on a tie."""

_SAMPLE_ROWS: Final = 50
_CHUNK: Final = 1 << 20
_NUMBER = re.compile(
    r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?|[+-]?\d{1,3}([.,' ]\d{3})+([.,]\d+)?"
)
_DATE_OR_TIME = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}")
_COMMA_DECIMAL = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+),\d+")
_DOT_DECIMAL = re.compile(r"[+-]?\d+\.\d+")


@dataclass(frozen=True)
class Dialect:
    """How a delimited file is laid out."""

    delimiter: str
    names: tuple[str, ...]
    has_header: bool
    decimal_comma: bool


def sniff_dialect(head: bytes, delimiter: str | None = None) -> Dialect:
    """Work out delimiter, header and decimal mark from the first bytes of a file."""
    text = decode_head(head)
    if len(head) >= HEAD_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    if delimiter is None:
        delimiter = max(DELIMITERS, key=lambda candidate: _score(text, candidate))
    rows = _rows(text, delimiter)
    first = rows[0] if rows else [""]
    has_header = not any(_looks_like_value(cell) for cell in first)
    if has_header:
        names = _column_names(first)
        data = rows[1:]
    else:
        names = tuple(f"column_{index}" for index in range(1, len(first) + 1))
        data = rows
    cells = [cell.strip() for row in data for cell in row]
    comma = sum(1 for cell in cells if _COMMA_DECIMAL.fullmatch(cell))
    dot = sum(1 for cell in cells if _DOT_DECIMAL.fullmatch(cell))
    decimal_comma = delimiter != "," and comma > 0 and comma >= dot
    return Dialect(delimiter, names, has_header, decimal_comma)


def sniff_csv(head: bytes) -> bool:
    """Any text can be read as delimited text (one column at worst)."""
    return is_text(head)


def sniff_tsv(head: bytes) -> bool:
    """Text whose sniffed delimiter is a tab."""
    return is_text(head) and sniff_dialect(head).delimiter == "\t"


def open_csv(path: Path, options: ReadOptions) -> RawSource:
    """Open a delimited text file, sniffing its delimiter."""
    return _open(path, options, "csv", None)


def open_tsv(path: Path, options: ReadOptions) -> RawSource:
    """Open a tab-separated text file."""
    return _open(path, options, "tsv", "\t")


def text_batches(path: Path, options: ReadOptions, dialect: Dialect) -> Iterator[pl.DataFrame]:
    """Read a delimited file as string columns in batches of ``options.batch_rows`` rows."""
    return guarded(path, "delimited text file", _batches(path, options, dialect))


def _open(path: Path, options: ReadOptions, name: str, delimiter: str | None) -> RawSource:
    dialect = sniff_dialect(read_head(path), delimiter)
    return RawSource(
        name=path.name,
        format=name,
        batches=text_batches(path, options, dialect),
        decimal_comma=dialect.decimal_comma,
    )


def _batches(path: Path, options: ReadOptions, dialect: Dialect) -> Iterator[pl.DataFrame]:
    with ExitStack() as stack:
        frames = pl.scan_csv(
            _utf8(path, stack),
            separator=dialect.delimiter,
            has_header=dialect.has_header,
            new_columns=list(dialect.names),
            infer_schema=False,
            raise_if_empty=False,
        ).collect_batches(chunk_size=options.batch_rows, lazy=True)
        empty = True
        for batch in rebatch(frames, options.batch_rows):
            empty = False
            yield batch
        if empty:
            yield pl.DataFrame(schema=dict.fromkeys(dialect.names, pl.String))


def _utf8(path: Path, stack: ExitStack) -> Path:
    """``path`` itself when it is UTF-8, else a UTF-8 copy of it read as Latin-1."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as source:
        try:
            while chunk := source.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return path
        except UnicodeDecodeError:
            source.seek(0)
        handle, name = tempfile.mkstemp(prefix="variosync-", suffix=".utf8.csv")
        copy = Path(name)
        stack.callback(copy.unlink, missing_ok=True)
        with os.fdopen(handle, "wb") as target:
            while chunk := source.read(_CHUNK):
                target.write(chunk.decode("latin-1").encode("utf-8"))
    return copy


def _rows(text: str, delimiter: str) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= _SAMPLE_ROWS:
                break
    except csv.Error:
        pass  # a quoted field cut off by the end of the sample: judge by the rows read so far
    return rows


def _score(text: str, delimiter: str) -> tuple[float, int]:
    counts = [len(row) for row in _rows(text, delimiter)]
    if not counts:
        return (0.0, 0)
    width, seen = Counter(counts).most_common(1)[0]
    if width < 2:
        return (0.0, 0)
    return (seen / len(counts), width)


def _looks_like_value(cell: str) -> bool:
    cell = cell.strip()
    return bool(_NUMBER.fullmatch(cell) or _DATE_OR_TIME.match(cell))


def _column_names(header: list[str]) -> tuple[str, ...]:
    names: list[str] = []
    for index, raw in enumerate(header, start=1):
        base = raw.strip() or f"column_{index}"
        name, suffix = base, 2
        while name in names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names.append(name)
    return tuple(names)
