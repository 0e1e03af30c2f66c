"""Administration (admins only): accounts, their balances, hour grants, the audit log and the
query cache's counters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from variosync.api.accounts_schemas import (
    MAX_OFFSET,
    AuditEventOut,
    EntryOut,
    Grant,
    NewUser,
    UserBalanceOut,
)
from variosync.api.deps import AdminUser, ClientIP, IdempotencyKey, ServicesDep
from variosync.api.schemas import UserOut
from variosync.catalog.ledger import MS_PER_HOUR

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", summary="Every account with its balance")
def users(_admin: AdminUser, shared: ServicesDep) -> list[UserBalanceOut]:
    """Every account, oldest first, with its hour balance."""
    balances = shared.accounts.ledger.balances()
    return [
        UserBalanceOut.with_balance(user, balances.get(user.id, 0))
        for user in shared.accounts.users.list()
    ]


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create an account")
def create_user(body: NewUser, admin: AdminUser, shared: ServicesDep, ip: ClientIP) -> UserOut:
    """A new account (open sign-up or not), a user or an admin."""
    user = shared.accounts.create_user(admin, body.email, body.password, body.role, client_ip=ip)
    return UserOut.of(user)


@router.post("/users/{user_id}/grant", summary="Grant hours to an account")
def grant(
    user_id: str,
    body: Grant,
    admin: AdminUser,
    shared: ServicesDep,
    ip: ClientIP,
    key: IdempotencyKey,
) -> EntryOut:
    """Add hours; with an ``Idempotency-Key``, a retried request grants once."""
    amount_ms = round(body.hours * MS_PER_HOUR)
    entry = shared.accounts.grant(admin, user_id, amount_ms, client_ip=ip, idempotency_key=key.key)
    return EntryOut.of(entry)


@router.post("/users/{user_id}/disable", summary="Disable an account")
def disable(user_id: str, admin: AdminUser, shared: ServicesDep, ip: ClientIP) -> UserOut:
    """Disable an account: its sessions end and its API keys stop working until enabled."""
    return UserOut.of(shared.accounts.set_disabled(admin, user_id, True, client_ip=ip))


@router.post("/users/{user_id}/enable", summary="Enable an account")
def enable(user_id: str, admin: AdminUser, shared: ServicesDep, ip: ClientIP) -> UserOut:
    """Enable a disabled account again (its API keys work again; it signs in anew)."""
    return UserOut.of(shared.accounts.set_disabled(admin, user_id, False, client_ip=ip))


@router.get("/audit", summary="The audit log, newest first")
def audit(
    _admin: AdminUser,
    shared: ServicesDep,
    user_id: Annotated[str | None, Query(description="Who acted")] = None,
    action: Annotated[str | None, Query(description="e.g. login, grant, debit")] = None,
    since: Annotated[datetime | None, Query(description="From this time (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AuditEventOut]:
    """Recorded state changes with user, action, target, client IP and time."""
    events = shared.accounts.audit.list(
        user_id=user_id, action=action, since=since, until=until, limit=limit, offset=offset
    )
    return [AuditEventOut.of(event) for event in events]


@router.get("/cache", summary="The query cache: backend and hit/miss counts")
def cache(_admin: AdminUser, shared: ServicesDep) -> dict[str, int | str]:
    """``backend`` (redis, memory or off), ``hits``, ``misses``, ``bypasses`` (Redis was down),
    ``stores``, ``skipped_too_large``; for the in-process backend ``entries`` and ``bytes``.
    Counted by this server process since it started."""
    return shared.cache.stats()
