"""Shared helpers for normalisation tests: run a frame through plan_frame + apply_plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from variosync.formats.base import RawSource
from variosync.model import IngestOptions
from variosync.normalize import Plan, apply_plan, plan_frame

Run = Callable[..., tuple[pl.DataFrame, pl.DataFrame]]


def source(**hints: Any) -> RawSource:
    """A RawSource carrying only reader hints (batches are passed to apply_plan directly)."""
    return RawSource(name="file", format="csv", batches=iter(()), **hints)


def make_plan(frame: pl.DataFrame, hints: dict[str, Any] | None = None, **options: Any) -> Plan:
    """Plan a single frame with the given reader hints and ingest options."""
    return plan_frame(frame, source(**(hints or {})), IngestOptions(**options), "file")


@pytest.fixture
def run() -> Run:
    """Normalise one frame: returns (valid, rejects)."""

    def _run(
        frame: pl.DataFrame | dict[str, Any], hints: dict[str, Any] | None = None, **options: Any
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        df = frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(frame)
        return apply_plan(make_plan(df, hints, **options), df, 0)

    return _run
