"""The audit log: every state change (sign-in, keys, uploads, deletes, restores, grants,
debits) with user, action, target, client IP and time. Append-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select
from sqlalchemy.exc import SQLAlchemyError

from variosync.catalog.tables import AuditRow
from variosync.errors import StorageError


@dataclass(frozen=True)
class AuditEvent:
    """One recorded state change."""

    id: int
    at: datetime
    user_id: str | None
    action: str
    target: str
    client_ip: str | None
    detail: dict[str, Any] | None


def _event(row: Row[Any]) -> AuditEvent:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return AuditEvent(row.id, at, row.user_id, row.action, row.target, row.client_ip, row.detail)


def _as_utc(moment: datetime) -> datetime:
    """A filter bound in UTC (naive times are UTC); one beyond the calendar's ends is clamped."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=UTC)


class AuditLog:
    """The audit log of one catalog database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self,
        action: str,
        *,
        user_id: str | None,
        target: str = "",
        client_ip: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one event."""
        values = {
            "at": datetime.now(UTC),
            "user_id": user_id,
            "action": action[:32],
            "target": target[:256],
            "client_ip": None if client_ip is None else client_ip[:64],
            "detail": detail,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(AuditRow).values(**values))
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot write the audit log: {type(exc).__name__}") from exc

    def list(
        self,
        *,
        user_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEvent]:
        """Events newest first, filtered by user, action and time."""
        table = AuditRow.__table__
        query = select(table)
        if user_id is not None:
            query = query.where(table.c.user_id == user_id)
        if action is not None:
            query = query.where(table.c.action == action)
        # SQLite stores the UTC wall time without an offset: compare in UTC there too.
        if since is not None:
            query = query.where(table.c.at >= _as_utc(since))
        if until is not None:
            query = query.where(table.c.at < _as_utc(until))
        query = query.order_by(table.c.id.desc()).limit(limit).offset(offset)
        with self._engine.connect() as connection:
            return [_event(row) for row in connection.execute(query)]
