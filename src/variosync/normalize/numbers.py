"""Numeric typing of string cells: decided once on a sample, then parsed vectorised per batch."""

from __future__ import annotations

import polars as pl

NULL_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", "None")
NULL_TOKENS_WITH_DASH = (*NULL_TOKENS, "-", "--", "#N/A")
NUMERIC_SHARE = 0.9

_INT_PATTERN = r"^[+-]?\d+$"


def nullify(expr: pl.Expr) -> pl.Expr:
    """Strip strings and turn the common null tokens (``NA``, ``-``, ``""``…) into nulls."""
    stripped = expr.str.strip_chars()
    return (
        pl.when(stripped.is_in(NULL_TOKENS_WITH_DASH).fill_null(False))
        .then(None)
        .otherwise(stripped)
    )


_GROUPED_COMMA_DECIMAL = r"^[+-]?\d{1,3}(\.\d{3})+,\d+$"


def _prepared(expr: pl.Expr, decimal_comma: bool) -> pl.Expr:
    if not decimal_comma:
        return expr
    # "1.234,5": dots group thousands only where a comma decimal part follows (as the sniffer
    # counts them); a lone "1.234" stays ambiguous and is not rewritten.
    ungrouped = (
        pl.when(expr.str.contains(_GROUPED_COMMA_DECIMAL))
        .then(expr.str.replace_all(".", "", literal=True))
        .otherwise(expr)
    )
    return ungrouped.str.replace(",", ".", literal=True)


def to_float(cleaned: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """Parse nullified strings as Float64; unparseable or infinite values become null."""
    value = _prepared(cleaned, decimal_comma).cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def to_int(cleaned: pl.Expr) -> pl.Expr:
    """Parse nullified strings as Int64 (a leading ``+`` allowed); anything else becomes null."""
    return cleaned.cast(pl.Int64, strict=False)


def infer_numeric(sample: pl.Series, decimal_comma: bool) -> pl.DataType | None:
    """Int64 or Float64 when at least 90% of the non-null sampled strings are numbers, else None."""
    frame = pl.DataFrame({"v": sample}).select(v=nullify(pl.col("v").cast(pl.String))).drop_nulls()
    if frame.height == 0:
        return None
    checked = frame.select(
        is_float=to_float(pl.col("v"), decimal_comma).is_not_null(),
        is_int=to_int(pl.col("v")).is_not_null() & pl.col("v").str.contains(_INT_PATTERN),
    )
    n_float = int(checked["is_float"].sum())
    if n_float < NUMERIC_SHARE * frame.height:
        return None
    if bool(checked["is_int"].all()):
        return pl.Int64()
    return pl.Float64()


def parse_numeric(raw: pl.Expr, dtype: pl.DataType, decimal_comma: bool) -> tuple[pl.Expr, pl.Expr]:
    """(value, bad): the parsed column and a mask of non-null cells that are not numbers."""
    cleaned = nullify(raw)
    value = to_int(cleaned) if dtype == pl.Int64 else to_float(cleaned, decimal_comma)
    bad = cleaned.is_not_null() & value.is_null()
    return value, bad


def parse_numbers(
    raw: pl.Series, dtype: pl.DataType, decimal_comma: bool
) -> tuple[pl.Series, pl.Series]:
    """Careful parse of a string column in stages (no repeated work): (values, bad-cell mask)."""
    frame = pl.DataFrame({"c": raw}).select(c=nullify(pl.col("c")))
    if dtype == pl.Int64:
        frame = frame.with_columns(v=to_int(pl.col("c")))
    else:
        frame = frame.with_columns(
            v=_prepared(pl.col("c"), decimal_comma).cast(pl.Float64, strict=False)
        )
        frame = frame.with_columns(v=pl.when(pl.col("v").is_finite()).then(pl.col("v")))
    bad = frame.select(pl.col("c").is_not_null() & pl.col("v").is_null()).to_series()
    return frame["v"].alias(raw.name), bad
