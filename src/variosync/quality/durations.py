"""Durations as short text (``1s``, ``15m``, ``1h30m``, ``1w``) and back, to the microsecond."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = (
    ("w", 604_800_000_000),
    ("d", 86_400_000_000),
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
)
_SIZE = dict(_UNITS)
# "ms" and "us" come first so that "30ms" is not read as 30 minutes and an "s".
_PART = re.compile(r"(\d+)(ms|us|w|d|h|m|s)")


def duration_text(value: timedelta) -> str:
    """A duration as its largest whole units: ``90s`` → ``1m30s``, ``7d`` → ``1w``."""
    left = value // timedelta(microseconds=1)
    if left == 0:
        return "0s"
    sign = "-" if left < 0 else ""
    left = abs(left)
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)


def parse_duration_text(text: str) -> timedelta:
    """The inverse of ``duration_text``; ValueError for any other text."""
    body = text.removeprefix("-")
    parts = _PART.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise ValueError(f"not a duration: {text!r}")
    micros = sum(int(count) * _SIZE[unit] for count, unit in parts)
    return timedelta(microseconds=-micros if text.startswith("-") else micros)
