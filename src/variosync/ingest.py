"""The ingest pipeline: files → readers → normaliser/validator → staging → one Delta commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from variosync.errors import InputError, RejectedRowsError, UsageError
from variosync.formats import open_source
from variosync.formats.base import ReadOptions
from variosync.model import IngestOptions, Kind
from variosync.normalize import apply_plan, plan_frame
from variosync.store import Staging, WriteResult

if TYPE_CHECKING:
    from variosync.clean.run import StepReport

Progress = Callable[[str, int], None]
"""Hears how an ingest goes: ``("read", rows read so far)`` after each batch, then
``("write", rows to write)`` once every file is read."""
REJECT_SAMPLE = 20
_COMPRESSED = {".gz", ".bz2", ".xz", ".zst", ".zstd", ".zip"}


@dataclass
class FileResult:
    """What was read from one file."""

    path: str
    format: str
    rows: int
    rejected: int


@dataclass
class StagedIngest:
    """Everything read from the files of one ingest, before it is written."""

    files: list[FileResult]
    staging: Staging
    rejects: pl.DataFrame
    kind: Kind
    units: dict[str, str] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        """Data rows in all files."""
        return sum(f.rows for f in self.files)

    @property
    def rejected(self) -> int:
        """Rows rejected in all files."""
        return sum(f.rejected for f in self.files)

    def record(self, series_limit: int) -> dict[str, object]:
        """What the catalog keeps of this ingest: rows read, and per series (up to
        ``series_limit``) the duplicates dropped and rows that arrived out of time order."""
        issues = self.staging.issues
        return {
            "rows_in": self.staging.rows_in,
            "duplicates": sum(d for d, _ in issues.values()),
            "out_of_order": sum(o for _, o in issues.values()),
            "series": {k: list(v) for k, v in sorted(issues.items())[:series_limit]},
        }

    def report(
        self, dataset: str, written: WriteResult, cleaning: list[StepReport] | None = None
    ) -> IngestReport:
        """The summary once the staged rows are committed as ``written``."""
        issues = self.staging.issues.values()
        return IngestReport(
            dataset=dataset,
            files=self.files,
            rows_read=self.rows_read,
            rows_written=self.staging.rows_out,
            duplicates=sum(dups for dups, _ in issues),
            out_of_order=sum(late for _, late in issues),
            inserted=written.inserted,
            updated=written.updated,
            series=self.staging.series_out,
            start=self.staging.start,
            end=self.staging.end,
            rejected=self.rejected,
            rejects_sample=self.rejects.head(REJECT_SAMPLE).to_dicts(),
            version=written.version,
            kind=self.kind.value,
            cleaning=cleaning or [],
        )


@dataclass(frozen=True)
class IngestReport:
    """The summary of one ingest, as printed by the CLI and returned by the API."""

    dataset: str
    files: list[FileResult]
    rows_read: int
    rows_written: int
    duplicates: int
    """Valid rows that repeated a (series_id, ts) of the same input; the last one was kept."""
    inserted: int
    updated: int
    series: int
    start: datetime | None
    end: datetime | None
    rejected: int
    rejects_sample: list[dict[str, object]]
    version: int
    kind: str
    out_of_order: int = 0
    """Rows that came earlier in time than the row before them in the same series."""
    cleaning: list[StepReport] = field(default_factory=list)
    """What each step of an ingest recipe did."""


def default_series(path: Path) -> str:
    """The series name used when a file has no series column: its stem without extensions."""
    name = path.name
    stem = Path(name[: -len(path.suffix)] if path.suffix.lower() in _COMPRESSED else name).stem
    return stem or name


_REJECT_SCHEMA = {"file": pl.String, "row": pl.Int64, "column": pl.String, "reason": pl.String}


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Put the file's name in front of an error that does not say which file it is about.

    Usage errors count too: a ``--time-col`` missing from one of several files must name it.
    """
    try:
        yield
    except (InputError, UsageError) as error:
        if path.name in error.message:
            raise
        raise type(error)(f"{path.name}: {error.message}", hint=error.hint) from error


def _read_source(
    path: Path,
    options: IngestOptions,
    read_options: ReadOptions,
    staging: Staging,
    kind: Kind | None,
    progress: Callable[[int], None] | None = None,
) -> tuple[FileResult, pl.DataFrame, Kind, dict[str, str]]:
    effective = options if options.kind is not None or kind is None else _with_kind(options, kind)
    with open_source(path, read_options) as source:
        if options.sheet is not None and source.format != "xlsx":
            raise UsageError(
                f"--sheet applies to Excel files; this one is {source.format}",
                hint="leave out --sheet for this file",
            )
        plan = None
        offset = 0
        rejects: list[pl.DataFrame] = []
        rejected_rows = 0
        for batch in source.batches:
            if plan is None:
                plan = plan_frame(batch, source, effective, default_series(path))
            valid, bad = apply_plan(plan, batch, offset)
            offset += batch.height
            staging.add(valid)
            if progress is not None:
                progress(offset)
            if bad.height:
                rejected_rows += bad.get_column("row").n_unique()
                rejects.append(bad.with_columns(pl.lit(path.name).alias("file")))
        if plan is None or offset == 0:
            raise InputError(
                f"{path.name}: no data rows", hint="the file is empty or holds only a header"
            )
        frame = (
            pl.concat(
                [r.select(list(_REJECT_SCHEMA)).cast(_REJECT_SCHEMA) for r in rejects]  # type: ignore[arg-type]
            )
            if rejects
            else pl.DataFrame(schema=_REJECT_SCHEMA)
        )
        return (
            FileResult(str(path), source.format, offset, rejected_rows),
            frame,
            plan.kind,
            dict(plan.units),
        )


def _told(progress: Progress, before: int) -> Callable[[int], None]:
    """A file's reader's progress (its own rows) as the whole ingest's."""
    return lambda rows: progress("read", before + rows)


def _with_kind(options: IngestOptions, kind: Kind) -> IngestOptions:
    from dataclasses import replace

    return replace(options, kind=kind)


def stage_files(
    paths: Sequence[Path],
    options: IngestOptions,
    read_options: ReadOptions,
    memory_bytes: int,
    dataset_kind: Kind | None,
    progress: Progress | None = None,
) -> StagedIngest:
    """Read, normalise and validate every file into one staging area (nothing written yet);
    ``progress`` hears the rows read so far after each batch."""
    if not paths:
        raise UsageError("no files given", hint="variosync ingest data.csv --dataset NAME")
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file", hint="check the path and the file name")
        if path.is_dir():
            raise InputError(f"{path}: is a folder", hint="pass the files inside it")
    staging = Staging(memory_bytes, expected_bytes=sum(p.stat().st_size for p in paths))
    try:
        files: list[FileResult] = []
        rejects: list[pl.DataFrame] = []
        kind = dataset_kind
        units: dict[str, str] = {}
        for path in paths:
            before = sum(f.rows for f in files)
            told = None if progress is None else _told(progress, before)
            with _naming(path):
                result, bad, file_kind, file_units = _read_source(
                    path, options, read_options, staging, kind, told
                )
            files.append(result)
            rejects.append(bad)
            kind = kind or file_kind
            units.update(file_units)
        staged = StagedIngest(files, staging, pl.concat(rejects), kind or Kind.GENERIC, units)
    except BaseException:
        staging.close()
        raise
    if staged.rejected and options.strict:
        staging.close()
        raise RejectedRowsError(
            f"{staged.rejected} row(s) rejected; --strict wrote nothing. First: "
            + describe_reject(staged.rejects.row(0, named=True)),
            hint="fix the rows or drop --strict to keep the valid ones",
        )
    if staging.rows_in == 0:
        staging.close()
        first = describe_reject(staged.rejects.row(0, named=True)) if staged.rejected else ""
        raise RejectedRowsError(
            f"all {staged.rows_read} row(s) were rejected; nothing written. First: {first}",
            hint="check the time column (--time-col, --time-format, --dayfirst)",
        )
    if progress is not None:
        progress("write", staging.rows_in)
    return staged


def describe_reject(reject: dict[str, object]) -> str:
    """One reject as text: ``file row N, column C: reason``."""
    column = f", column {reject['column']}" if reject.get("column") else ""
    return f"{reject['file']} row {reject['row']}{column}: {reject['reason']}"
