"""Specifications of the operations on fields and their values: rename, drop, convert, clip,
round, derive, returns, differences, rolling statistics and scaling."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from variosync.clean.steps import FieldsStep, Step, duration, field_name, split_names


class Rename(Step):
    """Rename fields: ``{"old": "new"}``."""

    ROW_LOCAL = True
    op: Literal["rename"] = "rename"
    fields: dict[str, str]

    @field_validator("fields")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("map at least one field to its new name")
        renamed = {field_name(k): field_name(v) for k, v in value.items()}
        if len(set(renamed.values())) != len(renamed):
            raise ValueError("two fields cannot get the same new name")
        return renamed


class DropFields(Step):
    """Remove fields."""

    ROW_LOCAL = True
    op: Literal["drop_fields"] = "drop_fields"
    fields: list[str]

    @field_validator("fields", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return split_names(value)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one field")
        return [field_name(v) for v in value]


class Convert(FieldsStep):
    """Change the type of fields; a value that does not convert is an error unless nulled."""

    ROW_LOCAL = True
    op: Literal["convert"] = "convert"
    to: Literal["float", "int", "string", "bool"]
    on_error: Literal["fail", "null"] = "fail"


class Clip(FieldsStep):
    """Limit values to [lower, upper]."""

    ROW_LOCAL = True
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

    ROW_LOCAL = True
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
        return field_name(value)

    @property
    def row_local(self) -> bool:
        """Unless the expression reads other points of its series (prev, next, diff…)."""
        return re.search(r"\b(prev|next|diff|pct_change)\s*\(", self.expr) is None


class DerivedStep(Step):
    """An operation that adds one field computed from ``field``, named ``name`` or by default."""

    field: str
    name: str | None = None

    @field_validator("name")
    @classmethod
    def _output(cls, value: str | None) -> str | None:
        return None if value is None else field_name(value)


class Returns(DerivedStep):
    """Simple or log returns of a field per series: x / prev(x) − 1, or log(x / prev(x))."""

    op: Literal["returns"] = "returns"
    log: bool = False
    periods: Annotated[int, Field(ge=1)] = 1

    @property
    def output(self) -> str:
        """The new field's name."""
        return self.name or f"{self.field}_{'log_return' if self.log else 'return'}"


class Diff(DerivedStep):
    """Differences of a field per series: x − prev(x, periods)."""

    op: Literal["diff"] = "diff"
    periods: Annotated[int, Field(ge=1)] = 1

    @property
    def output(self) -> str:
        """The new field's name."""
        return self.name or f"{self.field}_diff"


class Rolling(DerivedStep):
    """A trailing rolling statistic per series over ``window`` points or a duration (``1h``)."""

    op: Literal["rolling"] = "rolling"
    stat: Literal["mean", "std", "min", "max", "median", "sum"] = "mean"
    window: Annotated[int, Field(ge=1)] | str
    min_periods: Annotated[int, Field(ge=1)] = 1

    @field_validator("window")
    @classmethod
    def _window(cls, value: int | str) -> int | str:
        if isinstance(value, str):
            return int(value) if value.strip().isdigit() else duration(value)
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

    @field_validator("suffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > 64 or not value.isprintable()):
            raise ValueError("a suffix is 1-64 printable characters, e.g. _z")
        return value
