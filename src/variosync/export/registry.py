"""The closed set of export formats, declared once, and how a path and options choose one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

import polars as pl

from variosync.errors import UsageError
from variosync.export.columnar import write_arrow, write_feather, write_parquet
from variosync.export.compression import COMPRESSIONS, EXTENSIONS
from variosync.export.excel import write_xlsx
from variosync.export.json import write_json, write_jsonl
from variosync.export.lineprotocol import write_lineprotocol
from variosync.export.stooq import write_stooq
from variosync.export.text import write_csv, write_tsv

Writer = Callable[[Iterable[pl.DataFrame], BinaryIO], int]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its writer, the file extensions that select it and its media type."""

    name: str
    write: Writer
    extensions: tuple[str, ...]
    media_type: str
    description: str

    def __call__(self, batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
        """Write the batches to ``out`` in this format; return the rows written."""
        return self.write(batches, out)


_FORMATS = (
    ExportFormat("csv", write_csv, (".csv",), "text/csv", "comma-separated values"),
    ExportFormat(
        "tsv", write_tsv, (".tsv", ".tab"), "text/tab-separated-values", "tab-separated values"
    ),
    ExportFormat("json", write_json, (".json",), "application/json", "a JSON array of objects"),
    ExportFormat(
        "jsonl", write_jsonl, (".jsonl", ".ndjson"), "application/jsonl", "one JSON object a line"
    ),
    ExportFormat(
        "parquet",
        write_parquet,
        (".parquet", ".pq"),
        "application/vnd.apache.parquet",
        "Apache Parquet (zstd)",
    ),
    ExportFormat(
        "arrow",
        write_arrow,
        (".arrow", ".ipc"),
        "application/vnd.apache.arrow.file",
        "Arrow IPC file",
    ),
    ExportFormat(
        "feather",
        write_feather,
        (".feather",),
        "application/vnd.apache.arrow.file",
        "Feather v2 (zstd)",
    ),
    ExportFormat(
        "xlsx",
        write_xlsx,
        (".xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel workbook",
    ),
    ExportFormat("stooq", write_stooq, (".stooq",), "text/csv", "stooq.com <TICKER> text"),
    ExportFormat(
        "lineprotocol",
        write_lineprotocol,
        (".lp", ".line", ".influx"),
        "text/plain",
        "InfluxDB line protocol",
    ),
)

EXPORT_FORMATS: Mapping[str, ExportFormat] = MappingProxyType({f.name: f for f in _FORMATS})

_BY_EXTENSION = {ext: f.name for f in _FORMATS for ext in f.extensions}


def get_format(name: str) -> ExportFormat:
    """The export format called ``name``; ``UsageError`` listing the choices if there is none."""
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise UsageError(
            f"unknown export format {name!r}", hint=f"choose one of: {', '.join(EXPORT_FORMATS)}"
        ) from None


def check_compression(compression: str | None) -> str | None:
    """``compression`` if it is one of ``COMPRESSIONS`` (``"none"`` means None), else UsageError."""
    if compression is None or compression == "none":
        return None
    if compression not in COMPRESSIONS:
        raise UsageError(
            f"unknown compression {compression!r}",
            hint=f"choose one of: {', '.join(COMPRESSIONS)}, none",
        )
    return compression


def resolve_format(path: Path, fmt: str | None, compression: str | None) -> tuple[str, str | None]:
    """The (format, compression) to write ``path`` with: explicit arguments win over extensions.

    ``out.csv.gz`` gives ``("csv", "gz")`` and ``out.feather`` gives ``("feather", None)``.
    Pass ``compression="none"`` to write plain bytes whatever the extension says.
    """
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    found = EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if found is not None:
        suffixes.pop()
    chosen = check_compression(compression) if compression is not None else found
    if fmt is not None:
        return get_format(fmt).name, chosen
    name = _BY_EXTENSION.get(suffixes[-1]) if suffixes else None
    if name is None:
        raise UsageError(
            f"cannot tell the export format from the file name {Path(path).name!r}",
            hint=f"pass a format ({', '.join(EXPORT_FORMATS)}) or use one of the extensions "
            f"{', '.join(_BY_EXTENSION)}",
        )
    return name, chosen


def member_name(dest: Path, fmt: str, compression: str | None) -> str:
    """The name of the file inside the compression: ``dest``'s name less the compression suffix.

    The format's extension is added when that name lacks one, so ``out.zip`` holds ``out.csv``.
    """
    name = Path(dest).name
    suffix = Path(name).suffix.lower()
    if compression is not None and EXTENSIONS.get(suffix) == compression:
        name = name[: -len(suffix)]
    extensions = EXPORT_FORMATS[fmt].extensions
    if Path(name).suffix.lower() not in extensions:
        name += extensions[0]
    return name
