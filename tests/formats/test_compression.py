"""Compressed files: each compression unwrapped once, to a temp file that goes away afterwards."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import polars as pl
import pytest

from variosync.errors import ReadError, UnknownFormatError
from variosync.formats import COMPRESSIONS, ReadOptions, open_source

from . import samples
from .conftest import Writer
from .samples import compress, read_all

PAYLOADS = {"csv": samples.CSV, "parquet": samples.parquet(), "arrow": samples.arrow_file()}


def _temp_entries() -> set[str]:
    return {path.name for path in Path(tempfile.gettempdir()).glob("variosync-*")}


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("fmt", sorted(PAYLOADS))
def test_each_compression_round_trips(write: Writer, compression: str, fmt: str) -> None:
    path = write(f"data.{fmt}.{compression}", compress(PAYLOADS[fmt], compression, f"data.{fmt}"))
    before = _temp_entries()
    source, frame = read_all(path)
    assert _temp_entries() <= before, "the unwrapped temp file must be deleted"
    assert source.format == fmt
    assert source.name == path.name
    assert frame["value"].cast(pl.Float64).to_list() == [1.5, 2.5, 3.5]


def test_temp_file_is_removed_even_when_batches_are_not_read(write: Writer) -> None:
    path = write("data.csv.gz", compress(samples.CSV, "gz"))
    before = _temp_entries()
    with open_source(path, ReadOptions()) as source:
        assert source.format == "csv"
        assert _temp_entries() > before
    assert _temp_entries() <= before


@pytest.mark.parametrize("members", [0, 2])
def test_zip_must_hold_exactly_one_file(write: Writer, members: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(members):
            archive.writestr(f"part{index}.csv", samples.CSV)
    with pytest.raises(
        ReadError, match=rf"bundle\.zip: a zip must hold exactly one file.*{members}"
    ):
        read_all(write("bundle.zip", buffer.getvalue()))


def test_zip_directory_entries_do_not_count(write: Writer) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("folder/", b"")
        archive.writestr("folder/data.csv", samples.CSV)
    source, frame = read_all(write("bundle.zip", buffer.getvalue()))
    assert (source.format, frame.height) == ("csv", 3)


def test_nested_compression_is_an_unknown_format(write: Writer) -> None:
    path = write("data.csv.zip", compress(compress(samples.CSV, "gz"), "zip", "data.csv.gz"))
    with pytest.raises(UnknownFormatError, match="only one layer"):
        read_all(path)


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", "zst"])
def test_truncated_stream_is_a_read_error(write: Writer, compression: str) -> None:
    payload = b"i,v\n" + b"".join(f"{i},{i * 7919 % 1000}\n".encode() for i in range(50_000))
    packed = compress(payload, compression)
    path = write(f"cut.csv.{compression}", packed[: len(packed) // 2])
    with pytest.raises(ReadError, match=rf"cut\.csv\.{compression}: not a valid"):
        read_all(path)


def test_gz_extension_on_plain_text_is_a_read_error(write: Writer) -> None:
    with pytest.raises(ReadError, match=r"plain\.csv\.gz: not a valid gzip file"):
        read_all(write("plain.csv.gz", samples.CSV))


def test_compressed_empty_payload_is_unknown(write: Writer) -> None:
    with pytest.raises(UnknownFormatError, match="the compressed file is empty"):
        read_all(write("nothing.csv.gz", compress(b"", "gz")))


def test_multi_frame_zstd_is_read_whole(write: Writer) -> None:
    head, tail = samples.CSV[:40], samples.CSV[40:]
    packed = compress(head, "zst") + compress(tail, "zst")
    _, frame = read_all(write("frames.csv.zst", packed))
    assert frame.height == 3
