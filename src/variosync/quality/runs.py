"""Constant runs: consecutive equal non-null values of one field within a series.

A null ends a run, and so does the start of another series. Runs are found from where they
start: only the starts are kept, so a noisy field costs one pass and no grouping of its rows.
"""

from __future__ import annotations

import polars as pl

from variosync.model import TS
from variosync.quality.workframe import SID, FieldSpec, WorkFrame


def constant_runs(work: WorkFrame, spec: FieldSpec, min_run: int) -> pl.DataFrame:
    """Per series number with any: ``runs`` (of ≥ min_run points) and ``longest`` (a struct)."""
    frame = work.frame
    values, sid = frame.select(spec.run_values).to_series(), frame[SID]
    new_run = sid.ne_missing(sid.shift(1)) | values.ne_missing(values.shift(1))
    starts = new_run.arg_true().cast(pl.Int64)
    lengths = starts.shift(-1, fill_value=frame.height) - starts
    long = pl.DataFrame({"first": starts, "length": lengths}).filter(pl.col("length") >= min_run)
    first, last = long["first"], long["first"] + long["length"] - 1
    found = pl.DataFrame(
        {
            SID: frame[SID].gather(first),
            "start": frame[TS].gather(first),
            "end": frame[TS].gather(last),
            "length": long["length"],
            "value": values.gather(first),
        }
    ).drop_nulls("value")
    run = pl.struct("start", "end", "length", "value")
    return found.group_by(SID).agg(
        pl.len().alias("runs"),
        run.top_k_by(["length", "start"], 1, reverse=[False, True]).first().alias("longest"),
    )
