"""The JSON shape of profile records: one ``to_dict``/``from_dict`` pair driven by field types.

Times become ISO 8601 text with an offset, durations short text (``15m``), enums their value,
tuples lists. Reading back follows each field's annotation, so ``from_dict(to_dict(r)) == r``.
A profile of many series holds hundreds of thousands of values, so each class's converters are
built once from its annotations, not worked out again for every value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Self

from variosync.quality.durations import duration_text, parse_duration_text

Convert = Callable[[Any], Any]


class Record:
    """Base of the frozen profile dataclasses: JSON-safe ``to_dict`` and its inverse."""

    def to_dict(self) -> dict[str, Any]:
        """This record as JSON-safe values (ISO 8601 times, duration text, lists)."""
        return {name: encode(getattr(self, name)) for name, encode, _ in _converters(type(self))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record that ``to_dict`` wrote."""
        # A key left out takes the field's default, so older profiles still read.
        values = {name: decode(data[name]) for name, _, decode in _converters(cls) if name in data}
        return cls(**values)


_CONVERTERS: dict[type[Record], list[tuple[str, Convert, Convert]]] = {}


def _converters(cls: type[Record]) -> list[tuple[str, Convert, Convert]]:
    """(field, encode, decode) per field of a record class, built on first use."""
    if cls not in _CONVERTERS:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        _CONVERTERS[cls] = [
            (f.name, _encoder(hints[f.name]), _decoder(hints[f.name])) for f in fields if f.init
        ]
    return _CONVERTERS[cls]


def _same(value: Any) -> Any:
    return value


def _parts(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """(kind of type, its arguments): ``X | None`` is an optional X; other unions stay as is."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = tuple(arg for arg in args if arg is not type(None))
        if len(options) == 1:
            return "optional", options
        return "plain", ()  # a union of plain JSON types (a constant run's value)
    return origin or hint, args


def _encoder(hint: Any) -> Convert:
    kind, args = _parts(hint)
    if kind == "optional":
        inner = _encoder(args[0])
        return _same if inner is _same else lambda v: None if v is None else inner(v)
    if kind is tuple:
        item = _encoder(args[0])
        return list if item is _same else lambda v: [item(i) for i in v]
    if kind is dict:
        item = _encoder(args[1])
        return dict if item is _same else lambda v: {k: item(i) for k, i in v.items()}
    if kind is datetime:
        return datetime.isoformat
    if kind is timedelta:
        return duration_text
    if isinstance(kind, type) and issubclass(kind, Record):
        return kind.to_dict
    if isinstance(kind, type) and issubclass(kind, Enum):
        return lambda v: v.value
    return _same


def _decoder(hint: Any) -> Convert:
    kind, args = _parts(hint)
    if kind == "optional":
        inner = _decoder(args[0])
        return _same if inner is _same else lambda v: None if v is None else inner(v)
    if kind is tuple:
        item = _decoder(args[0])
        return tuple if item is _same else lambda v: tuple(item(i) for i in v)
    if kind is dict:
        item = _decoder(args[1])
        return dict if item is _same else lambda v: {k: item(i) for k, i in v.items()}
    if kind is datetime:
        return datetime.fromisoformat
    if kind is timedelta:
        return parse_duration_text
    if kind is float:
        return float  # JSON writers may drop the ".0" of a whole float
    if isinstance(kind, type) and issubclass(kind, Record):
        return kind.from_dict
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    return _same
