"""Row validation of canonical frames: valid rows plus a rejects table, never a silent drop.

Bars (``Kind.OHLCV``) must satisfy high ≥ max(open, close), low ≤ min(open, close), high ≥ low
and volume ≥ 0. A rule is skipped where a value it needs is null; max/min ignore a null open or
close. A row breaking several rules gets one reject line per rule and is removed once.
"""

from __future__ import annotations

import polars as pl

from variosync.model import Kind

REJECTS_SCHEMA = pl.Schema({"row": pl.Int64(), "column": pl.String(), "reason": pl.String()})


def empty_rejects() -> pl.DataFrame:
    """A rejects frame with no rows."""
    return pl.DataFrame(schema=REJECTS_SCHEMA)


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Float64).cast(pl.String)


def ohlcv_rules(columns: list[str]) -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(column, broken-mask, reason) for each OHLCV rule the frame has the columns for."""
    rules: list[tuple[str, pl.Expr, pl.Expr]] = []
    has = set(columns).__contains__
    bounds = [pl.col(c) for c in ("open", "close") if has(c)]
    if has("high") and bounds:
        top = pl.max_horizontal(bounds)
        rules.append(
            (
                "high",
                pl.col("high") < top,
                pl.format("high {} < max(open, close) {}", _text(pl.col("high")), _text(top)),
            )
        )
    if has("low") and bounds:
        bottom = pl.min_horizontal(bounds)
        rules.append(
            (
                "low",
                pl.col("low") > bottom,
                pl.format("low {} > min(open, close) {}", _text(pl.col("low")), _text(bottom)),
            )
        )
    if has("high") and has("low"):
        rules.append(
            (
                "high",
                pl.col("high") < pl.col("low"),
                pl.format("high {} < low {}", _text(pl.col("high")), _text(pl.col("low"))),
            )
        )
    if has("volume"):
        rules.append(
            (
                "volume",
                pl.col("volume") < 0,
                pl.format("volume {} < 0", _text(pl.col("volume"))),
            )
        )
    return rules


def validate(
    frame: pl.DataFrame, kind: Kind, row_numbers: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a canonical frame into (valid rows, rejects) under the rules of ``kind``.

    ``row_numbers`` gives each row's 1-based data-row number in the source file.
    """
    if kind != Kind.OHLCV or frame.height == 0:
        return frame, empty_rejects()
    rules = ohlcv_rules(frame.columns)
    if not rules:
        return frame, empty_rejects()
    flags = frame.select(
        [mask.fill_null(False).alias(f"__vs_rule{i}") for i, (_, mask, _) in enumerate(rules)]
    )
    broken = flags.select(pl.any_horizontal(pl.all())).to_series()
    if not bool(broken.any()):
        return frame, empty_rejects()
    rows = row_numbers.cast(pl.Int64).alias("__vs_row")
    with_rows = frame.with_columns(rows).hstack(flags)
    parts = [
        with_rows.filter(pl.col(f"__vs_rule{i}")).select(
            row=pl.col("__vs_row"), column=pl.lit(column, pl.String), reason=reason
        )
        for i, (column, _, reason) in enumerate(rules)
    ]
    rejects = pl.concat(parts).sort("row", maintain_order=True)
    return frame.filter(~broken), rejects
