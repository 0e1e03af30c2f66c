"""The facade every front end calls: ``Variosync(settings)``."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Engine

from variosync.catalog import (
    Dataset,
    DatasetCatalog,
    Field,
    VersionCatalog,
    check,
    make_engine,
    upgrade,
)
from variosync.catalog.datasets import LOCAL_OWNER, validate_name
from variosync.errors import ConflictError, NotFoundError, UsageError
from variosync.export import resolve_format, write_batches
from variosync.formats.base import ReadOptions
from variosync.ingest import IngestReport, Progress, stage_files
from variosync.model import IngestOptions, Kind
from variosync.query import Query, hourly_aggregates, run
from variosync.selection import check_filled_rows
from variosync.settings import Settings
from variosync.store import DeltaStore, VersionInfo
from variosync.store.locking import file_lock
from variosync.store.versions import version_to_read
from variosync.streaming import batches, by_series, in_zone
from variosync.versioning import Bookkeeper

if TYPE_CHECKING:  # cleaning and profiling load on first use: query and export start faster
    from variosync.clean.recipe import Recipe
    from variosync.clean.run import StepReport
    from variosync.cleaning import CleanResult
    from variosync.quality import DatasetProfile

_ISSUE_SERIES = 10_000
"""Series whose ingest duplicates / out-of-order counts are kept per version (the rest summed)."""
STREAM_ROWS = 2_000_000
"""Rows read per group of series when streaming a plain selection."""


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's catalog entry plus its version count."""

    dataset: Dataset
    versions: int
    profile: DatasetProfile | None = None


class Variosync:
    """Ingest, store, query and export time series — the Python API and the CLI's engine."""

    def __init__(self, settings: Settings | None = None, owner: str = LOCAL_OWNER) -> None:
        self.settings = settings or Settings()
        home = self.settings.home
        embedded = self.settings.database_url is None
        if embedded or self.settings.store_url is None:
            home.mkdir(parents=True, exist_ok=True)
        self._engine = make_engine(self.settings.catalog_url)
        try:
            if embedded:
                # Several processes may open a new home at once; one migrates, the rest wait.
                with file_lock(home / "locks" / "catalog.lock"):
                    upgrade(self._engine)
            else:
                check(self._engine)
        except BaseException:
            self._engine.dispose()
            raise
        self.catalog = DatasetCatalog(self._engine, owner)
        self.versions = VersionCatalog(self._engine)
        root = self.settings.store_root
        lock_dir = home / "locks" if "://" not in root else None
        self.store = DeltaStore(root, self.settings.storage_options(), lock_dir)
        self.books = Bookkeeper(
            self.store, self.catalog, self.versions, self.settings.profile_on_write
        )

    @property
    def engine(self) -> Engine:
        """The catalog database (accounts, ledger and audit log share it)."""
        return self._engine

    @property
    def owner(self) -> str:
        """Whose datasets this facade sees."""
        return self.catalog.owner

    def as_owner(self, owner: str) -> Variosync:
        """The same engine, store and settings, seeing only ``owner``'s datasets (the server
        makes one per request; closing the original closes its connections)."""
        scoped = copy.copy(self)
        scoped.catalog = self.catalog.for_owner(owner)
        return scoped

    def close(self) -> None:
        """Release database connections."""
        self._engine.dispose()

    def __enter__(self) -> Variosync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ---------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path],
        dataset: str,
        options: IngestOptions | None = None,
        recipe: Recipe | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Read files into ``dataset`` (created if new) as one commit; returns the summary
        (``progress`` hears the rows read, then the rows to write).

        With a ``recipe``, rows are cleaned on the way in (per series, before the write); into
        a dataset holding data only row-by-row steps may run (``clean`` afterwards for others).
        """
        options = options or IngestOptions()
        validate_name(dataset)
        existing_kind = self._existing_kind(dataset, options)
        if recipe is not None and existing_kind is not None:
            from variosync.cleaning import check_row_local

            check_row_local(recipe, dataset)
        read_options = ReadOptions(
            self.settings.ingest_batch_rows, options.sheet, options.max_unpacked_bytes
        )
        staged = stage_files(
            [Path(p) for p in paths],
            options,
            read_options,
            self.settings.ingest_memory_bytes,
            existing_kind,
            progress,
        )
        steps: list[list[StepReport]] = [[]]
        with staged.staging as staging:
            if recipe is not None:
                from variosync.cleaning import ingest_transform

                staging.transform = ingest_transform(recipe, staged.kind, steps)
            parts: list[DatasetProfile] = []
            if self.settings.profile_on_write and existing_kind is None:
                # A new dataset is profiled from the groups on their way to the writer,
                # instead of reading the table back.
                from variosync.quality import profile_frame

                staging.observe = lambda frame: parts.append(profile_frame(frame, staged.kind))
            record, created = self.catalog.get_or_create(dataset, staged.kind.value)
            files = ",".join(Path(f.path).name for f in staged.files)
            metadata = {"operation": "ingest", "files": files[:500], "rows": str(staging.rows_in)}
            if recipe is not None:
                metadata["recipe"] = "; ".join(recipe.describe())[:1000]

            def reader() -> pa.RecordBatchReader:
                steps[0], parts[:] = [], []  # a retried commit reads (and cleans) them again
                return staging.arrow_reader()

            try:
                result = self.store.upsert(record.id, reader, metadata)
            except BaseException:
                # A dataset this ingest created and could not write is not left behind empty
                # (unless a concurrent ingest created its table meanwhile).
                if created and not self.store.exists(record.id):
                    self.catalog.delete(record.id)
                raise
            self.books.after_write(
                record,
                "ingest",
                staged.units,
                recipe=None if recipe is None else recipe.to_list(),
                report=None if recipe is None else [r.to_dict() for r in steps[0]],
                ingest=staged.record(_ISSUE_SERIES),
                touched=staging.touched,
                zone=None if recipe is None else recipe.display_zone,
                version=result.version,
                # the parts describe the table only if this ingest made its first version
                parts=parts if result.version == 0 else None,
            )
        return staged.report(dataset, result, steps[0])

    def _existing_kind(self, dataset: str, options: IngestOptions) -> Kind | None:
        try:
            found = self.catalog.get(dataset)
        except NotFoundError:
            return None
        if found.version < 0:
            return None
        kind = Kind(found.kind)
        if options.kind is not None and options.kind is not kind:
            raise UsageError(
                f"dataset {dataset!r} is {kind.value}, not {options.kind.value}",
                hint="ingest into a new dataset to use another kind",
            )
        return kind

    # -- catalog --------------------------------------------------------------------------------

    def create(self, name: str, kind: Kind = Kind.GENERIC) -> Dataset:
        """A new, empty dataset; ConflictError if the name is taken."""
        record, created = self.catalog.get_or_create(name, kind.value)
        if not created:
            raise ConflictError(f"dataset {name!r} already exists", hint="pick another name")
        return record

    def datasets(self) -> list[Dataset]:
        """All datasets."""
        return self.catalog.list()

    def info(self, name: str) -> DatasetInfo:
        """A dataset's fields, units, series, range, rows, size and version count."""
        record = self.catalog.get(name)
        if record.version < 0:
            return DatasetInfo(record, 0)
        stored = self.versions.get(record.id, record.version)
        profile = None
        if stored is not None and stored.profile is not None:
            from variosync.quality import DatasetProfile

            profile = DatasetProfile.from_dict(stored.profile)
        return DatasetInfo(record, len(self.store.history(record.id)), profile)

    def series(self, name: str) -> list[str]:
        """The series ids of a dataset."""
        record = self.catalog.get(name)
        if record.version < 0:
            return []
        frame = self.store.scan(record.id).select("series_id").unique().sort("series_id")
        return frame.collect().get_column("series_id").to_list()

    def delete(self, name: str) -> None:
        """Remove a dataset: its catalog entry, then its stored data."""
        record = self.catalog.get(name)
        self.catalog.delete(record.id)
        self.store.drop(record.id)

    def history(self, name: str) -> list[VersionInfo]:
        """The dataset's versions, newest first, with each cleaning step's report."""
        record = self.catalog.get(name)
        if record.version < 0:
            return []
        from variosync.clean.run import report_summary

        reports = {r.version: r.report for r in self.versions.for_dataset(record.id) if r.report}
        return [
            replace(v, metadata=v.metadata | {"report": report_summary(reports[v.version])})
            if v.version in reports
            else v
            for v in self.store.history(record.id)
        ]

    def restore(self, name: str, version: int) -> Dataset:
        """Make an old version current again (as a new version)."""
        record = self.catalog.get(name)
        self._require_data(record)
        new = self.store.restore(record.id, version, {"operation": "restore", "to": str(version)})
        restored = self.versions.get(record.id, version)
        zone = (restored.display_zone or "UTC") if restored is not None else None
        return self.books.after_write(
            record, "restore", zone=zone, version=new, ingest={"restored_to": version}
        )

    def optimize(self, name: str) -> dict[str, Any]:
        """Compact small files and checkpoint the log."""
        record = self.catalog.get(name)
        self._require_data(record)
        metrics = self.store.optimize(record.id, {"operation": "optimize"})
        before = self.versions.get(record.id, record.version)
        fresh = self.books.refresh(record)
        self.versions.record(fresh.id, fresh.version, "optimize", display_zone=fresh.display_zone)
        if before is not None and before.profile is not None:  # same rows, same profile
            self.versions.set_profile(fresh.id, fresh.version, before.profile)
        return metrics

    def _zone(self, record: Dataset, as_of: int | None) -> str | None:
        """The display zone of the version read: an old version keeps its own."""
        if as_of is None or as_of == record.version:
            return record.display_zone
        old = self.versions.get(record.id, as_of)
        return old.display_zone if old is not None else record.display_zone

    @staticmethod
    def _require_data(record: Dataset) -> None:
        if record.version < 0:
            raise UsageError(f"dataset {record.name!r} holds no data yet")

    # -- quality and cleaning -------------------------------------------------------------------

    def profile(
        self, name: str, *, series: Sequence[str] = (), refresh: bool = False
    ) -> DatasetProfile:
        """The quality profile of the dataset's current version (stored with it once made);
        with ``series``, the profile of those series only."""
        from variosync.profiling import of_series, profile_version
        from variosync.quality import DatasetProfile

        record = self.catalog.get(name)
        self._require_data(record)
        stored = self.versions.get(record.id, record.version)
        if stored is not None and stored.profile is not None and not refresh:
            found = DatasetProfile.from_dict(stored.profile)
        else:
            found = profile_version(self.store, self.versions, record, None)
        return of_series(found, series, name)

    def clean(
        self,
        name: str,
        recipe: Recipe | Sequence[dict[str, Any]] | str | Path,
        series: Sequence[str] = (),
        dry_run: bool = False,
    ) -> CleanResult:
        """Apply a recipe (a Recipe, a list of steps, JSON/YAML text or a file's Path) as one
        new version.

        ``dry_run`` reports what each step would do, with a before/after sample, writing nothing.
        """
        from variosync.cleaning import Cleaner, as_recipe

        recipe = as_recipe(recipe)
        record = self.catalog.get(name)
        self._require_data(record)
        cleaner = Cleaner(self.store, record.id, Kind(record.kind), record.name)
        size = (record.row_count, record.series_count)
        if dry_run:
            return cleaner.preview(record.version, recipe, series, *size)
        result = cleaner.apply(recipe, series, *size)
        self.books.after_write(
            record,
            "clean",
            zone=recipe.display_zone,
            version=result.version,
            recipe=recipe.to_list(),
            report=[step.to_dict() for step in result.steps],
        )
        return result

    # -- query and export -----------------------------------------------------------------------

    def scan(self, name: str, as_of: int | None = None) -> pl.LazyFrame:
        """A lazy frame over the dataset (optionally as of an old version)."""
        return self._reading(name, as_of)[1]

    def query_lazy(self, name: str, query: Query, as_of: int | None = None) -> pl.LazyFrame:
        """The query as a lazy frame (to stream or collect)."""
        record, scan = self._reading(name, as_of, query)
        return run(scan, in_zone(query, self._zone(record, as_of)), Kind(record.kind))

    def _reading(
        self, name: str, as_of: int | None, query: Query | None = None
    ) -> tuple[Dataset, pl.LazyFrame]:
        """The dataset and a scan of the version read, once the version is known to exist
        and a resample with fill is known not to make an unbounded grid of rows."""
        record = self.catalog.get(name)
        self._require_data(record)
        version = version_to_read(record.version, as_of)
        if query is not None:
            span = (record.start, record.end) if record.start and record.end else None
            check_filled_rows(query, span, record.series_count)
        return record, self.store.scan(record.id, version)

    def query(
        self, name: str, query: Query | None = None, as_of: int | None = None
    ) -> pl.DataFrame:
        """Run a query and collect the result."""
        return self.query_lazy(name, query or Query(), as_of).collect()

    def aggregates(self, name: str, every: str = "1h", as_of: int | None = None) -> pl.DataFrame:
        """Points and distinct series per time bucket."""
        return hourly_aggregates(self.scan(name, as_of), every).collect()

    def export(
        self,
        name: str,
        output: str | Path,
        fmt: str | None = None,
        compression: str | None = None,
        query: Query | None = None,
        as_of: int | None = None,
    ) -> int:
        """Write the dataset (or a query of it) to a file; returns the rows written."""
        path = Path(output)
        fmt, compression = resolve_format(path, fmt, compression)
        return write_batches(self.stream(name, query, as_of), path, fmt, compression)

    def stream(
        self, name: str, query: Query | None = None, as_of: int | None = None
    ) -> Iterator[pl.DataFrame]:
        """The query's rows in batches, sorted by series and time, in bounded memory.

        Sorting a whole dataset would hold it in memory, so a plain selection is read a group of
        series at a time (rows are stored sorted by series, so each group's read skips the
        other row groups by their statistics); resamples, latest points and limits are small.
        """
        record, scan = self._reading(name, as_of, query)
        query = in_zone(query or Query(), self._zone(record, as_of))
        kind = Kind(record.kind)
        whole = run(scan, query, kind)  # validates the query before any output starts
        if query.every or query.latest or query.limit is not None:
            return batches(whole)
        per_series = max(1, record.row_count // max(1, record.series_count))
        return by_series(scan, query, kind, whole, max(1, STREAM_ROWS // per_series))


__all__ = ["DatasetInfo", "Field", "Variosync"]
