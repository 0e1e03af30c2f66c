"""Small files in every format, built in memory, and how the tests compress and read them."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import warnings
import zipfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pytest
import xlsxwriter
import zstandard

from variosync.formats import RawSource, ReadOptions, open_source

FRAME = pl.DataFrame(
    {
        "timestamp": ["2024-01-15T09:30:00", "2024-01-15T09:31:00", "2024-01-15T09:32:00"],
        "value": [1.5, 2.5, 3.5],
    }
)

CSV = b"timestamp,value\n" + b"".join(
    f"{stamp},{value}\n".encode() for stamp, value in FRAME.iter_rows()
)
TSV = CSV.replace(b",", b"\t")
JSON = FRAME.write_json().encode()
JSONL = FRAME.write_ndjson().encode()
STOOQ = (
    b"<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n"
    b"AAPL.US,5,20240115,093000,185.5,186.2,185.1,185.85,12345,0\n"
    b"AAPL.US,5,20240115,093500,185.85,186.0,185.6,185.9,2345,0\n"
)
LINEPROTOCOL = (
    b"# weather\n"
    b'weather,station=b,city=zurich temp=21.5,n=3i,ok=true,note="fine" 1700000000000000000\n'
    b'weather,station=b,city=zurich temp=22.0,n=4i,ok=false,note="a \\"b\\"" 1700000060000000000\n'
)


def parquet() -> bytes:
    """FRAME as Parquet."""
    buffer = io.BytesIO()
    FRAME.write_parquet(buffer)
    return buffer.getvalue()


def arrow_file() -> bytes:
    """FRAME as an Arrow IPC file."""
    buffer = io.BytesIO()
    FRAME.write_ipc(buffer)
    return buffer.getvalue()


def arrow_stream() -> bytes:
    """FRAME as an Arrow IPC stream."""
    buffer = io.BytesIO()
    FRAME.write_ipc_stream(buffer)
    return buffer.getvalue()


def feather_v1() -> bytes:
    """FRAME as a legacy Feather v1 file."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        feather.write_feather(FRAME.to_arrow(), buffer, version=1)
    return buffer.getvalue()


def arrow_stream_batches(rows: int, per_batch: int) -> bytes:
    """An Arrow stream of ``rows`` integers written in batches of ``per_batch``."""
    buffer = io.BytesIO()
    schema = pa.schema([("i", pa.int64())])
    with ipc.new_stream(buffer, schema) as writer:
        for start in range(0, rows, per_batch):
            values = list(range(start, min(rows, start + per_batch)))
            writer.write_batch(pa.record_batch([pa.array(values, pa.int64())], schema=schema))
    return buffer.getvalue()


def xlsx(sheets: tuple[str, ...] = ("Data",)) -> bytes:
    """A workbook with a datetime and a number column on each of ``sheets``."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for position, name in enumerate(sheets):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, ["timestamp", "value"])
        for row in range(3):
            stamp = dt.datetime(2024, 1, 15, 9, 30 + row)
            sheet.write_datetime(row + 1, 0, stamp, date_format)
            sheet.write_number(row + 1, 1, 1.5 + row + 100 * position)
    workbook.close()
    return buffer.getvalue()


SEED_SAMPLES = Path(__file__).parents[2].parent / "shared/data/seed-samples"


def require(folder: Path) -> Path:
    """``folder``, or skip: the seed samples live in ../shared, beside a checkout, not in it."""
    if not folder.is_dir():
        pytest.skip(f"{folder} is not beside this checkout (the package copy is tested instead)")
    return folder


PACKAGE_SAMPLES = Path(__file__).parents[2] / "src/variosync/samples"


def compress(data: bytes, compression: str, member: str = "data.csv") -> bytes:
    """``data`` compressed with ``compression`` (zip: one member named ``member``)."""
    if compression == "gz":
        return gzip.compress(data)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    if compression == "zst":
        return zstandard.ZstdCompressor().compress(data)
    assert compression == "zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return buffer.getvalue()


def read_all(path: Path, options: ReadOptions | None = None) -> tuple[RawSource, pl.DataFrame]:
    """Open ``path`` through ``open_source`` and concatenate all its batches."""
    with open_source(path, options or ReadOptions()) as source:
        batches = list(source.batches)
    frame = pl.concat(batches, how="diagonal_relaxed") if batches else pl.DataFrame()
    return source, frame


def by_format() -> dict[str, bytes]:
    """One small file's bytes per registered format (Feather v2 is an Arrow IPC file)."""
    return {
        "csv": CSV,
        "tsv": TSV,
        "json": JSON,
        "jsonl": JSONL,
        "parquet": parquet(),
        "arrow": arrow_file(),
        "feather": arrow_file(),
        "xlsx": xlsx(),
        "stooq": STOOQ,
        "lineprotocol": LINEPROTOCOL,
    }
