"""Operations on timestamps: shift, round/floor/ceil to a frequency, reinterpret a time zone."""

from __future__ import annotations

import polars as pl

from variosync.clean.fields import Applied, Context
from variosync.clean.spec import AssumeTimezone, DisplayTimezone, RoundTime, ShiftTime
from variosync.errors import UsageError
from variosync.model import TS


def shift_time(frame: pl.DataFrame, step: ShiftTime, ctx: Context) -> Applied:
    """Move every timestamp by a (signed) duration."""
    return Applied(frame.with_columns(pl.col(TS).dt.offset_by(step.by)))


def round_time(frame: pl.DataFrame, step: RoundTime, ctx: Context) -> Applied:
    """Snap timestamps to multiples of ``every``; points may then share a timestamp."""
    ts = pl.col(TS)
    if step.mode == "floor":
        snapped = ts.dt.truncate(step.every)
    elif step.mode == "round":
        snapped = ts.dt.round(step.every)
    else:
        floor = ts.dt.truncate(step.every)
        snapped = pl.when(floor == ts).then(ts).otherwise(floor.dt.offset_by(step.every))
    return Applied(frame.with_columns(snapped.alias(TS)))


def display_timezone(frame: pl.DataFrame, step: DisplayTimezone, ctx: Context) -> Applied:
    """Nothing changes in the rows: the zone is a property of the dataset's version."""
    return Applied(frame)


def assume_timezone(frame: pl.DataFrame, step: AssumeTimezone, ctx: Context) -> Applied:
    """Read the stored times as wall-clock times in ``zone`` and store their true UTC instants."""
    wall = pl.col(TS).dt.replace_time_zone(None)
    try:
        local = frame.select(
            wall.dt.replace_time_zone(step.zone, ambiguous=step.ambiguous, non_existent="raise")
        )
    except pl.exceptions.ComputeError as exc:
        raise UsageError(
            f"some times do not exist or are ambiguous in {step.zone}: {exc}",
            hint="a clock change makes an hour twice or never; set ambiguous: earliest or latest",
        ) from None
    converted = local.get_column(TS).dt.convert_time_zone("UTC")
    return Applied(frame.with_columns(converted.alias(TS)))
