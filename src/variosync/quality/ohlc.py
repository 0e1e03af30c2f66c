"""OHLC rule violations, counted with the validator's own rules."""

from __future__ import annotations

import polars as pl

from variosync.model import OHLCV_FIELDS
from variosync.validate import ohlcv_rules


def ohlc_checks(columns: list[str]) -> list[tuple[str, pl.Expr]]:
    """(rule, broken mask with nulls as False) for each OHLCV rule the columns allow.

    A rule is named by the validator's reject reason with the values left out, e.g.
    ``high < max(open, close)``: that text is the one place the rule is described.
    """
    rules = ohlcv_rules(columns)
    if not rules:
        return []
    zeros = pl.DataFrame({name: [0.0] for name in OHLCV_FIELDS if name in columns})
    reasons = zeros.select(reason.alias(str(i)) for i, (_, _, reason) in enumerate(rules)).row(0)
    return [
        (str(text).replace(" 0.0", ""), mask.fill_null(False))
        for text, (_, mask, _) in zip(reasons, rules, strict=True)
    ]
