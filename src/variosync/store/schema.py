"""Reconciling an incoming batch's field types with the types a table already stores."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from variosync.errors import ConflictError


def _is_int(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t))


def _is_float(t: pa.DataType) -> bool:
    return bool(pa.types.is_floating(t))


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def plan_casts(incoming: pa.Schema, existing: pa.Schema) -> dict[str, pa.Field]:
    """Target fields for incoming columns whose type differs from the stored one.

    Integers widen to a stored float column and anything becomes text in a stored text column.
    Floats go into a stored integer column only when every value is whole (checked per batch).
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
    """Cast ``batch`` to ``schema``; a fractional value bound for an integer column is an error."""
    if batch.schema.equals(schema):
        return batch
    columns = []
    for target in schema:
        column = batch.column(batch.schema.get_field_index(target.name))
        if _is_float(column.type) and _is_int(target.type):
            whole = pc.equal(column, pc.floor(column))
            if not pc.all(pc.or_kleene(whole, pc.is_null(column))).as_py():
                raise ConflictError(
                    f"field {target.name!r} is stored as whole numbers but this file has "
                    "fractional values",
                    hint="ingest into a new dataset, or leave the field out with --fields",
                )
        columns.append(column.cast(target.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)
