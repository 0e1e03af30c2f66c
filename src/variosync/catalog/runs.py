"""Idempotency records of metered requests: an ``Idempotency-Key`` names one request.

The first use of a key claims it for that request (its fingerprint: method, path, parameters,
body size) and the run is charged. Reusing the key for another request is a conflict; while
the run is going, so is a second copy of it; after it failed (and was refunded), the next
attempt is charged again; after it succeeded, a retry runs free — a few times, not forever.
Every change is one conditional statement, so concurrent requests cannot both win a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from variosync.catalog.tables import RunRow
from variosync.errors import ConflictError, StorageError

MAX_REPLAYS = 3
"""Free retries of a run that succeeded (a lost response), after which the key is spent."""
MAX_ATTEMPTS = 20
"""Charged attempts of a key whose runs keep failing."""
STALE_AFTER = timedelta(hours=1)
"""A run still 'running' this long after its last change died with its process."""


class RunState(StrEnum):
    """Where a metered run stands."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Claim:
    """The right to run: ``charge`` it (attempt ``attempt``), or a free replay of a success."""

    charge: bool
    attempt: int


class RunRegistry:
    """Idempotency records of one catalog database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(
        self,
        user_id: str,
        key: str,
        operation: str,
        fingerprint: str,
        max_replays: int = MAX_REPLAYS,
    ) -> Claim:
        """Claim ``key`` for this request; ConflictError when it belongs to another request,
        is running, or has been replayed (or has failed) too often. ``max_replays`` 0 is for
        work that must not run twice (a cleaning recipe that shifts times would shift again)."""
        now = datetime.now(UTC)
        table = RunRow.__table__
        values = {
            "user_id": user_id,
            "key": key,
            "operation": operation[:32],
            "fingerprint": fingerprint[:64],
            "state": RunState.RUNNING.value,
            "attempt": 1,
            "replays": 0,
            "created_at": now,
            "updated_at": now,
        }
        mine = (table.c.user_id == user_id, table.c.key == key, table.c.fingerprint == fingerprint)
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(RunRow).values(**values))
            return Claim(True, 1)
        except IntegrityError:
            pass
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot record the request: {type(exc).__name__}") from exc
        retry = (table.c.state == RunState.FAILED.value) | (
            (table.c.state == RunState.RUNNING.value) & (table.c.updated_at < now - STALE_AFTER)
        )
        if self._change(
            update(RunRow)
            .where(*mine, retry, table.c.attempt < MAX_ATTEMPTS)
            .values(state=RunState.RUNNING.value, attempt=table.c.attempt + 1, updated_at=now)
        ):
            found = self._get(user_id, key)
            return Claim(True, int(found["attempt"]) if found else 1)
        if self._change(
            update(RunRow)
            .where(*mine, table.c.state == RunState.DONE.value, table.c.replays < max_replays)
            .values(state=RunState.RUNNING.value, replays=table.c.replays + 1, updated_at=now)
        ):
            return Claim(False, 0)
        raise self._refusal(self._get(user_id, key), fingerprint, max_replays)

    def finish(self, user_id: str, key: str, ok: bool) -> None:
        """Record how the claimed run ended."""
        table = RunRow.__table__
        state = RunState.DONE if ok else RunState.FAILED
        self._change(
            update(RunRow)
            .where(table.c.user_id == user_id, table.c.key == key)
            .values(state=state.value, updated_at=datetime.now(UTC))
        )

    def _change(self, statement: Any) -> bool:
        try:
            with self._engine.begin() as connection:
                return bool(connection.execute(statement).rowcount)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot record the request: {type(exc).__name__}") from exc

    def _get(self, user_id: str, key: str) -> dict[str, Any] | None:
        table = RunRow.__table__
        query = select(table).where(table.c.user_id == user_id, table.c.key == key)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else dict(row._mapping)

    @staticmethod
    def _refusal(found: dict[str, Any] | None, fingerprint: str, max_replays: int) -> ConflictError:
        hint = "send a new Idempotency-Key for a new request"
        if found is None:  # vanished between the statements (its user was deleted)
            return ConflictError("this Idempotency-Key cannot be used now", hint=hint)
        if found["fingerprint"] != fingerprint:
            return ConflictError(
                f"this Idempotency-Key was used for another request ({found['operation']})",
                hint=hint,
            )
        if found["state"] == RunState.RUNNING.value:
            return ConflictError(
                "a request with this Idempotency-Key is still running",
                hint="wait for its answer, or retry later",
            )
        if found["state"] == RunState.DONE.value and max_replays == 0:
            return ConflictError("this request was already done; it is not run twice", hint=hint)
        if found["state"] == RunState.DONE.value:
            return ConflictError(
                f"this request was already done and retried {max_replays} times", hint=hint
            )
        return ConflictError(f"this request failed {MAX_ATTEMPTS} times", hint=hint)
