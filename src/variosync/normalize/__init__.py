"""Normalisation: raw reader batches → canonical frames (series_id, ts in UTC, typed fields)."""

from __future__ import annotations

from variosync.normalize.plan import FieldPlan, Plan, apply_plan, plan_frame
from variosync.normalize.timestamps import TimeSpec

__all__ = ["FieldPlan", "Plan", "TimeSpec", "apply_plan", "plan_frame"]
