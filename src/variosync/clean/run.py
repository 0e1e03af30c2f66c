"""Runs a recipe over a frame, step by step, and reports what each step did.

Frames hold whole series sorted by (series_id, ts); every operation works within each series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import polars as pl

from variosync.clean import derived, fill, rows, timestamps, values
from variosync.clean import fields as field_ops
from variosync.clean.fields import Applied, Context
from variosync.clean.recipe import Recipe, describe_step
from variosync.clean.spec import (
    AssumeTimezone,
    Clip,
    Convert,
    Derive,
    Diff,
    DisplayTimezone,
    DropDuplicates,
    DropFields,
    DropNulls,
    FillGaps,
    FillNulls,
    Filter,
    Outliers,
    Rename,
    Resample,
    Returns,
    Rolling,
    Round,
    RoundTime,
    Scale,
    ShiftTime,
    Sort,
    Step,
)
from variosync.errors import UsageError, VarioSyncError
from variosync.model import SERIES, TS, TS_DTYPE

Handler = Callable[[pl.DataFrame, Any, Context], Applied]

HANDLERS: dict[type[Step], Handler] = {
    DropNulls: rows.drop_nulls,
    FillNulls: fill.fill_nulls,
    DropDuplicates: rows.drop_duplicates,
    Sort: rows.sort,
    Outliers: values.outliers,
    Resample: fill.resample,
    FillGaps: fill.fill_gaps,
    ShiftTime: timestamps.shift_time,
    RoundTime: timestamps.round_time,
    AssumeTimezone: timestamps.assume_timezone,
    DisplayTimezone: timestamps.display_timezone,
    Filter: rows.filter_rows,
    Rename: field_ops.rename,
    DropFields: field_ops.drop_fields,
    Convert: field_ops.convert,
    Clip: values.clip,
    Round: values.round_values,
    Derive: derived.derive,
    Returns: derived.returns,
    Diff: derived.diff,
    Rolling: derived.rolling,
    Scale: values.scale,
}

_REORDERS = (DropDuplicates, Sort, Resample, FillGaps, Filter, DropNulls)
"""Operations whose output rows do not line up one-to-one with their input rows."""


@dataclass(frozen=True)
class StepReport:
    """What one step did (summed over every group of series it ran on)."""

    step: int
    op: str
    description: str
    rows_before: int = 0
    rows_after: int = 0
    values_filled: int = 0
    values_changed: int = 0
    values_nulled: int = 0
    flagged: int = 0
    timestamps_changed: int = 0
    fields_added: tuple[str, ...] = ()
    fields_removed: tuple[str, ...] = ()

    @property
    def rows_removed(self) -> int:
        """Rows fewer after the step."""
        return max(0, self.rows_before - self.rows_after)

    @property
    def rows_added(self) -> int:
        """Rows more after the step."""
        return max(0, self.rows_after - self.rows_before)

    def merge(self, other: StepReport) -> StepReport:
        """The sum of two groups' reports of the same step."""
        counts = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.type == "int" and f.name != "step"
        }
        added = tuple(dict.fromkeys(self.fields_added + other.fields_added))
        removed = tuple(dict.fromkeys(self.fields_removed + other.fields_removed))
        return replace(self, **counts, fields_added=added, fields_removed=removed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, with the derived row counts."""
        data = asdict(self)
        data["fields_added"] = list(self.fields_added)
        data["fields_removed"] = list(self.fields_removed)
        return data | {"rows_removed": self.rows_removed, "rows_added": self.rows_added}

    def summary(self) -> str:
        """``removed 12 rows, filled 30 values`` — the non-zero effects, or ``no change``."""
        parts = [
            f"{label} {value:,} {unit}"
            for label, value, unit in (
                ("removed", self.rows_removed, "rows"),
                ("added", self.rows_added, "rows"),
                ("filled", self.values_filled, "values"),
                ("changed", self.values_changed, "values"),
                ("nulled", self.values_nulled, "values"),
                ("flagged", self.flagged, "values"),
                ("moved", self.timestamps_changed, "timestamps"),
            )
            if value
        ]
        if self.fields_added:
            parts.append(f"new fields {', '.join(self.fields_added)}")
        if self.fields_removed:
            parts.append(f"removed fields {', '.join(self.fields_removed)}")
        return ", ".join(parts) or "no change"


def report_summary(report: list[dict[str, Any]]) -> str:
    """``1: filled 3 values; 2: no change`` from reports stored as ``to_dict()`` data."""
    known = {f.name for f in fields(StepReport)}
    steps = [StepReport(**{k: v for k, v in r.items() if k in known}) for r in report]
    return "; ".join(f"{s.step}: {s.summary()}" for s in steps)


def merge_reports(a: list[StepReport], b: list[StepReport]) -> list[StepReport]:
    """Step-by-step sums of two groups' reports."""
    if not a:
        return b
    return [x.merge(y) for x, y in zip(a, b, strict=True)]


def apply_recipe(
    frame: pl.DataFrame, recipe: Recipe, ctx: Context | None = None
) -> tuple[pl.DataFrame, list[StepReport]]:
    """Run every step in order; the result is sorted by key. Errors name the failing step."""
    ctx = ctx or Context()
    reports: list[StepReport] = []
    for number, step in enumerate(recipe.steps, start=1):
        try:
            applied = HANDLERS[type(step)](frame, step, ctx)
        except VarioSyncError as exc:
            raise type(exc)(f"step {number} ({_op(step)}): {exc.message}", hint=exc.hint) from None
        except pl.exceptions.PolarsError as exc:
            raise UsageError(
                f"step {number} ({_op(step)}) failed: {exc}",
                hint="check the step's parameters against the fields' types",
            ) from None
        reports.append(_report(number, step, frame, applied))
        frame = applied.frame
    if frame.schema.get(TS) != TS_DTYPE or frame.schema.get(SERIES) != pl.String:
        raise UsageError("the recipe changed the key columns' types")
    return frame.sort(SERIES, TS, maintain_order=True), reports


def _op(step: Step) -> str:
    return str(type(step).model_fields["op"].default)


def _report(number: int, step: Step, before: pl.DataFrame, applied: Applied) -> StepReport:
    after = applied.frame
    old = [c for c in before.columns if c not in (SERIES, TS)]
    new = [c for c in after.columns if c not in (SERIES, TS)]
    report = StepReport(
        step=number,
        op=_op(step),
        description=describe_step(step),
        rows_before=before.height,
        rows_after=after.height,
        flagged=applied.flagged,
        fields_added=tuple(c for c in new if c not in old),
        fields_removed=tuple(c for c in old if c not in new),
    )
    if isinstance(step, _REORDERS) or before.height != after.height:
        return report
    filled = changed = nulled = 0
    for name in (c for c in new if c in old):
        b, a = before.get_column(name), after.get_column(name)
        filled += int((b.is_null() & a.is_not_null()).sum())
        nulled += int((b.is_not_null() & a.is_null()).sum())
        if b.dtype != a.dtype and b.dtype.is_numeric() and a.dtype.is_numeric():
            b, a = b.cast(pl.Float64), a.cast(pl.Float64)  # an integer field became float
        if b.dtype == a.dtype:
            differs = b.is_not_null() & a.is_not_null() & (b != a)
        else:  # a type conversion changes every value it keeps
            differs = b.is_not_null() & a.is_not_null()
        changed += int(differs.sum())
    moved = int((before.get_column(TS) != after.get_column(TS)).sum())
    return replace(
        report,
        values_filled=filled,
        values_changed=changed,
        values_nulled=nulled,
        timestamps_changed=moved,
    )


def duplicate_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """The (series, ts) keys held by more than one row of a key-sorted frame, with counts."""
    same = (pl.col(SERIES) == pl.col(SERIES).shift()) & (pl.col(TS) == pl.col(TS).shift())
    repeated = frame.select(SERIES, TS).filter(same.fill_null(False))
    return repeated.group_by(SERIES, TS, maintain_order=True).agg((pl.len() + 1).alias("rows"))
