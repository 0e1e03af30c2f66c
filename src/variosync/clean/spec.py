"""The cleaning operations as typed specifications: a name (``op``) plus validated parameters.

This is the one place the set of operations is declared; the recipe loader, the CLI's help, the
docs and the runner's registry all read it. Parameters are checked here (types, ranges, which
combinations make sense); the fields they name are checked against the data when a step runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from variosync.model import SERIES, TS
from variosync.query import parse_duration

Scalar = float | int | bool | str
Agg = Literal["mean", "sum", "min", "max", "first", "last", "median", "count", "std"]


def _duration(text: str) -> str:
    try:
        return parse_duration(text)
    except Exception as exc:  # UsageError carries the hint; pydantic wants a ValueError
        raise ValueError(f"{exc} (use a number and a unit: 30s, 15m, 1h, 1d, 1w)") from None


def _field_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 128 or any(ord(ch) < 32 for ch in cleaned):
        raise ValueError(f"invalid field name {name!r}: use 1-128 printable characters")
    if cleaned in (SERIES, TS):
        raise ValueError(f"{cleaned!r} is the key column, not a field")
    return cleaned


def _split_names(value: object) -> object:
    if isinstance(value, str):  # "a,b" from a CLI --op
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Step(BaseModel):
    """Base of every operation: unknown parameters are errors, specs are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldsStep(Step):
    """An operation over some fields (all suitable fields when ``fields`` is omitted)."""

    fields: list[str] | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_names(value)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("list at least one field, or leave fields out for all of them")
        return None if value is None else [_field_name(v) for v in value]


class DropNulls(FieldsStep):
    """Remove rows with nulls in ``fields``: any of them null, or all of them null."""

    op: Literal["drop_nulls"] = "drop_nulls"
    how: Literal["any", "all"] = "any"


class FillNulls(FieldsStep):
    """Fill nulls per series; runs of nulls longer than ``max_gap`` points are left alone."""

    op: Literal["fill_nulls"] = "fill_nulls"
    method: Literal["previous", "next", "mean", "median", "mode", "constant", "linear", "time"]
    value: Scalar | None = None
    max_gap: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _value(self) -> Self:
        if self.method == "constant" and self.value is None:
            raise ValueError("method 'constant' needs a value")
        if self.method != "constant" and self.value is not None:
            raise ValueError(f"value is only used by method 'constant', not {self.method!r}")
        return self


class DropDuplicates(Step):
    """Keep one row per (series, timestamp): the first or the last in the current order."""

    op: Literal["drop_duplicates"] = "drop_duplicates"
    keep: Literal["first", "last"] = "last"


class Sort(Step):
    """Order rows by series and time (stable: equal timestamps keep their order)."""

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
        return _duration(value)


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
        return None if value is None else _duration(value)

    @model_validator(mode="after")
    def _value(self) -> Self:
        if (self.method == "constant") != (self.value is not None):
            raise ValueError("value goes with method 'constant' (and only with it)")
        return self


class ShiftTime(Step):
    """Move every timestamp by a duration (``-1h`` moves back an hour)."""

    op: Literal["shift_time"] = "shift_time"
    by: str

    @field_validator("by")
    @classmethod
    def _by(cls, value: str) -> str:
        text = value.strip()
        sign = "-" if text.startswith("-") else ""
        return sign + _duration(text.lstrip("+-"))


class RoundTime(Step):
    """Round, floor or ceil timestamps to a multiple of ``every`` (UTC)."""

    op: Literal["round_time"] = "round_time"
    every: str
    mode: Literal["round", "floor", "ceil"] = "floor"

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        return _duration(value)


class AssumeTimezone(Step):
    """The stored times were wall-clock times in ``zone``, not UTC: reinterpret them.

    For a file whose local times were ingested without ``--tz``; every instant moves by the
    zone's offset on that date (so daylight-saving changes are honoured).
    """

    op: Literal["assume_timezone"] = "assume_timezone"
    zone: str
    ambiguous: Literal["earliest", "latest", "null", "raise"] = "raise"

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


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


class Rename(Step):
    """Rename fields: ``{"old": "new"}``."""

    op: Literal["rename"] = "rename"
    fields: dict[str, str]

    @field_validator("fields")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("map at least one field to its new name")
        renamed = {_field_name(k): _field_name(v) for k, v in value.items()}
        if len(set(renamed.values())) != len(renamed):
            raise ValueError("two fields cannot get the same new name")
        return renamed


class DropFields(Step):
    """Remove fields."""

    op: Literal["drop_fields"] = "drop_fields"
    fields: list[str]

    @field_validator("fields", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_names(value)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one field")
        return [_field_name(v) for v in value]


class Convert(FieldsStep):
    """Change the type of fields; a value that does not convert is an error unless nulled."""

    op: Literal["convert"] = "convert"
    to: Literal["float", "int", "string", "bool"]
    on_error: Literal["fail", "null"] = "fail"


class Clip(FieldsStep):
    """Limit values to [lower, upper]."""

    op: Literal["clip"] = "clip"
    lower: float | None = None
    upper: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.lower is None and self.upper is None:
            raise ValueError("give lower, upper or both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower {self.lower} is above upper {self.upper}")
        return self


class Round(FieldsStep):
    """Round values to ``decimals`` places (negative rounds to tens, hundreds…)."""

    op: Literal["round"] = "round"
    decimals: Annotated[int, Field(ge=-15, le=15)] = 0


class Derive(Step):
    """A new (or replaced) field from an expression: ``(high + low) / 2``, ``log(close)``."""

    op: Literal["derive"] = "derive"
    name: str
    expr: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _field_name(value)


class Returns(Step):
    """Simple or log returns of a field per series: x / prev(x) − 1, or log(x / prev(x))."""

    op: Literal["returns"] = "returns"
    field: str
    log: bool = False
    periods: Annotated[int, Field(ge=1)] = 1
    name: str | None = None

    @property
    def output(self) -> str:
        """The new field's name."""
        return self.name or f"{self.field}_{'log_return' if self.log else 'return'}"


class Diff(Step):
    """Differences of a field per series: x − prev(x, periods)."""

    op: Literal["diff"] = "diff"
    field: str
    periods: Annotated[int, Field(ge=1)] = 1
    name: str | None = None

    @property
    def output(self) -> str:
        """The new field's name."""
        return self.name or f"{self.field}_diff"


class Rolling(Step):
    """A trailing rolling statistic per series over ``window`` points or a duration (``1h``)."""

    op: Literal["rolling"] = "rolling"
    field: str
    stat: Literal["mean", "std", "min", "max", "median", "sum"] = "mean"
    window: Annotated[int, Field(ge=1)] | str
    min_periods: Annotated[int, Field(ge=1)] = 1
    name: str | None = None

    @field_validator("window")
    @classmethod
    def _window(cls, value: int | str) -> int | str:
        if isinstance(value, str):
            return int(value) if value.strip().isdigit() else _duration(value)
        return value

    @property
    def output(self) -> str:
        """The new field's name."""
        return self.name or f"{self.field}_rolling_{self.stat}"


class Scale(FieldsStep):
    """Scale fields per series: z-score ((x − mean) / std) or min-max (to [0, 1])."""

    op: Literal["scale"] = "scale"
    method: Literal["zscore", "minmax"] = "zscore"
    suffix: str | None = None


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
