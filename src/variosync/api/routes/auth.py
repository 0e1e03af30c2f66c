"""Built-in accounts: register, sign in (a session token), sign out."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from variosync.api.deps import ClientIP, CurrentPrincipal, Services, ServicesDep
from variosync.api.ratelimit import signin_key
from variosync.api.schemas import Credentials, UserOut
from variosync.api.throttle import seen
from variosync.errors import ForbiddenError

router = APIRouter(prefix="/auth", tags=["auth"])


class Session(BaseModel):
    """A new login session: send ``token`` as ``Authorization: Bearer <token>``."""

    token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_at: datetime
    user: UserOut


@router.post("/register", status_code=status.HTTP_201_CREATED, summary="Create an account")
def register(body: Credentials, shared: ServicesDep, ip: ClientIP) -> UserOut:
    """A new built-in account (when the server allows open sign-up)."""
    if not shared.settings.open_signup:
        raise ForbiddenError(
            "this server does not allow sign-up", hint="ask an administrator for an account"
        )
    # a plain function: FastAPI runs it in its thread pool, off the event loop (argon2 hashing
    # takes tens of milliseconds, the catalog calls block)
    return UserOut.of(shared.accounts.register(body.email, body.password, client_ip=ip))


def _login(body: Credentials, shared: Services, ip: str | None) -> Session:
    user, token = shared.accounts.login(body.email, body.password, ip)
    found = shared.accounts.credentials.resolve(token)
    assert found is not None and found[0].expires_at is not None
    return Session(token=token, expires_at=found[0].expires_at, user=UserOut.of(user))


@router.post("/login", summary="Sign in; returns a session token")
async def login(body: Credentials, request: Request, shared: ServicesDep, ip: ClientIP) -> Session:
    """Check the password and open a session. Sign-in attempts with one email are limited
    (the account's ``auth`` budget, whichever addresses they come from): each attempt spends
    from it before the password is checked — atomically, so a burst cannot slip past — and
    once it is spent the answer is 429 without checking the password."""
    await shared.limiter.charge("user", signin_key(body.email), "auth", seen(request))
    # argon2 takes tens of milliseconds and the catalog calls block: off the event loop
    return await run_in_threadpool(_login, body, shared, ip)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
def logout(principal: CurrentPrincipal, shared: ServicesDep, ip: ClientIP) -> None:
    """End the session whose token signed this request (an API key stays valid: revoke it)."""
    if principal.credential_id is not None and principal.method == "session":
        shared.accounts.credentials.revoke(principal.user.id, principal.credential_id)
        shared.accounts.audit.record("logout", user_id=principal.user.id, client_ip=ip)
