"""What a signed-in user does to their datasets — create, upload, delete, restore, profile,
clean — with everything that goes with it: the hours metered, the audit log, the
``dataset.changed`` event. One place for the REST routes and the dashboard's pages alike, so
neither can forget a step.

The methods block (database, Delta, argon2-free but slow): call them from a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from variosync.api.deps import Services
from variosync.billing import CLEAN_ROWS_PER_S, RequestKey, estimate_ingest, estimate_rows
from variosync.catalog import Dataset
from variosync.catalog.runs import MAX_REPLAYS
from variosync.catalog.users import User
from variosync.cleaning import CleanResult
from variosync.events import DatasetAction, dataset_changed
from variosync.ingest import IngestReport, Progress
from variosync.model import IngestOptions, Kind
from variosync.quality import DatasetProfile
from variosync.service import Variosync


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

    def restore(self, name: str, version: int) -> Dataset:
        """Make an old version current, as a new version."""
        record = self.service.restore(name, version)
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
