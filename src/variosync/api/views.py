"""JSON views of what the facade returns: the same information as the CLI's ``--json`` output.

Dataclasses the facade already returns (``Dataset``, ``VersionInfo``) are response models as
they are; these add what a route shows beyond them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from variosync.catalog import Dataset
from variosync.export.batches import iso_format
from variosync.ingest import FileResult, IngestReport
from variosync.service import DatasetInfo


@dataclass(frozen=True)
class DatasetDetail(Dataset):
    """A dataset with its version count, series ids and quality summary (``info --json``)."""

    versions: int = 0
    series: tuple[str, ...] = ()
    quality: dict[str, Any] | None = None
    """The stored profile's summary (``GET …/profile`` has every series); none until profiled."""

    @classmethod
    def of(cls, info: DatasetInfo, series: list[str]) -> DatasetDetail:
        """The detail view of ``info`` with the dataset's ``series``."""
        entry = {f.name: getattr(info.dataset, f.name) for f in dataclasses.fields(Dataset)}
        quality = None
        if info.profile is not None:
            quality = {k: v for k, v in info.profile.to_dict().items() if k != "series"}
        return cls(**entry, versions=info.versions, series=tuple(series), quality=quality)


class IngestSummary(BaseModel):
    """The summary of one upload (what ``variosync ingest --json`` prints)."""

    dataset: str
    kind: str
    files: list[FileResult] = Field(description="What was read from each file, as it was named")
    rows_read: int
    rows_written: int
    inserted: int
    updated: int
    duplicates: int = Field(description="Rows repeating a series and time; the last was kept")
    out_of_order: int = Field(description="Rows earlier than the row before them in their series")
    series: int
    start: datetime | None
    end: datetime | None
    version: int
    rejected: int
    rejects_sample: list[dict[str, Any]] = Field(
        description="The first rejected rows: file, row (1-based data row), column, reason"
    )
    cleaning: list[dict[str, Any]] = Field(description="What each cleaning step did")

    @classmethod
    def of(cls, report: IngestReport, names: Mapping[str, str]) -> IngestSummary:
        """The summary of ``report``, each file's server-side path replaced by the name it was
        sent as (``names`` maps one to the other; the rejects already use base names)."""
        values = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
        values["files"] = [replace(f, path=names.get(f.path, f.path)) for f in report.files]
        values["cleaning"] = [step.to_dict() for step in report.cleaning]
        return cls.model_validate(values)


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A small frame as JSON row objects, times as ISO 8601 (``Z`` for UTC, else an offset)."""
    stamps = {n: t for n, t in frame.schema.items() if isinstance(t, pl.Datetime)}
    return frame.with_columns(
        pl.col(n).dt.to_string(iso_format(t)) for n, t in stamps.items()
    ).to_dicts()
