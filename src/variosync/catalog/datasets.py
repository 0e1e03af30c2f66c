"""Dataset records in the catalog: create, look up, list, update stats, delete."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from variosync.catalog.tables import DatasetRow
from variosync.errors import NotFoundError, StorageError, UsageError

NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
LOCAL_OWNER = "local"


@dataclass(frozen=True)
class Field:
    """One field of a dataset: name, stored type and optional unit."""

    name: str
    dtype: str
    unit: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A catalog entry, detached from any database session."""

    id: str
    owner: str
    name: str
    kind: str
    description: str
    fields: tuple[Field, ...]
    row_count: int
    series_count: int
    start: datetime | None
    end: datetime | None
    size_bytes: int
    version: int
    created_at: datetime
    updated_at: datetime
    display_zone: str | None = None
    """The zone times are shown in (storage is UTC); None is UTC."""


def validate_name(name: str) -> str:
    """Return ``name`` if it is a valid dataset name, else raise a UsageError saying why."""
    if not NAME_RULE.match(name):
        raise UsageError(
            f"invalid dataset name {name!r}",
            hint="use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _to_dataset(row: DatasetRow | Row[Any]) -> Dataset:
    return Dataset(
        id=row.id,
        owner=row.owner,
        name=row.name,
        kind=row.kind,
        description=row.description,
        fields=tuple(Field(f["name"], f["dtype"], f.get("unit")) for f in row.fields),
        row_count=row.row_count,
        series_count=row.series_count,
        start=_utc(row.start),
        end=_utc(row.end),
        size_bytes=row.size_bytes,
        version=row.delta_version,
        created_at=_utc(row.created_at) or row.created_at,
        updated_at=_utc(row.updated_at) or row.updated_at,
        display_zone=row.display_zone,
    )


class DatasetCatalog:
    """Dataset records of one catalog database, as seen by one owner: lookups by name only
    find the owner's datasets (another owner's dataset is "not found", never "forbidden")."""

    def __init__(self, engine: Engine, owner: str = LOCAL_OWNER) -> None:
        self._engine = engine
        self.owner = owner

    def for_owner(self, owner: str) -> DatasetCatalog:
        """The same catalog as seen by another owner."""
        return DatasetCatalog(self._engine, owner)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def get(self, name: str, owner: str | None = None) -> Dataset:
        """The dataset called ``name``; NotFoundError if there is none."""
        owner = owner or self.owner
        table = DatasetRow.__table__
        # A plain Core select: the ORM session costs ~0.5 ms, a sixth of a one-series query.
        query = select(table).where(table.c.owner == owner, table.c.name == name)
        try:
            with self._engine.connect() as connection:
                row = connection.execute(query).first()
        except SQLAlchemyError as exc:
            raise StorageError(f"catalog lookup failed: {type(exc).__name__}") from exc
        if row is None:
            raise NotFoundError(
                f"no dataset named {name!r}", hint="`variosync datasets` lists the datasets"
            )
        return _to_dataset(row)

    def get_or_create(self, name: str, kind: str, owner: str | None = None) -> tuple[Dataset, bool]:
        """The dataset called ``name`` (created empty if it does not exist yet), and whether
        this call created it."""
        validate_name(name)
        owner = owner or self.owner
        try:
            return self.get(name, owner), False
        except NotFoundError:
            pass
        now = datetime.now(UTC)
        row = DatasetRow(
            id=uuid.uuid4().hex,
            owner=owner,
            name=name,
            kind=kind,
            description="",
            fields=[],
            row_count=0,
            series_count=0,
            size_bytes=0,
            delta_version=-1,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._session() as session, session.begin():
                session.add(row)
        except IntegrityError:
            return self.get(name, owner), False  # another process created it first
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot create dataset: {type(exc).__name__}") from exc
        return _to_dataset(row), True

    def list(self, owner: str | None = None) -> list[Dataset]:
        """All datasets of ``owner``, by name."""
        owner = owner or self.owner
        with self._session() as session:
            rows = session.scalars(
                select(DatasetRow).where(DatasetRow.owner == owner).order_by(DatasetRow.name)
            ).all()
        return [_to_dataset(r) for r in rows]

    def update(self, dataset_id: str, **values: Any) -> Dataset:
        """Set columns of one dataset (stats after a write) and bump ``updated_at``."""
        with self._session() as session, session.begin():
            row = session.get(DatasetRow, dataset_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"dataset {dataset_id} vanished while being written")
            if values.get("delta_version", row.delta_version) < row.delta_version:
                # A concurrent writer already recorded a newer version: keep its stats.
                return _to_dataset(row)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = datetime.now(UTC)
        return _to_dataset(row)

    def delete(self, dataset_id: str) -> None:
        """Remove a dataset's record."""
        with self._session() as session, session.begin():
            row = session.get(DatasetRow, dataset_id)
            if row is not None:
                session.delete(row)
