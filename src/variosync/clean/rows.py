"""Operations that keep or remove whole rows: drop nulls, drop duplicates, sort, filter."""

from __future__ import annotations

import polars as pl

from variosync.clean.fields import Applied, Context, field_names, resolve, unknown_field
from variosync.clean.spec import Condition, DropDuplicates, DropNulls, Filter, Scalar, Sort
from variosync.errors import UsageError
from variosync.model import SERIES, TS
from variosync.query import utc_literal


def drop_nulls(frame: pl.DataFrame, step: DropNulls, ctx: Context) -> Applied:
    """Remove rows whose fields are null (any of them, or all of them)."""
    names = resolve(frame, step.fields)
    if not names:
        return Applied(frame)
    nulls = [pl.col(name).is_null() for name in names]
    mask = pl.any_horizontal(nulls) if step.how == "any" else pl.all_horizontal(nulls)
    return Applied(frame.filter(~mask))


def drop_duplicates(frame: pl.DataFrame, step: DropDuplicates, ctx: Context) -> Applied:
    """One row per (series, timestamp), in the current order."""
    return Applied(frame.unique(subset=[SERIES, TS], keep=step.keep, maintain_order=True))


def sort(frame: pl.DataFrame, step: Sort, ctx: Context) -> Applied:
    """Order by series and time, stable."""
    return Applied(frame.sort(SERIES, TS, maintain_order=True))


def filter_rows(frame: pl.DataFrame, step: Filter, ctx: Context) -> Applied:
    """Keep (or drop) the rows meeting every condition."""
    parts: list[pl.Expr] = [_condition(frame, c) for c in step.where]
    if step.start is not None:
        parts.append(pl.col(TS) >= utc_literal(step.start))
    if step.end is not None:
        parts.append(pl.col(TS) < utc_literal(step.end))
    if step.series_in is not None:
        parts.append(pl.col(SERIES).is_in(step.series_in))
    if step.series_not_in is not None:
        parts.append(~pl.col(SERIES).is_in(step.series_not_in))
    # A comparison with a null value is unknown: such a row does not meet the condition.
    mask = pl.all_horizontal([p.fill_null(False) for p in parts])
    return Applied(frame.filter(mask if step.keep else ~mask))


def _condition(frame: pl.DataFrame, condition: Condition) -> pl.Expr:
    available = field_names(frame)
    if condition.field not in available:
        raise unknown_field(condition.field, available)
    column = pl.col(condition.field)
    dtype = frame.schema[condition.field]
    if condition.cmp == "is_null":
        return column.is_null()
    if condition.cmp == "not_null":
        return column.is_not_null()
    if condition.cmp in ("in", "not_in"):
        assert isinstance(condition.value, list)
        values = [_typed(condition, dtype, v) for v in condition.value]
        found = column.is_in(pl.Series(values, dtype=None if dtype.is_numeric() else dtype))
        return found if condition.cmp == "in" else ~found
    assert condition.value is not None and not isinstance(condition.value, list)
    typed = _typed(condition, dtype, condition.value)
    value = pl.lit(typed) if dtype.is_numeric() else pl.lit(typed, dtype=dtype)
    compare = {
        "==": column == value,
        "!=": column != value,
        "<": column < value,
        "<=": column <= value,
        ">": column > value,
        ">=": column >= value,
    }
    return compare[condition.cmp]


def _typed(condition: Condition, dtype: pl.DataType, value: Scalar) -> Scalar:
    """The value as the field's type, or a UsageError saying the two do not match."""
    numeric = dtype.is_numeric()
    if numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if dtype == pl.String and isinstance(value, str):
        return value
    if dtype == pl.Boolean and isinstance(value, bool):
        return value
    return _mismatch(condition, dtype, value)


def _mismatch(condition: Condition, dtype: pl.DataType, value: Scalar) -> Scalar:
    raise UsageError(
        f"condition on field {condition.field!r} compares {dtype} with {value!r}",
        hint="give a value of the field's type (a number for numeric fields, quoted text for text)",
    )
