"""Reconciling an incoming batch's field types with the types a table already stores."""

from __future__ import annotations

import pyarrow as pa

from variosync.errors import ConflictError


def _is_int(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t))


def _is_float(t: pa.DataType) -> bool:
    return bool(pa.types.is_floating(t))


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def widened_fields(incoming: pa.Schema, existing: pa.Schema) -> list[str]:
    """Stored integer fields that must become floats because the incoming data has floats."""
    return [
        f.name
        for f in incoming
        if existing.get_field_index(f.name) >= 0
        and _is_float(f.type)
        and _is_int(existing.field(f.name).type)
    ]


def plan_casts(incoming: pa.Schema, existing: pa.Schema) -> dict[str, pa.Field]:
    """Target fields for incoming columns whose type differs from the stored one.

    Integers go into a stored float column and anything becomes text in a stored text column.
    (Floats bound for a stored integer column are handled before: ``widened_fields``.)
    Text cannot go into a numeric column: that is a conflict with a clear message.
    """
    casts: dict[str, pa.Field] = {}
    for incoming_field in incoming:
        name = incoming_field.name
        if existing.get_field_index(name) < 0:
            continue
        target = existing.field(name).type
        source = incoming_field.type
        if source.equals(target):
            continue
        numeric = (_is_int(source) or _is_float(source)) and (_is_int(target) or _is_float(target))
        both_times = pa.types.is_timestamp(source) and pa.types.is_timestamp(target)
        if numeric or both_times or _is_text(target) or pa.types.is_null(source):
            casts[name] = pa.field(name, target)
        else:
            raise ConflictError(
                f"field {name!r} is stored as {target} but this file has {source} values",
                hint="ingest into a new dataset, or leave the field out with --fields "
                "(or rename the column in the file)",
            )
    return casts


def conform_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Cast ``batch`` to ``schema`` (only the casts ``plan_casts`` allowed reach here)."""
    if batch.schema.equals(schema):
        return batch
    columns = [
        batch.column(batch.schema.get_field_index(target.name)).cast(target.type)
        for target in schema
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)
