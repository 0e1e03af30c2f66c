"""The signed-in account: balance, ledger, hour packages and API keys.

There is deliberately no route for users to add hours: only admins grant them (``/admin``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from variosync.api.accounts_schemas import (
    MAX_OFFSET,
    AccountOut,
    BalanceOut,
    BudgetOut,
    EntryOut,
    KeyName,
    KeyOut,
    LimitsOut,
    NewKey,
    PackageOut,
    PackagesOut,
    UserBalanceOut,
)
from variosync.api.deps import ClientIP, CurrentUser, ServicesDep
from variosync.api.ratelimit import Budget, signin_key
from variosync.api.throttle import UNKNOWN_CLIENT, role_scope
from variosync.billing import HOUR_PACKAGES, hours

router = APIRouter(prefix="/account", tags=["account"])


@router.get("", summary="The signed-in account")
def account(user: CurrentUser, shared: ServicesDep) -> AccountOut:
    """The account, its hour balance and whether metered operations are charged."""
    balance = shared.accounts.ledger.balance_ms(user.id)
    base = UserBalanceOut.with_balance(user, balance)
    return AccountOut(**base.model_dump(), enforce_payment=shared.settings.enforce_payment)


def _budgets(found: list[Budget]) -> list[BudgetOut]:
    return [
        BudgetOut(
            budget=b.name,
            limit=b.limit,
            window_s=b.window_s,
            remaining=b.remaining,
            reset=int(b.reset_at),
        )
        for b in found
    ]


@router.get("/limits", summary="Rate limits and what is left of them")
async def limits(user: CurrentUser, shared: ServicesDep, ip: ClientIP) -> LimitsOut:
    """The account's budgets (by its role) and the client address's, with the requests left
    in each window — this request included."""
    role = role_scope(user)
    limiter = shared.limiter
    return LimitsOut(
        enforced=limiter.enabled,
        counted_in=limiter.backend(),
        role=role,
        account=_budgets(
            [
                *([b] if (b := await limiter.left("user", signin_key(user.email), "auth")) else []),
                *await limiter.status(role, user.id),
            ]
        ),
        client_ip=ip,
        client=_budgets(await limiter.status("ip", ip or UNKNOWN_CLIENT)),
    )


@router.get("/balance", summary="The hour balance")
def balance(user: CurrentUser, shared: ServicesDep) -> BalanceOut:
    """The balance in hours and in milliseconds of compute."""
    balance_ms = shared.accounts.ledger.balance_ms(user.id)
    return BalanceOut(
        balance_hours=hours(balance_ms),
        balance_ms=balance_ms,
        enforce_payment=shared.settings.enforce_payment,
    )


@router.get("/ledger", summary="The hour ledger, newest first")
def ledger(
    user: CurrentUser,
    shared: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[EntryOut]:
    """Grants, purchases, debits and refunds; the balance is their sum."""
    entries = shared.accounts.ledger.entries(user.id, limit=limit, offset=offset)
    return [EntryOut.of(entry) for entry in entries]


@router.get("/packages", summary="The hour packages")
def packages(_user: CurrentUser) -> PackagesOut:
    """The packages on offer; until a payment provider is connected, admins grant hours."""
    return PackagesOut(
        packages=[PackageOut(hours=h) for h in HOUR_PACKAGES],
        purchasable=False,
        message="no payment provider is connected yet: ask an administrator for hours",
    )


@router.get("/keys", summary="API keys (prefix only)")
def keys(user: CurrentUser, shared: ServicesDep) -> list[KeyOut]:
    """The account's API keys, newest first, revoked ones included; never their secrets."""
    return [KeyOut.of(key) for key in shared.accounts.keys(user)]


@router.post("/keys", status_code=status.HTTP_201_CREATED, summary="Create an API key")
def create_key(body: KeyName, user: CurrentUser, shared: ServicesDep, ip: ClientIP) -> NewKey:
    """A new API key; its secret is in this response only (it is stored hashed)."""
    key, secret = shared.accounts.create_key(user, body.name, client_ip=ip)
    return NewKey(key=KeyOut.of(key), secret=secret)


@router.delete(
    "/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key"
)
def revoke_key(key_id: str, user: CurrentUser, shared: ServicesDep, ip: ClientIP) -> None:
    """Revoke one of the account's keys (another account's key is not found)."""
    shared.accounts.revoke_key(user, key_id, client_ip=ip)
