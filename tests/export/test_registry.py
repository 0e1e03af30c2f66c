"""The format registry and how a path and options resolve to (format, compression)."""

from __future__ import annotations

from pathlib import Path

import pytest

from variosync.errors import UsageError
from variosync.export import COMPRESSIONS, EXPORT_FORMATS, resolve_format
from variosync.export.registry import member_name


def test_the_closed_set_of_formats() -> None:
    assert list(EXPORT_FORMATS) == [
        "csv",
        "tsv",
        "json",
        "jsonl",
        "parquet",
        "arrow",
        "feather",
        "xlsx",
        "stooq",
        "lineprotocol",
    ]
    assert COMPRESSIONS == ("gz", "bz2", "xz", "zst", "zip")
    for name, spec in EXPORT_FORMATS.items():
        assert spec.name == name
        assert spec.extensions and all(ext.startswith(".") for ext in spec.extensions)
        assert spec.media_type and spec.description


def test_extensions_are_unambiguous() -> None:
    extensions = [ext for spec in EXPORT_FORMATS.values() for ext in spec.extensions]
    assert len(extensions) == len(set(extensions))


@pytest.mark.parametrize(
    ("path", "fmt", "compression", "expected"),
    [
        ("out.csv.gz", None, None, ("csv", "gz")),
        ("out.feather", None, None, ("feather", None)),
        ("OUT.CSV.ZST", None, None, ("csv", "zst")),
        ("out.ndjson.zstd", None, None, ("jsonl", "zst")),
        ("my.data.v2.parquet", None, None, ("parquet", None)),
        ("dir.d/out.tsv.bz2", None, None, ("tsv", "bz2")),
        ("out.lp.xz", None, None, ("lineprotocol", "xz")),
        ("out.xlsx.zip", None, None, ("xlsx", "zip")),
        ("out.txt", "stooq", None, ("stooq", None)),
        ("out.csv.gz", "json", None, ("json", "gz")),
        ("out.csv.gz", None, "bz2", ("csv", "bz2")),
        ("out.csv.gz", None, "none", ("csv", None)),
        ("out", "arrow", "zip", ("arrow", "zip")),
        ("out.gz", "csv", None, ("csv", "gz")),
    ],
)
def test_resolve_format(
    path: str, fmt: str | None, compression: str | None, expected: tuple[str, str | None]
) -> None:
    assert resolve_format(Path(path), fmt, compression) == expected


@pytest.mark.parametrize(
    ("path", "fmt", "compression", "listed"),
    [
        ("out.txt", None, None, "csv, tsv, json"),
        ("out.gz", None, None, "lineprotocol"),
        ("out", None, None, "parquet"),
        ("out.csv", "excel", None, "xlsx"),
        ("out.csv", None, "rar", "zst"),
    ],
)
def test_unknown_choices_list_the_valid_ones(
    path: str, fmt: str | None, compression: str | None, listed: str
) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_format(Path(path), fmt, compression)
    assert caught.value.hint is not None and listed in caught.value.hint


@pytest.mark.parametrize(
    ("dest", "fmt", "compression", "member"),
    [
        ("out.csv.gz", "csv", "gz", "out.csv"),
        ("out.zip", "parquet", "zip", "out.parquet"),
        ("out.pq.zip", "parquet", "zip", "out.pq"),
        ("export", "jsonl", None, "export.jsonl"),
    ],
)
def test_member_name(dest: str, fmt: str, compression: str | None, member: str) -> None:
    assert member_name(Path(dest), fmt, compression) == member
