"""Small canonical frames shared by the export tests."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from variosync.model import TS, TS_DTYPE


def canonical(
    data: dict[str, list[object]], schema: dict[str, pl.DataType] | None = None
) -> pl.DataFrame:
    """A canonical frame from columns, ``ts`` given as naive UTC datetimes."""
    frame = pl.DataFrame(data, schema=schema, strict=False)
    return frame.with_columns(pl.col(TS).cast(TS_DTYPE))


@pytest.fixture
def sample() -> pl.DataFrame:
    """Three rows covering quoting, unicode, nulls, fractional and pre-1970 times."""
    return canonical(
        {
            "series_id": ['a,b "q"', "Zürich-温度", "x y=z"],
            "ts": [
                datetime(2024, 1, 15, 9, 30),
                datetime(1900, 1, 1, 0, 0, 0, 123000),
                datetime(1969, 12, 31, 23, 59, 59, 500001),
            ],
            "f": [0.1, 1e300, None],
            "i": [1, None, -5],
            "s": ["x\ny", "", None],
            "b": [True, None, False],
        },
        {
            "series_id": pl.String(),
            "ts": pl.Datetime("us"),
            "f": pl.Float64(),
            "i": pl.Int64(),
            "s": pl.String(),
            "b": pl.Boolean(),
        },
    )
