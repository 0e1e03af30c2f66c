"""Bodies of the account and admin routes: balances, ledger entries, API keys, audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from variosync.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from variosync.api.schemas import UserOut
from variosync.billing import hours
from variosync.catalog.audit import AuditEvent
from variosync.catalog.credentials import Credential
from variosync.catalog.ledger import Entry, EntryKind
from variosync.catalog.users import Role, User

MAX_OFFSET = 1_000_000_000
"""Beyond any real listing; keeps an absurd offset from overflowing the database's integer."""


class UserBalanceOut(UserOut):
    """An account with its hour balance."""

    balance_hours: float

    @classmethod
    def with_balance(cls, user: User, balance_ms: int) -> UserBalanceOut:
        """The API view of an account and its balance."""
        return cls(**UserOut.of(user).model_dump(), balance_hours=hours(balance_ms))


class AccountOut(UserBalanceOut):
    """The signed-in account, its balance and whether metered operations are charged."""

    enforce_payment: bool


class BalanceOut(BaseModel):
    """The hour balance (``balance_ms`` is exact; hours are rounded to the millisecond)."""

    balance_hours: float
    balance_ms: int
    enforce_payment: bool


class EntryOut(BaseModel):
    """One ledger entry: positive amounts add hours, negative ones (debits) take them."""

    id: int
    kind: EntryKind
    hours: float
    amount_ms: int
    operation: str
    target: str
    created_at: datetime

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        """The API view of a ledger entry."""
        return cls(
            id=entry.id,
            kind=entry.kind,
            hours=hours(entry.amount_ms),
            amount_ms=entry.amount_ms,
            operation=entry.operation,
            target=entry.target,
            created_at=entry.created_at,
        )


class PackageOut(BaseModel):
    """An hour package."""

    hours: int


class PackagesOut(BaseModel):
    """The hour packages on offer, and whether they can be bought here."""

    packages: list[PackageOut]
    purchasable: bool = Field(description="False while no payment provider is connected")
    message: str


class KeyName(BaseModel):
    """What to call a new API key."""

    name: str = Field(default="", max_length=128, examples=["laptop"])


class KeyOut(BaseModel):
    """An API key as listed: its prefix identifies it; the secret is never shown again."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: Credential) -> KeyOut:
        """The API view of a stored key."""
        return cls.model_validate(key, from_attributes=True)


class NewKey(BaseModel):
    """A new API key and its secret, shown this once: send it as ``Authorization: Bearer``."""

    key: KeyOut
    secret: str


class NewUser(BaseModel):
    """An account an admin creates."""

    email: str = Field(min_length=3, max_length=254, examples=["ada@example.com"])
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    role: Role = Role.USER


class Grant(BaseModel):
    """Hours to add to an account."""

    hours: float = Field(gt=0, le=100_000, examples=[5])


class AuditEventOut(BaseModel):
    """One audit-log event."""

    id: int
    at: datetime
    user_id: str | None = Field(description="Who acted (null: an operator or the system)")
    action: str
    target: str
    client_ip: str | None
    detail: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        """The API view of an audit event."""
        return cls.model_validate(event, from_attributes=True)


class BudgetOut(BaseModel):
    """One rate-limit budget and what is left of it now."""

    budget: str = Field(description="auth, upload, query, export or other")
    limit: int = Field(description="Requests allowed per window")
    window_s: int = Field(description="The window, in seconds")
    remaining: int = Field(description="Requests left in the current window")
    reset: int = Field(description="Unix time (s) when the next request frees up")


class LimitsOut(BaseModel):
    """The account's rate limits (by its role) and the client address's."""

    enforced: bool = Field(description="Whether rate limits are on (VARIOSYNC_RATE_LIMITS)")
    counted_in: str = Field(
        description="redis: one limit for every server process; memory: this process's own"
    )
    role: str
    account: list[BudgetOut]
    client_ip: str | None = Field(description="The address the client budgets are counted for")
    client: list[BudgetOut]
