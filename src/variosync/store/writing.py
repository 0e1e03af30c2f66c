"""How tables are written: file and row-group layout, whole-table overwrites, lost races."""

from __future__ import annotations

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake

from variosync.store.commits import prefixed

# Rows are sorted by series, so a row group holds few series: small groups let a one-series
# query skip almost everything by statistics, at little cost in file size.
ROW_GROUP_ROWS = 128 * 1024
TARGET_FILE_BYTES = 64 * 1024 * 1024


def lost_race(message: str) -> bool:
    """True when a write failed because a concurrent writer committed first.

    delta-rs reports "version N already exists" for a lost commit and "a table already exists"
    when another writer created the table between our existence check and our first write.
    """
    text = message.lower()
    return "already exists" in text or ("version" in text and "exist" in text)


def overwrite(table: DeltaTable, reader: pa.RecordBatchReader, metadata: dict[str, str]) -> None:
    """Replace a table's rows and schema with ``reader``'s as one commit on top of ``table``."""
    write_deltalake(
        table,
        reader,
        mode="overwrite",
        schema_mode="overwrite",
        writer_properties=writer_properties(),
        commit_properties=CommitProperties(custom_metadata=prefixed(metadata)),
        target_file_size=TARGET_FILE_BYTES,
    )


def writer_properties() -> WriterProperties:
    """ZSTD level 3 in row groups of ``ROW_GROUP_ROWS``."""
    return WriterProperties(
        compression="ZSTD", compression_level=3, max_row_group_size=ROW_GROUP_ROWS
    )
