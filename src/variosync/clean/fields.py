"""Operations on the set of fields: rename, drop, convert type; and resolving named fields."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from variosync.clean.spec import Convert, DropFields, Rename
from variosync.errors import UsageError
from variosync.model import SERIES, TS, Kind

_TRUE = ("true", "t", "yes", "y", "1", "on")
_FALSE = ("false", "f", "no", "n", "0", "off")


@dataclass(frozen=True)
class Context:
    """What every operation may need besides the frame."""

    kind: Kind = Kind.GENERIC


@dataclass(frozen=True)
class Applied:
    """An operation's output frame plus the counts only the operation itself knows."""

    frame: pl.DataFrame
    flagged: int = 0


def field_names(frame: pl.DataFrame) -> list[str]:
    """The frame's fields (every column but the key)."""
    return [c for c in frame.columns if c not in (SERIES, TS)]


def unknown_field(name: str, available: Sequence[str]) -> UsageError:
    """The error for a field the data does not have, with the closest name if there is one."""
    close = difflib.get_close_matches(name, available, n=1)
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    return UsageError(
        f"unknown field {name!r}",
        hint=f"{suggestion}available fields: {', '.join(available) or '(none)'}",
    )


def resolve(frame: pl.DataFrame, wanted: Sequence[str] | None, numeric: bool = False) -> list[str]:
    """The fields an operation works on: the named ones (checked), or all (numeric) fields."""
    available = field_names(frame)
    if wanted is None:
        if numeric:
            return [name for name in available if frame.schema[name].is_numeric()]
        return available
    for name in wanted:
        if name not in available:
            raise unknown_field(name, available)
        if numeric and not frame.schema[name].is_numeric():
            raise UsageError(
                f"field {name!r} holds {frame.schema[name]}, and this operation needs numbers",
                hint="convert it first (op: convert, to: float) or leave it out of fields",
            )
    return list(dict.fromkeys(wanted))


def rename(frame: pl.DataFrame, step: Rename, ctx: Context) -> Applied:
    """Rename fields; a new name may not collide with a field that stays."""
    available = field_names(frame)
    for old in step.fields:
        if old not in available:
            raise unknown_field(old, available)
    staying = set(available) - set(step.fields)
    for new in step.fields.values():
        if new in staying:
            raise UsageError(
                f"cannot rename to {new!r}: the field already exists",
                hint="drop or rename that field first",
            )
    return Applied(frame.rename(step.fields))


def drop_fields(frame: pl.DataFrame, step: DropFields, ctx: Context) -> Applied:
    """Remove fields."""
    return Applied(frame.drop(resolve(frame, step.fields)))


def convert(frame: pl.DataFrame, step: Convert, ctx: Context) -> Applied:
    """Change field types; unconvertible values fail the step (or become null if asked)."""
    names = resolve(frame, step.fields)
    target = {"float": pl.Float64, "int": pl.Int64, "string": pl.String, "bool": pl.Boolean}
    dtype = target[step.to]
    exprs = [_converted(name, frame.schema[name], dtype).alias(name) for name in names]
    out = frame.with_columns(exprs)
    if step.on_error == "fail":
        for name in names:
            lost = frame.get_column(name).is_not_null() & out.get_column(name).is_null()
            if lost.any():
                examples = frame.get_column(name).filter(lost).head(3).cast(pl.String).to_list()
                raise UsageError(
                    f"{int(lost.sum())} value(s) of field {name!r} are not a valid {step.to} "
                    f"(e.g. {', '.join(repr(e) for e in examples)})",
                    hint="fix or filter them first, or set on_error: null to make them null",
                )
    return Applied(out)


def _converted(name: str, source: pl.DataType, target: type[pl.DataType]) -> pl.Expr:
    column = pl.col(name)
    if target is pl.Boolean and source == pl.String:
        text = column.str.strip_chars().str.to_lowercase()
        return (
            pl.when(text.is_in(_TRUE))
            .then(pl.lit(True))
            .when(text.is_in(_FALSE))
            .then(pl.lit(False))
            .otherwise(pl.lit(None, pl.Boolean))
        )
    if target is pl.Int64 and source.is_float():
        # Truncating 1.5 to 1 would change the value: only whole numbers convert.
        return pl.when(column == column.round(0)).then(column.cast(pl.Int64, strict=False))
    if target is pl.Int64 and source == pl.String:
        number = column.str.strip_chars().cast(pl.Float64, strict=False)
        return pl.when(number == number.round(0)).then(number.cast(pl.Int64, strict=False))
    if source == pl.String:
        return column.str.strip_chars().cast(target, strict=False)
    return column.cast(target, strict=False)
