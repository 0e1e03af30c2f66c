"""What a signed-in user does to their datasets — create, upload, delete, restore, profile,
clean, and the dashboard's reads of their data — with everything that goes with it: the hours
metered, the audit log, the ``dataset.changed`` event. One place for the REST routes and the
dashboard's pages alike, so neither can forget a step.

The methods block (database, Delta, argon2-free but slow): call them from a worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from variosync.api.deps import Services
from variosync.billing import (
    CLEAN_ROWS_PER_S,
    QUERY_ROWS_PER_S,
    RequestKey,
    estimate_ingest,
    estimate_rows,
    query_rows,
)
from variosync.catalog import Dataset
from variosync.catalog.runs import MAX_REPLAYS
from variosync.catalog.users import User
from variosync.cleaning import CleanResult
from variosync.errors import AuthError, PaymentRequiredError, RateLimitedError, VarioSyncError
from variosync.events import DatasetAction, dataset_changed
from variosync.ingest import IngestReport, Progress
from variosync.model import IngestOptions, Kind
from variosync.quality import DatasetProfile
from variosync.query import Query
from variosync.service import Variosync
from variosync.store.versions import version_to_read

T = TypeVar("T")
REFUSED = (PaymentRequiredError, RateLimitedError, AuthError)
"""Why a read may be refused before it starts: out of hours, too many requests, signed out."""


def refusal(exc: VarioSyncError) -> str:
    """A refusal as a page says it in place of the data: the message and the hint."""
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def fresh_key(what: str) -> str:
    """A new idempotency key for one run of ``what`` the dashboard starts (never a client's:
    theirs start with ``req:``)."""
    return f"web-{what}:{uuid.uuid4().hex}"


def selected_rows(service: Variosync, record: Dataset, query: Query, as_of: int | None) -> int:
    """The rows a read of ``query`` (as of ``as_of``) is metered for — the REST query's, the
    export's and the dashboard's reads alike: the version's rows scaled to the series and
    window asked (0 with no data yet; NotFoundError for a version that is not there)."""
    if record.version < 0:
        return 0
    version = version_to_read(record.version, as_of)
    if version == record.version:
        stored = record.row_count
    else:  # an old version may hold far more rows than today's
        stored = service.store.row_count(record.id, version)
    span = (record.start, record.end) if record.start and record.end else None
    return query_rows(stored, record.series_count, span, query)


@dataclass(frozen=True)
class Actions:
    """One user's actions, from one client address."""

    shared: Services
    user: User
    client_ip: str | None

    @property
    def service(self) -> Variosync:
        """The facade that sees only this user's datasets."""
        return self.shared.service.as_owner(self.user.id)

    def _done(
        self,
        action: DatasetAction,
        name: str,
        version: int | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.shared.accounts.audit.record(
            action.value, user_id=self.user.id, target=name, client_ip=self.client_ip, detail=detail
        )
        self.shared.events.publish(dataset_changed(self.user.id, name, action, version))

    def create(self, name: str, kind: Kind = Kind.GENERIC) -> Dataset:
        """A new, empty dataset."""
        record = self.service.create(name, kind)
        self._done(DatasetAction.CREATE, record.name, record.version)
        return record

    def delete(self, name: str) -> None:
        """Remove the dataset and all its versions."""
        self.service.delete(name)
        self._done(DatasetAction.DELETE, name, None)

    def restore(self, name: str, version: int, key: str | None = None) -> Dataset:
        """Make an old version current, as a new version. With ``key`` (one per confirmed
        restore), a second run of the same key is refused (ConflictError), never run twice."""
        if key is None:
            record = self.service.restore(name, version)
        else:
            runs = self.shared.meter.runs
            runs.claim(self.user.id, key, "restore", f"restore:{name}:{version}", max_replays=0)
            try:
                record = self.service.restore(name, version)
            except BaseException:
                runs.finish(self.user.id, key, ok=False)
                raise
            runs.finish(self.user.id, key, ok=True)
        detail = {"version": version, "new_version": record.version}
        self._done(DatasetAction.RESTORE, name, record.version, detail)
        return record

    def upload(
        self,
        paths: Sequence[Path],
        name: str,
        options: IngestOptions,
        key: RequestKey | str,
        size_bytes: int,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest files as one version (the dataset is created if new); metered by size.
        ``progress`` hears the rows read and written (see :data:`variosync.ingest.Progress`)."""
        estimate = estimate_ingest(size_bytes)
        with self.shared.meter.metered(self.user, "ingest", name, estimate, key, self.client_ip):
            report = self.service.ingest(list(paths), name, options, progress=progress)
        detail = {"version": report.version, "rows": report.rows_written, "files": len(paths)}
        self._done(DatasetAction.UPLOAD, name, report.version, detail)
        return report

    def profile(
        self, name: str, series: Sequence[str], refresh: bool, key: RequestKey | str
    ) -> DatasetProfile:
        """The quality profile; profiling again reads every row and is metered above
        ``VARIOSYNC_METERED_QUERY_ROWS``."""
        rows = self.service.catalog.get(name).row_count
        if not refresh or rows <= self.shared.settings.metered_query_rows:
            return self.service.profile(name, series=series, refresh=refresh)
        estimate = estimate_rows(rows, CLEAN_ROWS_PER_S)
        with self.shared.meter.metered(self.user, "profile", name, estimate, key, self.client_ip):
            return self.service.profile(name, series=series, refresh=True)

    def clean(
        self,
        name: str,
        recipe: list[dict[str, Any]],
        series: Sequence[str],
        dry_run: bool,
        key: RequestKey | str,
    ) -> CleanResult:
        """Apply a recipe as one new version, or preview it (a dry run writes nothing). Metered
        either way (a dry run runs the recipe); a retried apply is refused, never run twice."""
        rows = self.service.catalog.get(name).row_count
        estimate = estimate_rows(rows, CLEAN_ROWS_PER_S)
        replays = MAX_REPLAYS if dry_run else 0
        with self.shared.meter.metered(
            self.user, "clean", name, estimate, key, self.client_ip, max_replays=replays
        ):
            result = self.service.clean(name, recipe, series, dry_run=dry_run)
        if not dry_run:
            detail = {"version": result.version, "steps": len(result.steps)}
            self._done(DatasetAction.CLEAN, name, result.version, detail)
        return result

    def rows_read(self, name: str, query: Query, as_of: int | None = None) -> int:
        """The rows ``GET /datasets/{name}/query`` of ``query`` (as of ``as_of``) is metered
        for: the version's rows scaled to the series and window asked (0 with no data yet;
        NotFoundError for a version that is not there)."""
        return selected_rows(self.service, self.service.catalog.get(name), query, as_of)

    def read(
        self,
        name: str,
        query: Query,
        reader: Callable[[], T],
        as_of: int | None = None,
        key: RequestKey | str | None = None,
    ) -> T:
        """``reader()``'s result, a read of ``query`` that the dashboard makes, metered as the
        REST query of it is: free up to ``VARIOSYNC_METERED_QUERY_ROWS`` estimated rows
        (:meth:`rows_read`), else its estimate reserved (PaymentRequiredError before any
        work when the balance cannot cover it) and its measured time charged — each read
        under a key of its own unless ``key`` is given."""
        rows = self.rows_read(name, query, as_of)
        if rows <= self.shared.settings.metered_query_rows:
            return reader()
        estimate = estimate_rows(rows, QUERY_ROWS_PER_S)
        with self.shared.meter.metered(
            self.user, "query", name, estimate, key or fresh_key("query"), self.client_ip
        ):
            return reader()
