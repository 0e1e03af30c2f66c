"""The hour ledger: an append-only list of grants, purchases, debits and refunds per user.

Amounts are integer milliseconds of compute time (no float drift); the balance is their sum.
A debit is one conditional statement (insert only if the balance covers it) run while holding
the user's row lock, so concurrent debits can never take a balance below zero: PostgreSQL
serialises them on ``SELECT … FOR UPDATE``, SQLite runs one writing statement at a time.
An idempotency key makes a retried debit a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Row, func, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from variosync.catalog.tables import LedgerRow, UserRow
from variosync.errors import NotFoundError, StorageError

MS_PER_HOUR = 3_600_000


class EntryKind(StrEnum):
    """Why a ledger entry exists."""

    GRANT = "grant"
    PURCHASE = "purchase"
    DEBIT = "debit"
    REFUND = "refund"


@dataclass(frozen=True)
class Entry:
    """One ledger entry."""

    id: int
    user_id: str
    kind: EntryKind
    amount_ms: int
    idempotency_key: str | None
    operation: str
    target: str
    actor_id: str | None
    created_at: datetime

    @property
    def hours(self) -> float:
        """The amount in hours."""
        return self.amount_ms / MS_PER_HOUR


@dataclass(frozen=True)
class DebitResult:
    """What a debit did: ``charged`` is False when the balance could not cover it (nothing was
    written) and ``replayed`` when the idempotency key had been used (nothing new was written)."""

    charged: bool
    replayed: bool
    balance_ms: int
    entry: Entry | None


def _entry(row: Row[Any]) -> Entry:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return Entry(
        row.id,
        row.user_id,
        EntryKind(row.kind),
        row.amount_ms,
        row.idempotency_key,
        row.operation,
        row.target,
        row.actor_id,
        created,
    )


class Ledger:
    """Hour ledgers of one catalog database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The catalog database."""
        return self._engine

    @staticmethod
    def _balance(connection: Connection, user_id: str) -> int:
        table = LedgerRow.__table__
        total = select(func.coalesce(func.sum(table.c.amount_ms), 0)).where(
            table.c.user_id == user_id
        )
        return int(connection.execute(total).scalar_one())

    def balance_ms(self, user_id: str) -> int:
        """The user's balance in milliseconds."""
        try:
            with self._engine.connect() as connection:
                return self._balance(connection, user_id)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read the balance: {type(exc).__name__}") from exc

    def balances(self) -> dict[str, int]:
        """Every user's balance in milliseconds, by user id (users without entries are absent)."""
        table = LedgerRow.__table__
        query = select(table.c.user_id, func.sum(table.c.amount_ms)).group_by(table.c.user_id)
        try:
            with self._engine.connect() as connection:
                return {user_id: int(total) for user_id, total in connection.execute(query)}
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read the balances: {type(exc).__name__}") from exc

    def entries(self, user_id: str, limit: int = 100, offset: int = 0) -> list[Entry]:
        """The user's entries, newest first."""
        table = LedgerRow.__table__
        query = (
            select(table)
            .where(table.c.user_id == user_id)
            .order_by(table.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._engine.connect() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def by_key(self, user_id: str, key: str) -> Entry | None:
        """The entry recorded under an idempotency key, if any."""
        table = LedgerRow.__table__
        query = select(table).where(table.c.user_id == user_id, table.c.idempotency_key == key)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _entry(row)

    def credit(
        self,
        user_id: str,
        amount_ms: int,
        kind: EntryKind = EntryKind.GRANT,
        *,
        actor_id: str | None = None,
        operation: str = "",
        target: str = "",
        idempotency_key: str | None = None,
    ) -> Entry:
        """Add hours (a grant, purchase or refund); a repeated idempotency key adds nothing."""
        if amount_ms <= 0 or kind is EntryKind.DEBIT:
            raise ValueError("a credit is a positive grant, purchase or refund")
        values = self._values(user_id, kind, amount_ms, idempotency_key, operation, target)
        values["actor_id"] = actor_id
        try:
            with self._engine.begin() as connection:
                self._lock_user(connection, user_id)
                row = connection.execute(
                    insert(LedgerRow).values(**values).returning(LedgerRow.__table__)
                ).one()
        except IntegrityError:
            if idempotency_key is not None:
                found = self.by_key(user_id, idempotency_key)
                if found is not None:
                    return found
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot record the credit: {type(exc).__name__}") from exc
        return _entry(row)

    def debit(
        self,
        user_id: str,
        amount_ms: int,
        idempotency_key: str,
        *,
        operation: str,
        target: str = "",
        partial: bool = False,
    ) -> DebitResult:
        """Take ``amount_ms`` from the balance if it covers it; with ``partial``, take what is
        there (settling an operation that already ran and cost more than was reserved)."""
        if amount_ms < 0:
            raise ValueError("a debit amount is not negative")
        table = LedgerRow.__table__
        try:
            with self._engine.begin() as connection:
                self._lock_user(connection, user_id)
                existing = connection.execute(
                    select(table).where(
                        table.c.user_id == user_id, table.c.idempotency_key == idempotency_key
                    )
                ).first()
                if existing is not None:
                    return DebitResult(
                        False, True, self._balance(connection, user_id), _entry(existing)
                    )
                if partial:
                    amount_ms = min(amount_ms, max(0, self._balance(connection, user_id)))
                values = self._values(
                    user_id, EntryKind.DEBIT, -amount_ms, idempotency_key, operation, target
                )
                covered = select(*(literal(v).label(k) for k, v in values.items())).where(
                    select(func.coalesce(func.sum(table.c.amount_ms), 0))
                    .where(table.c.user_id == user_id)
                    .scalar_subquery()
                    >= amount_ms
                )
                row = connection.execute(
                    insert(LedgerRow).from_select(list(values), covered).returning(table)
                ).first()
                balance = self._balance(connection, user_id)
        except IntegrityError:
            # The same key was used by a concurrent request that committed first.
            found = self.by_key(user_id, idempotency_key)
            return DebitResult(False, True, self.balance_ms(user_id), found)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot record the debit: {type(exc).__name__}") from exc
        if row is None:
            return DebitResult(False, False, balance, None)
        return DebitResult(True, False, balance, _entry(row))

    @staticmethod
    def _values(
        user_id: str,
        kind: EntryKind,
        amount_ms: int,
        key: str | None,
        operation: str,
        target: str,
    ) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "kind": kind.value,
            "amount_ms": amount_ms,
            "idempotency_key": key,
            "operation": operation[:32],
            "target": target[:256],
            "created_at": datetime.now(UTC),
        }

    @staticmethod
    def _lock_user(connection: Connection, user_id: str) -> None:
        """Serialise balance changes of one user (PostgreSQL row lock; SQLite ignores it and
        serialises writers anyway)."""
        users = UserRow.__table__
        found = connection.execute(
            select(users.c.id).where(users.c.id == user_id).with_for_update()
        ).first()
        if found is None:
            raise NotFoundError("no such user", hint="`variosync users list` lists the accounts")
