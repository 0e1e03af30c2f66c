"""Version records: what made each version of a dataset, and the version's quality profile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from variosync.catalog.tables import VersionRow
from variosync.errors import StorageError


@dataclass(frozen=True)
class VersionRecord:
    """One version's record, detached from the database."""

    dataset_id: str
    version: int
    operation: str
    recipe: list[dict[str, Any]] | None
    report: list[dict[str, Any]] | None
    ingest: dict[str, Any] | None
    profile: dict[str, Any] | None
    created_at: datetime
    display_zone: str | None = None


def _record(row: VersionRow) -> VersionRecord:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return VersionRecord(
        row.dataset_id,
        row.version,
        row.operation,
        row.recipe,
        row.report,
        row.ingest,
        row.profile,
        created,
        row.display_zone,
    )


class VersionCatalog:
    """Version records of one catalog database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def _write(self, dataset_id: str, version: int, change: Callable[[VersionRow], None]) -> None:
        """Create or update one version's row. Concurrent writers may create the same row
        (one records the commit, another profiles it): the loser of that race updates."""
        for attempt in range(3):
            try:
                with self._session() as session, session.begin():
                    row = session.get(VersionRow, (dataset_id, version))
                    if row is None:
                        row = VersionRow(
                            dataset_id=dataset_id,
                            version=version,
                            operation="unknown",
                            created_at=datetime.now(UTC),
                        )
                        session.add(row)
                    change(row)
                return
            except IntegrityError:
                if attempt == 2:
                    raise StorageError("cannot record version: IntegrityError") from None
            except SQLAlchemyError as exc:
                raise StorageError(f"cannot record version: {type(exc).__name__}") from exc

    def record(
        self,
        dataset_id: str,
        version: int,
        operation: str,
        *,
        recipe: list[dict[str, Any]] | None = None,
        report: list[dict[str, Any]] | None = None,
        ingest: dict[str, Any] | None = None,
        display_zone: str | None = None,
    ) -> None:
        """Record what made ``version`` (replacing an older record of the same number)."""

        def change(row: VersionRow) -> None:
            row.operation = operation
            row.recipe, row.report, row.ingest = recipe, report, ingest
            row.display_zone = display_zone
            row.created_at = datetime.now(UTC)

        self._write(dataset_id, version, change)

    def set_profile(self, dataset_id: str, version: int, profile: dict[str, Any]) -> None:
        """Store the quality profile of ``version``, the dataset's only stored profile.

        A profile of many series is large; older versions' profiles are dropped (``profile
        --refresh`` after a restore makes the current one again).
        """

        def change(row: VersionRow) -> None:
            row.profile = profile

        self._write(dataset_id, version, change)
        with self._session() as session, session.begin():
            session.execute(
                update(VersionRow)
                .where(VersionRow.dataset_id == dataset_id, VersionRow.version < version)
                .values(profile=None)
            )

    def get(self, dataset_id: str, version: int) -> VersionRecord | None:
        """The record of one version, if there is one."""
        with self._session() as session:
            row = session.get(VersionRow, (dataset_id, version))
            return None if row is None else _record(row)

    def latest_profile(self, dataset_id: str) -> tuple[int, dict[str, Any]] | None:
        """The newest stored profile of a dataset and the version it describes."""
        with self._session() as session:
            row = session.scalars(
                select(VersionRow)
                .where(VersionRow.dataset_id == dataset_id, VersionRow.profile.is_not(None))
                .order_by(VersionRow.version.desc())
                .limit(1)
            ).first()
            return None if row is None or row.profile is None else (row.version, row.profile)

    def for_dataset(self, dataset_id: str) -> list[VersionRecord]:
        """Every recorded version of a dataset, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(VersionRow)
                .where(VersionRow.dataset_id == dataset_id)
                .order_by(VersionRow.version)
            ).all()
        return [_record(r) for r in rows]

    def ingest_counts(self, dataset_id: str, up_to: int) -> dict[str, tuple[int, int]]:
        """Per series (duplicates, out-of-order rows) seen by the ingests that made a version.

        A restore to version v counts the ingests up to v, not the ones it undid.
        """
        records = {r.version: r for r in self.for_dataset(dataset_id)}
        totals: dict[str, tuple[int, int]] = {}
        version = up_to
        while version >= 0:
            record = records.get(version)
            restored = (record.ingest or {}).get("restored_to") if record else None
            if isinstance(restored, int) and restored < version:
                version = restored
                continue
            if record is not None and record.ingest:
                for series, (dups, unordered) in record.ingest.get("series", {}).items():
                    old = totals.get(series, (0, 0))
                    totals[series] = (old[0] + int(dups), old[1] + int(unordered))
            version -= 1
        return totals
