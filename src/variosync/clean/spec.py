"""The cleaning operations as typed specifications: a name (``op``) plus validated parameters.

This is the one place the set of operations is declared; the recipe loader, the CLI's help, the
docs and the runner's registry all read it. Parameters are checked here (types, ranges, which
combinations make sense); the fields they name are checked against the data when a step runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from variosync.clean.spec_fields import (
    Clip,
    Convert,
    Derive,
    Diff,
    DropFields,
    Rename,
    Returns,
    Rolling,
    Round,
    Scale,
)
from variosync.clean.steps import Agg, FieldsStep, Scalar, Step, duration
from variosync.errors import UsageError
from variosync.query import check_zone


def zone_name(value: str) -> str:
    """``value`` if it is a time-zone name polars can use (see ``query.check_zone``)."""
    try:
        return check_zone(value)
    except UsageError:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None


class DropNulls(FieldsStep):
    """Remove rows with nulls in ``fields``: any of them null, or all of them null."""

    ROW_LOCAL = True
    op: Literal["drop_nulls"] = "drop_nulls"
    how: Literal["any", "all"] = "any"


class FillNulls(FieldsStep):
    """Fill nulls per series; runs of nulls longer than ``max_gap`` points are left alone."""

    op: Literal["fill_nulls"] = "fill_nulls"
    method: Literal["previous", "next", "mean", "median", "mode", "constant", "linear", "time"]
    value: Scalar | None = None
    max_gap: Annotated[int, Field(ge=1)] | None = None

    @property
    def row_local(self) -> bool:
        """A constant fills each row from itself; every other method reads the series."""
        return self.method == "constant"

    @model_validator(mode="after")
    def _value(self) -> Self:
        if self.method == "constant" and self.value is None:
            raise ValueError("method 'constant' needs a value")
        if self.method != "constant" and self.value is not None:
            raise ValueError(f"value is only used by method 'constant', not {self.method!r}")
        return self


class DropDuplicates(Step):
    """Keep one row per (series, timestamp): the first or the last in the current order."""

    ROW_LOCAL = True
    op: Literal["drop_duplicates"] = "drop_duplicates"
    keep: Literal["first", "last"] = "last"


class Sort(Step):
    """Order rows by series and time (stable: equal timestamps keep their order)."""

    ROW_LOCAL = True
    op: Literal["sort"] = "sort"


class Outliers(FieldsStep):
    """Find outliers per series by IQR, z-score or rolling MAD; flag, remove, clip or null them."""

    op: Literal["outliers"] = "outliers"
    method: Literal["iqr", "zscore", "mad"] = "iqr"
    action: Literal["flag", "remove", "clip", "null"] = "flag"
    k: Annotated[float, Field(gt=0)] = 1.5
    threshold: Annotated[float, Field(gt=0)] | None = None
    window: Annotated[int, Field(ge=3)] = 21

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        if self.method == "iqr" and self.threshold is not None:
            raise ValueError("method 'iqr' takes k, not threshold")
        if self.method != "iqr" and "k" in self.model_fields_set:
            raise ValueError(f"method {self.method!r} takes threshold, not k")
        if self.method != "mad" and "window" in self.model_fields_set:
            raise ValueError("window is only used by method 'mad'")
        return self

    @property
    def limit(self) -> float:
        """The threshold in force (k for IQR)."""
        if self.method == "iqr":
            return self.k
        if self.threshold is not None:
            return self.threshold
        return 3.0 if self.method == "zscore" else 3.5


class Resample(Step):
    """Aggregate each series into buckets of ``every``; ``agg`` picks the aggregation per field.

    Fields not named in ``agg`` use ``default``, or mean for numbers and last for text (and
    first/max/min/last/sum for open/high/low/close/volume in an OHLCV dataset).
    """

    op: Literal["resample"] = "resample"
    every: str
    agg: dict[str, Agg] = Field(default_factory=dict)
    default: Agg | None = None

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        return duration(value)


class FillGaps(Step):
    """Insert the missing timestamps of each series' regular grid, as nulls or filled.

    ``every`` defaults to each series' most common time step. Only the inserted rows are filled.
    """

    op: Literal["fill_gaps"] = "fill_gaps"
    every: str | None = None
    method: Literal["null", "previous", "next", "linear", "time", "constant"] = "null"
    value: Scalar | None = None

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        return None if value is None else duration(value)

    @model_validator(mode="after")
    def _value(self) -> Self:
        if (self.method == "constant") != (self.value is not None):
            raise ValueError("value goes with method 'constant' (and only with it)")
        return self


class ShiftTime(Step):
    """Move every timestamp by a duration (``-1h`` moves back an hour)."""

    ROW_LOCAL = True
    op: Literal["shift_time"] = "shift_time"
    by: str

    @field_validator("by")
    @classmethod
    def _by(cls, value: str) -> str:
        text = value.strip()
        sign = "-" if text.startswith("-") else ""
        return sign + duration(text.lstrip("+-"))


class RoundTime(Step):
    """Round, floor or ceil timestamps to a multiple of ``every`` (UTC)."""

    ROW_LOCAL = True
    op: Literal["round_time"] = "round_time"
    every: str
    mode: Literal["round", "floor", "ceil"] = "floor"

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        return duration(value)


class AssumeTimezone(Step):
    """The stored times were wall-clock times in ``zone``, not UTC: reinterpret them.

    For a file whose local times were ingested without ``--tz``; every instant moves by the
    zone's offset on that date (so daylight-saving changes are honoured).
    """

    ROW_LOCAL = True
    op: Literal["assume_timezone"] = "assume_timezone"
    zone: str
    ambiguous: Literal["earliest", "latest", "null", "raise"] = "raise"

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return zone_name(value)


class DisplayTimezone(Step):
    """Show the dataset's times in ``zone`` (query, export, dashboard); storage stays UTC.

    Buckets of a day or longer then follow that zone's calendar. ``UTC`` switches it back.
    """

    ROW_LOCAL = True
    op: Literal["display_timezone"] = "display_timezone"
    zone: str

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return zone_name(value)


Comparison = Literal["==", "!=", "<", "<=", ">", ">=", "is_null", "not_null", "in", "not_in"]


class Condition(BaseModel):
    """One typed row condition: ``field op value``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    cmp: Comparison
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value(self) -> Self:
        if self.cmp in ("is_null", "not_null"):
            if self.value is not None:
                raise ValueError(f"{self.cmp} takes no value")
        elif self.cmp in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"{self.cmp} needs a non-empty list of values")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"{self.cmp} needs one value")
        return self


class Filter(Step):
    """Keep (or, with ``keep: false``, drop) the rows meeting every condition given."""

    ROW_LOCAL = True
    op: Literal["filter"] = "filter"
    where: list[Condition] = Field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    series_in: list[str] | None = None
    series_not_in: list[str] | None = None
    keep: bool = True

    @model_validator(mode="after")
    def _something(self) -> Self:
        given = [self.where, self.start, self.end, self.series_in, self.series_not_in]
        if not any(v for v in given):
            raise ValueError("give at least one of where, start, end, series_in, series_not_in")
        return self


Operation = Annotated[
    DropNulls
    | FillNulls
    | DropDuplicates
    | Sort
    | Outliers
    | Resample
    | FillGaps
    | ShiftTime
    | RoundTime
    | AssumeTimezone
    | DisplayTimezone
    | Filter
    | Rename
    | DropFields
    | Convert
    | Clip
    | Round
    | Derive
    | Returns
    | Diff
    | Rolling
    | Scale,
    Field(discriminator="op"),
]

OPERATIONS: dict[str, type[Step]] = {
    cls.model_fields["op"].default: cls
    for cls in (
        DropNulls,
        FillNulls,
        DropDuplicates,
        Sort,
        Outliers,
        Resample,
        FillGaps,
        ShiftTime,
        RoundTime,
        AssumeTimezone,
        DisplayTimezone,
        Filter,
        Rename,
        DropFields,
        Convert,
        Clip,
        Round,
        Derive,
        Returns,
        Diff,
        Rolling,
        Scale,
    )
}
"""Every operation by name, in the order the docs list them."""

__all__ = [
    "OPERATIONS",
    "AssumeTimezone",
    "Clip",
    "Condition",
    "Convert",
    "Derive",
    "Diff",
    "DisplayTimezone",
    "DropDuplicates",
    "DropFields",
    "DropNulls",
    "FillGaps",
    "FillNulls",
    "Filter",
    "Operation",
    "Outliers",
    "Rename",
    "Resample",
    "Returns",
    "Rolling",
    "Round",
    "RoundTime",
    "Scalar",
    "Scale",
    "ShiftTime",
    "Sort",
    "Step",
]
