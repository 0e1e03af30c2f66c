"""Detection: by extension, by content with a missing or misleading extension, and failures."""

from __future__ import annotations

import os

import pytest

from variosync.errors import ReadError, UnknownFormatError
from variosync.formats import COMPRESSIONS, FORMATS, detect

from . import samples
from .conftest import Writer
from .samples import compress

# Feather is found by extension only; by content it is an Arrow file.
CONTENT = {k: v for k, v in samples.by_format().items() if k != "feather"}

BY_EXTENSION = [
    ("data.csv", "csv"),
    ("data.CSV", "csv"),
    ("data.tsv", "tsv"),
    ("data.json", "json"),
    ("data.jsonl", "jsonl"),
    ("data.ndjson", "jsonl"),
    ("data.parquet", "parquet"),
    ("data.arrow", "arrow"),
    ("data.feather", "feather"),
    ("data.xlsx", "xlsx"),
    ("data.lp", "lineprotocol"),
    ("data.line", "lineprotocol"),
    ("data.influx", "lineprotocol"),
]


@pytest.mark.parametrize(("name", "expected"), BY_EXTENSION)
def test_extension_names_the_format(write: Writer, name: str, expected: str) -> None:
    content = CONTENT.get(expected, samples.arrow_file())
    assert detect(write(name, content)) == (expected, None)


@pytest.mark.parametrize("expected", sorted(CONTENT))
@pytest.mark.parametrize("name", ["data", "data.dat", "data.txt"])
def test_content_names_the_format_without_a_useful_extension(
    write: Writer, name: str, expected: str
) -> None:
    assert detect(write(name, CONTENT[expected])) == (expected, None)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("data.csv", samples.parquet(), "parquet"),
        ("data.json", samples.arrow_file(), "arrow"),
        ("data.csv", samples.arrow_stream(), "arrow"),
        ("data.tsv", samples.xlsx(), "xlsx"),
        ("quotes.csv", samples.STOOQ, "stooq"),
        ("data.lp", samples.CSV, "lineprotocol"),
        ("data.parquet", samples.CSV, "parquet"),
    ],
)
def test_binary_signatures_beat_text_extensions(
    write: Writer, name: str, content: bytes, expected: str
) -> None:
    assert detect(write(name, content))[0] == expected


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "lineprotocol"])
def test_compression_by_extension_and_by_content(write: Writer, compression: str, fmt: str) -> None:
    member = f"data.{fmt if fmt != 'lineprotocol' else 'lp'}"
    packed = compress(CONTENT[fmt], compression, member=member)
    assert detect(write(f"{member}.{compression}", packed)) == (fmt, compression)
    assert detect(write(f"blob{compression}", packed)) == (fmt, compression)


def test_zstd_long_extension(write: Writer) -> None:
    packed = compress(samples.CSV, "zst")
    assert detect(write("data.csv.zstd", packed)) == ("csv", "zst")


def test_zip_member_extension_names_the_format(write: Writer) -> None:
    packed = compress(samples.STOOQ, "zip", member="aapl.us.txt")
    assert detect(write("download.zip", packed)) == ("stooq", "zip")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("junk.bin", os.urandom(4096)),
        ("junk.csv", b"\x00\x01\x02\x03" * 100),
        ("junk", bytes(range(256)) * 4),
    ],
)
def test_junk_and_empty_files_are_unknown(write: Writer, name: str, content: bytes) -> None:
    with pytest.raises(UnknownFormatError, match=name.replace(".", r"\.")):
        detect(write(name, content))


def test_nested_compression_is_not_unwrapped(write: Writer) -> None:
    inner = compress(samples.CSV, "gz")
    path = write("data.zip", compress(inner, "zip", member="data.csv.gz"))
    with pytest.raises(UnknownFormatError, match=r"data\.zip: holds another compressed file"):
        detect(path)


def test_gzip_inside_gzip_is_not_unwrapped(write: Writer) -> None:
    path = write("data.gz", compress(compress(samples.CSV, "gz"), "gz"))
    with pytest.raises(UnknownFormatError, match="only one layer"):
        detect(path)


def test_missing_file_is_a_read_error(tmp_path: os.PathLike[str]) -> None:
    from pathlib import Path

    with pytest.raises(ReadError, match=r"nothere\.csv: file not found"):
        detect(Path(tmp_path) / "nothere.csv")


def test_every_registered_format_is_reachable_by_extension_or_content() -> None:
    for fmt in FORMATS.values():
        assert fmt.extensions or fmt.sniff is not None, fmt.name
