"""Field columns: target dtypes decided on the sample, conversion expressions, reject reasons."""

from __future__ import annotations

import polars as pl

from variosync.normalize.numbers import (
    NULL_TOKENS_WITH_DASH,
    infer_numeric,
    nullify,
    parse_numeric,
    to_float,
)

# Only the words themselves: "1"/"0", "yes"/"no" or "t"/"f" are as often codes or labels.
_TRUE = "true"
_FALSE = "false"


def _flag_text(text: pl.Expr) -> pl.Expr:
    return nullify(text).str.to_lowercase()


def is_boolean_text(sample: pl.Series) -> bool:
    """Whether every non-null sampled string (null tokens aside) is true/false, in any case."""
    words = pl.DataFrame({"v": sample}).select(_flag_text(pl.col("v"))).to_series().drop_nulls()
    return words.len() > 0 and bool(words.is_in([_TRUE, _FALSE]).all())


def field_dtype(sample: pl.Series, decimal_comma: bool, *, numeric: bool = False) -> pl.DataType:
    """The canonical dtype of a field: Int64/Float64 for numbers, Boolean, else String.

    Text becomes Boolean when every non-null sampled cell reads true or false (any case).

    ``numeric`` forces a number type (the OHLCV fields of a bar file).
    """
    dtype = sample.dtype
    if dtype == pl.Boolean:
        return pl.Boolean()
    if dtype.is_integer():
        return pl.Int64()
    if dtype.is_float() or dtype.is_decimal():
        return pl.Float64()
    if dtype == pl.String:
        inferred = infer_numeric(sample, decimal_comma)
        if inferred is not None:
            return inferred
        if not numeric and is_boolean_text(sample):
            return pl.Boolean()
    return pl.Float64() if numeric else pl.String()


def _as_string(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        is_token = column.str.strip_chars().is_in(NULL_TOKENS_WITH_DASH).fill_null(False)
        return pl.when(is_token).then(None).otherwise(column)
    if dtype.is_nested():
        encoded = pl.struct(column.alias("v")).struct.json_encode()
        return pl.when(column.is_not_null()).then(encoded.str.slice(5, encoded.str.len_chars() - 6))
    if dtype == pl.Duration:
        return column.dt.to_string()
    if dtype == pl.Binary:
        return column.bin.encode("hex")
    return column.cast(pl.String)


def needs_care(dtype: pl.DataType, target: pl.DataType) -> bool:
    """Whether the fast conversion of this field may leave nulls the careful one would explain."""
    return dtype == pl.String and target in (pl.Int64, pl.Float64)


def field_expr(
    source: str, dtype: pl.DataType, target: pl.DataType, decimal_comma: bool, careful: bool
) -> tuple[pl.Expr, pl.Expr | None]:
    """(value, bad) for one field of a batch; ``bad`` marks cells that fail the planned type.

    Without ``careful``, string numbers are cast directly (no stripping, no null tokens) and
    ``bad`` is None; callers re-run carefully when that leaves more nulls than the input had.
    """
    column = pl.col(source)
    if not careful and needs_care(dtype, target):
        text = column.str.replace(",", ".", literal=True) if decimal_comma else column
        fast = text.cast(target, strict=False)
        return (pl.when(fast.is_finite()).then(fast) if target == pl.Float64 else fast), None
    if target == pl.String:
        return _as_string(column, dtype), None
    if target == pl.Boolean:
        if dtype == pl.Boolean:
            return column, None
        text = _flag_text(_as_string(column, dtype))
        flag = pl.when(text == _TRUE).then(True).when(text == _FALSE).then(False)
        return flag, text.is_not_null() & flag.is_null()
    if dtype == pl.String or not (dtype.is_numeric() or dtype == pl.Boolean):
        return parse_numeric(_as_string(column, dtype), target, decimal_comma)
    cast = column.cast(target, strict=False)
    if dtype.is_float() and target == pl.Float64:
        return cast.fill_nan(None), None
    whole = pl.when(column == column.round()).then(cast) if dtype.is_float() else cast
    return whole, column.is_not_null() & whole.is_null()


def field_rejects(
    source: str, rejected: pl.DataFrame, target: pl.DataType, decimal_comma: bool, row: str
) -> pl.DataFrame:
    """Reject lines for the rows of ``rejected`` whose ``source`` cell fails the planned type."""
    text = pl.col(source).cast(pl.String).str.strip_chars()
    shown = text.str.slice(0, 80)
    if target == pl.Boolean:
        reason = pl.format("'{}' is not true/false", shown)
    elif target == pl.Int64:
        reason = (
            pl.when(to_float(text, decimal_comma).is_not_null())
            .then(pl.format("'{}' is not an integer", shown))
            .otherwise(pl.format("'{}' is not a number", shown))
        )
    else:
        reason = pl.format("'{}' is not a number", shown)
    return rejected.select(row=pl.col(row), column=pl.lit(source, pl.String), reason=reason)
