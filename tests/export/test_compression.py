"""Each compression opened with the standard library or zstandard gives the plain bytes back."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import zstandard

from variosync.export import COMPRESSIONS, EXPORT_FORMATS, write_batches, write_stream


def unzip_single(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (member,) = archive.namelist()
        return archive.read(member)


DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.decompress,
    "bz2": bz2.decompress,
    "xz": lzma.decompress,
    "zst": lambda data: zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read(),
    "zip": unzip_single,
}


def test_every_compression_has_a_decompressor() -> None:
    assert set(DECOMPRESS) == set(COMPRESSIONS)


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "lineprotocol", "stooq"])
def test_text_formats_decompress_to_the_plain_bytes(
    fmt: str, compression: str, sample: pl.DataFrame
) -> None:
    plain, packed = io.BytesIO(), io.BytesIO()
    write_stream([sample, sample], plain, fmt)
    write_stream([sample, sample], packed, fmt, compression)
    assert DECOMPRESS[compression](packed.getvalue()) == plain.getvalue()


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("fmt", ["parquet", "arrow", "feather", "xlsx"])
def test_binary_formats_survive_forward_only_compression(
    fmt: str, compression: str, sample: pl.DataFrame
) -> None:
    packed = io.BytesIO()
    write_stream([sample, sample], packed, fmt, compression)
    payload = DECOMPRESS[compression](packed.getvalue())
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(payload)).num_rows == 6
    elif fmt == "xlsx":
        assert zipfile.ZipFile(io.BytesIO(payload)).testzip() is None
    else:
        assert payload.startswith(b"ARROW1") and payload.endswith(b"ARROW1")


@pytest.mark.parametrize(
    ("name", "compression", "member"),
    [
        ("out.csv.zip", "zip", "out.csv"),
        ("out.zip", "zip", "out.csv"),
        ("Zürich data.csv.zip", "zip", "Zürich data.csv"),
    ],
)
def test_zip_member_named_after_dest(
    tmp_path: Path, name: str, compression: str, member: str, sample: pl.DataFrame
) -> None:
    dest = tmp_path / name
    write_batches([sample], dest, "csv", compression)
    with zipfile.ZipFile(dest) as archive:
        assert archive.namelist() == [member]
        assert archive.read(member).startswith(b"series_id,ts,")


def test_zip_member_is_zip64(sample: pl.DataFrame) -> None:
    out = io.BytesIO()
    write_stream([sample], out, "csv", "zip", name="x")
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["x.csv"]
    # force_zip64 writes the zip64 extra field (id 0x0001) in the local header.
    assert b"\x01\x00" in out.getvalue()[30:60]


def test_gzip_header_names_the_plain_file(tmp_path: Path, sample: pl.DataFrame) -> None:
    dest = tmp_path / "out.jsonl.gz"
    write_batches([sample], dest, "jsonl", "gz")
    assert b"out.jsonl\x00" in dest.read_bytes()[:40]


def test_write_stream_leaves_the_sink_open(sample: pl.DataFrame) -> None:
    for compression in (None, *COMPRESSIONS):
        sink = io.BytesIO()
        write_stream([sample], sink, "csv", compression)
        assert not sink.closed


def test_write_stream_to_an_unseekable_sink(sample: pl.DataFrame) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            chunk = bytes(b)  # type: ignore[call-overload]
            self.data += chunk
            return len(chunk)

    for fmt in EXPORT_FORMATS:
        pipe = Pipe()
        assert write_stream([sample], pipe, fmt, "zip") == 3  # type: ignore[arg-type]
        assert zipfile.ZipFile(io.BytesIO(bytes(pipe.data))).testzip() is None
