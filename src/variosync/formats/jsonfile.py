"""JSON documents (an array of records, a ``{"data": [...]}`` wrapper, columns) and JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import polars as pl

from variosync.errors import ReadError
from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import call_guarded, guarded, reason, sliced
from variosync.formats.records import Shape, columns_frame, flatten, frame, shape_of
from variosync.formats.sniff import decode_head, head_lines, is_text

WRAPPER_KEYS: Final = ("data", "records", "rows", "items")
"""Keys of an object whose list of records is the content."""


def sniff_json(head: bytes) -> bool:
    """Text that opens a JSON array or object (``[{``, ``[1``, ``{"``...) and is not JSON Lines."""
    start = "".join(decode_head(head)[:4096].split())[:2]
    array = start[:1] == "[" and start[1:2] in '{["]-0123456789'
    return is_text(head) and (array or start in ("{}", '{"')) and not sniff_jsonl(head)


def sniff_jsonl(head: bytes) -> bool:
    """At least two lines, the first a complete JSON object and the second starting one."""
    if not is_text(head):
        return False
    lines = head_lines(head, limit=2)
    if len(lines) < 2 or not lines[1].lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except (ValueError, RecursionError):
        return False


def open_json(path: Path, options: ReadOptions) -> RawSource:
    """Read a whole JSON document into typed columns (JSON documents are not streamed)."""
    raw = call_guarded(path, "JSON document", path.read_bytes)
    document = _parse(path, _decode(raw), "JSON document")
    units: dict[str, str] = {}
    shape = Shape()
    if isinstance(document, dict) and _is_columns(document):
        table = columns_frame(document)
    else:
        records = _records(path, document)
        shape = shape_of(records[0]) if records else shape
        table = frame([flatten(record, units) for record in records])
    return RawSource(
        name=path.name,
        format="json",
        batches=sliced(table, options.batch_rows),
        time_col=shape.time_col,
        series_col=shape.series_col,
        units=units,
    )


def open_jsonl(path: Path, options: ReadOptions) -> RawSource:
    """Stream JSON Lines in batches; ``units`` fills up as batches are read."""
    units: dict[str, str] = {}
    batches = guarded(path, "JSON Lines file", _line_batches(path, options.batch_rows, units))
    first = next(batches, None)
    shape = Shape()
    if first is not None:
        names = first.columns
        shape = Shape(
            next((col for col in ("series_id", "ticker") if col in names), None),
            "timestamp" if "timestamp" in names else None,
        )
    return RawSource(
        name=path.name,
        format="jsonl",
        batches=_chain(first, batches),
        time_col=shape.time_col,
        series_col=shape.series_col,
        units=units,
    )


def _chain(first: pl.DataFrame | None, rest: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    if first is not None:
        yield first
    yield from rest


def _line_batches(path: Path, rows: int, units: dict[str, str]) -> Iterator[pl.DataFrame]:
    pending: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = _decode(raw).strip()
            if not text:
                continue
            record = _parse(path, text, f"JSON (line {number})")
            if not isinstance(record, dict):
                raise ReadError(
                    f"{path.name}: line {number} is not a JSON object",
                    hint="each line of a JSON Lines file must hold one object",
                )
            pending.append(flatten(record, units))
            if len(pending) == rows:
                yield frame(pending)
                pending = []
    if pending:
        yield frame(pending)


def _records(path: Path, document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict):
        wrapped = next((document[key] for key in WRAPPER_KEYS if key in document), None)
        document = wrapped if isinstance(wrapped, list) else [document]
    if not isinstance(document, list) or not all(isinstance(item, dict) for item in document):
        raise ReadError(
            f"{path.name}: the JSON holds no list of records",
            hint='expected [{"timestamp": ..., "value": ...}, ...] or {"data": [...]}',
        )
    return document


def _is_columns(document: dict[str, Any]) -> bool:
    """Whether every value is a list and all have one length (``{"ts": [...], "v": [...]}``)."""
    values = list(document.values())
    if not values or not all(isinstance(value, list) for value in values):
        return False
    if any(isinstance(item, dict) for value in values for item in value):
        return False
    return len({len(value) for value in values}) == 1


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse(path: Path, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ReadError(
            f"{path.name}: not valid {what} ({reason(exc)})",
            hint="check the file with a JSON validator; it may be cut short",
        ) from exc
