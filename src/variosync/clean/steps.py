"""The base of every cleaning step's specification, and the checks their parameters share."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from variosync.model import SERIES, TS
from variosync.query import parse_duration

Scalar = float | int | bool | str
Agg = Literal["mean", "sum", "min", "max", "first", "last", "median", "count", "std"]


def duration(text: str) -> str:
    try:
        return parse_duration(text)
    except Exception as exc:  # UsageError carries the hint; pydantic wants a ValueError
        raise ValueError(f"{exc} (use a number and a unit: 30s, 15m, 1h, 1d, 1w)") from None


def field_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 128 or any(ord(ch) < 32 for ch in cleaned):
        raise ValueError(f"invalid field name {name!r}: use 1-128 printable characters")
    if cleaned.startswith("__vs"):
        raise ValueError(f"{cleaned!r}: names starting with __vs are reserved")
    if cleaned in (SERIES, TS):
        raise ValueError(f"{cleaned!r} is the key column, not a field")
    return cleaned


def split_names(value: object) -> object:
    if isinstance(value, str):  # "a,b" from a CLI --op
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Step(BaseModel):
    """Base of every operation: unknown parameters are errors, specs are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ROW_LOCAL: ClassVar[bool] = False

    @property
    def row_local(self) -> bool:
        """Whether each output row depends on its own input row only (no neighbouring points,
        no series statistics): such a step can clean an upsert's rows on their own."""
        return self.ROW_LOCAL


class FieldsStep(Step):
    """An operation over some fields (all suitable fields when ``fields`` is omitted)."""

    fields: list[str] | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return split_names(value)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("list at least one field, or leave fields out for all of them")
        return None if value is None else [field_name(v) for v in value]
