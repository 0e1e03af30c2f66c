"""What a profile says about one field of one series: summary, constant runs and outliers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import polars as pl

from variosync.quality.records import Record

OUTLIER_METHODS = ("iqr", "zscore", "mad")
"""The outlier tests, in the order they are reported."""


class FieldKind(StrEnum):
    """How a field is summarised; ``mixed`` only when merged parts disagree."""

    NUMERIC = "numeric"
    TEXT = "text"
    BOOLEAN = "boolean"
    MIXED = "mixed"

    @classmethod
    def of(cls, dtype: pl.DataType) -> FieldKind:
        """The kind of a column type; anything neither numeric nor Boolean is read as text."""
        if dtype.is_numeric():
            return cls.NUMERIC
        return cls.BOOLEAN if dtype == pl.Boolean else cls.TEXT


@dataclass(frozen=True)
class NumericStats(Record):
    """Summary of a numeric field's finite values (NaN and infinities are counted apart)."""

    count: int
    mean: float | None
    std: float | None
    min: float | None
    p25: float | None
    median: float | None
    p75: float | None
    max: float | None


@dataclass(frozen=True)
class TextStats(Record):
    """Summary of a text field's values; ties for most common go to the smallest value."""

    count: int
    distinct: int
    most_common: str | None
    most_common_count: int


@dataclass(frozen=True)
class BooleanStats(Record):
    """Summary of a Boolean field's values."""

    count: int
    true_count: int


@dataclass(frozen=True)
class ConstantRun(Record):
    """Consecutive equal values: the stuck-sensor signal."""

    start: datetime
    end: datetime
    length: int
    value: bool | int | float | str


@dataclass(frozen=True)
class ConstantRuns(Record):
    """How many runs reached the minimum length, and the longest (earliest of equals)."""

    runs: int = 0
    longest: ConstantRun | None = None


@dataclass(frozen=True)
class OutlierExample(Record):
    """One flagged point."""

    ts: datetime
    value: float


@dataclass(frozen=True)
class Outliers(Record):
    """Points one test flagged, with the most extreme first."""

    count: int = 0
    examples: tuple[OutlierExample, ...] = ()


@dataclass(frozen=True)
class OutlierSet(Record):
    """The three outlier tests of a numeric field."""

    iqr: Outliers = Outliers()
    zscore: Outliers = Outliers()
    mad: Outliers = Outliers()

    def counts(self) -> dict[str, int]:
        """Flagged points per test."""
        return {method: getattr(self, method).count for method in OUTLIER_METHODS}


@dataclass(frozen=True)
class FieldProfile(Record):
    """One field of one series; exactly one of numeric, text and boolean is set."""

    name: str
    kind: FieldKind
    nulls: int
    non_finite: int
    numeric: NumericStats | None
    text: TextStats | None
    boolean: BooleanStats | None
    constant_runs: ConstantRuns
    outliers: OutlierSet | None

    @property
    def count(self) -> int:
        """Values summarised: non-null (and, for numbers, finite)."""
        stats = self.numeric or self.text or self.boolean
        return stats.count if stats else 0
