"""The working frame a profile is computed from: a dense series number and cleaned values.

Series come sorted and contiguous, so ``rle_id`` numbers them 0, 1, 2… in order; every
per-series result is a frame with one row per number, in that order. Numeric values are read
as Float64 with NaN and infinities made null, so that they are counted apart and never reach
a mean, a quantile or a rolling median.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from variosync.model import SERIES, TS
from variosync.quality.fields import FieldKind

SID = "__vs_sid"
"""The series number column: 0 for the first series, in frame order."""


@dataclass(frozen=True)
class FieldSpec:
    """A field of the frame and the working column that holds its cleaned values."""

    name: str
    kind: FieldKind
    column: str
    integer: bool

    @property
    def values(self) -> pl.Expr:
        """The cleaned values: finite Float64 numbers, text, or Booleans."""
        return pl.col(self.column)

    @property
    def run_values(self) -> pl.Expr:
        """The values whose repeats make constant runs; integers keep their type."""
        return pl.col(self.name) if self.integer else self.values


@dataclass(frozen=True)
class WorkFrame:
    """A canonical frame plus its series numbers and cleaned field values."""

    frame: pl.DataFrame
    fields: tuple[FieldSpec, ...]
    series_count: int

    @property
    def numeric(self) -> tuple[FieldSpec, ...]:
        """The numeric fields."""
        return tuple(f for f in self.fields if f.kind == FieldKind.NUMERIC)


def field_specs(schema: pl.Schema) -> tuple[FieldSpec, ...]:
    """Every column but the key, with its kind and working column name."""
    names = [name for name in schema.names() if name not in (SERIES, TS)]
    return tuple(
        FieldSpec(name, FieldKind.of(schema[name]), f"__vs_v{i}", schema[name].is_integer())
        for i, name in enumerate(names)
    )


def _cleaned(spec: FieldSpec) -> pl.Expr:
    raw = pl.col(spec.name)
    if spec.kind == FieldKind.NUMERIC:
        number = raw.cast(pl.Float64)
        return pl.when(number.is_finite()).then(number)
    return raw if spec.kind == FieldKind.BOOLEAN else raw.cast(pl.String)


def prepare(frame: pl.DataFrame) -> WorkFrame:
    """The working frame of a non-empty canonical frame, sorted by (series_id, ts) if it isn't."""
    series, ts = pl.col(SERIES), pl.col(TS)
    ascending = (series > series.shift(1)) | ((series == series.shift(1)) & (ts > ts.shift(1)))
    # Callers promise the order; a frame out of order would split series apart, and checking
    # costs one cheap pass.
    if not frame.select(ascending.all()).item():
        frame = frame.sort(SERIES, TS)
    specs = field_specs(frame.schema)
    work = frame.with_columns(
        pl.col(SERIES).rle_id().alias(SID), *(_cleaned(s).alias(s.column) for s in specs)
    )
    return WorkFrame(work, specs, int(work[SID][-1]) + 1)
