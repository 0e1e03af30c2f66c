"""What a profile says about one series: its time axis, its gaps and each of its fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from variosync.quality.fields import FieldProfile
from variosync.quality.records import Record


@dataclass(frozen=True)
class StepCount(Record):
    """How often one time step occurs between consecutive points of a series."""

    step: timedelta
    count: int
    share: float


@dataclass(frozen=True)
class Gap(Record):
    """A step longer than the series' frequency, with the points it should have held."""

    series_id: str
    after: datetime
    before: datetime
    missing: int
    length: timedelta

    def rank(self) -> tuple[timedelta, str, datetime]:
        """Sort key: longest first (negate the length), then by series and time."""
        return (-self.length, self.series_id, self.after)


@dataclass(frozen=True)
class SeriesProfile(Record):
    """Profile of one series; ``frequency`` is None where no step holds half of all steps."""

    series_id: str
    rows: int
    start: datetime
    end: datetime
    frequency: timedelta | None
    steps: tuple[StepCount, ...]
    gaps: int
    missing_points: int
    largest_gaps: tuple[Gap, ...]
    fields: tuple[FieldProfile, ...]
    ohlc_violations: dict[str, int]
    duplicates: int = 0
    out_of_order: int = 0

    @property
    def constant_runs(self) -> int:
        """Constant runs over all fields."""
        return sum(f.constant_runs.runs for f in self.fields)

    @property
    def outliers(self) -> int:
        """Flagged points over all fields and tests (a point flagged twice counts twice)."""
        return sum(sum(f.outliers.counts().values()) for f in self.fields if f.outliers)

    @property
    def issues(self) -> int:
        """Gaps, ingest duplicates and disorder, constant runs, outliers and OHLC violations."""
        return (
            self.gaps
            + self.duplicates
            + self.out_of_order
            + self.constant_runs
            + self.outliers
            + sum(self.ohlc_violations.values())
        )

    def field(self, name: str) -> FieldProfile | None:
        """The profile of one field, if the series has it."""
        return next((f for f in self.fields if f.name == name), None)
