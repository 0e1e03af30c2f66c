"""Parquet, Arrow IPC and Feather read back with pyarrow: values, row groups, compression."""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from variosync.export.columnar import write_arrow, write_feather, write_parquet
from variosync.model import SERIES, TS


def written(writer: object, batches: list[pl.DataFrame]) -> io.BytesIO:
    out = io.BytesIO()
    writer(batches, out)  # type: ignore[operator]
    out.seek(0)
    return out


def test_parquet_one_zstd_row_group_per_batch(sample: pl.DataFrame) -> None:
    out = written(write_parquet, [sample, sample.clear(), sample.head(2)])
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 2]
    assert meta.row_group(0).column(0).compression == "ZSTD"
    out.seek(0)
    back = pl.from_arrow(pq.read_table(out))
    assert isinstance(back, pl.DataFrame)
    assert back.equals(pl.concat([sample, sample.head(2)]))


@pytest.mark.parametrize("writer", [write_arrow, write_feather], ids=["arrow", "feather"])
def test_ipc_file_one_record_batch_per_batch(writer: object, sample: pl.DataFrame) -> None:
    out = written(writer, [sample, pl.concat([sample, sample], rechunk=False)])
    reader = pa.ipc.open_file(out)
    assert [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)] == [3, 6]
    back = pl.from_arrow(reader.read_all())
    assert isinstance(back, pl.DataFrame)
    assert back.equals(pl.concat([sample] * 3))
    assert back.schema == sample.schema
    assert out.getvalue().startswith(b"ARROW1")


def test_feather_buffers_are_compressed(sample: pl.DataFrame) -> None:
    big = pl.concat([sample] * 2000)
    plain = len(written(write_arrow, [big]).getvalue())
    packed = len(written(write_feather, [big]).getvalue())
    assert packed < plain / 4


@pytest.mark.parametrize("writer", [write_parquet, write_arrow, write_feather])
def test_empty_input_has_the_key_schema(writer: object) -> None:
    out = written(writer, [])
    table = pq.read_table(out) if writer is write_parquet else pa.ipc.open_file(out).read_all()
    assert table.num_rows == 0
    assert table.column_names == [SERIES, TS]
    assert str(table.schema.field(TS).type) == "timestamp[us, tz=UTC]"


def test_later_batch_with_null_typed_column_is_cast(sample: pl.DataFrame) -> None:
    nulls = sample.with_columns(pl.lit(None).alias("f"))
    assert nulls.schema["f"] == pl.Null
    out = written(write_parquet, [sample, nulls])
    back = pl.from_arrow(pq.read_table(out))
    assert isinstance(back, pl.DataFrame)
    assert back["f"].dtype == pl.Float64
    assert back["f"].null_count() == 4
