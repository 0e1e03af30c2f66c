"""The one declared set of file formats: names, extensions, content sniffers and openers.

Everything that lists formats (CLI choices, API enums, UI menus, docs) reads ``FORMATS``. Its order
is the order in which content sniffers are tried: binary signatures first, then the text formats
from the most specific to plain delimited text, which accepts any text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from variosync.formats import arrow, delimited, excel, jsonfile, lineprotocol, parquet, stooq
from variosync.formats.base import Opener

Sniffer = Callable[[bytes], bool]
"""Tells from the first bytes of a (decompressed) file whether it is in a format."""


@dataclass(frozen=True)
class Format:
    """One readable file format."""

    name: str
    label: str
    extensions: tuple[str, ...]
    sniff: Sniffer | None
    open: Opener
    binary: bool


_ALL: Final = (
    Format(
        "parquet", "Apache Parquet", ("parquet", "pq"), parquet.sniff, parquet.open_parquet, True
    ),
    Format(
        "arrow",
        "Arrow IPC file or stream",
        ("arrow", "arrows", "ipc"),
        arrow.sniff,
        arrow.open_arrow,
        True,
    ),
    # Feather v2 is the Arrow IPC file format, so content alone reports "arrow"; only the
    # extension says "feather".
    Format("feather", "Feather v2", ("feather",), None, arrow.open_feather, True),
    Format("xlsx", "Excel workbook", ("xlsx", "xlsm"), excel.sniff, excel.open_xlsx, True),
    Format("json", "JSON document", ("json",), jsonfile.sniff_json, jsonfile.open_json, False),
    Format(
        "jsonl", "JSON Lines", ("jsonl", "ndjson"), jsonfile.sniff_jsonl, jsonfile.open_jsonl, False
    ),
    Format("stooq", "Stooq quotes", (), stooq.sniff, stooq.open_stooq, False),
    Format(
        "lineprotocol",
        "InfluxDB line protocol",
        ("lp", "line", "influx"),
        lineprotocol.sniff,
        lineprotocol.open_lineprotocol,
        False,
    ),
    Format(
        "tsv", "Tab-separated text", ("tsv", "tab"), delimited.sniff_tsv, delimited.open_tsv, False
    ),
    Format(
        "csv",
        "Delimited text (, ; | or tab)",
        ("csv",),
        delimited.sniff_csv,
        delimited.open_csv,
        False,
    ),
)

FORMATS: Final[Mapping[str, Format]] = MappingProxyType({fmt.name: fmt for fmt in _ALL})
"""Format name -> format, in sniffing order."""

BY_EXTENSION: Final[Mapping[str, str]] = MappingProxyType(
    {extension: fmt.name for fmt in _ALL for extension in fmt.extensions}
)
"""Lower-case file extension (no dot) -> format name."""
