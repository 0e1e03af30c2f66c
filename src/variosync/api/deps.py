"""What routes depend on: the app's shared services, the signed-in principal, the caller's
facade (seeing only their datasets) and the client address — as ``Annotated`` aliases."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from variosync.accounts import Accounts, Principal
from variosync.accounts.supabase import SupabaseVerifier, looks_like_jwt
from variosync.api.ratelimit import RateLimiter
from variosync.api.throttle import spend_account
from variosync.billing import Meter, RequestKey
from variosync.cache import ResultCache
from variosync.catalog.credentials import SHOWN
from variosync.catalog.users import User
from variosync.errors import AuthError, ForbiddenError, UsageError
from variosync.events import EventBus
from variosync.redis_link import RedisLink
from variosync.service import Variosync
from variosync.settings import Settings


@dataclass
class Services:
    """Built once per app (in its lifespan) and shared by every request."""

    settings: Settings
    service: Variosync
    accounts: Accounts
    meter: Meter
    supabase: SupabaseVerifier
    redis: RedisLink
    events: EventBus
    cache: ResultCache
    limiter: RateLimiter


def services(request: Request) -> Services:
    """The app's shared services."""
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]

_bearer = HTTPBearer(auto_error=False, description="An API key, a session token or a Supabase JWT")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (vs_…)")


def client_ip(request: Request) -> str | None:
    """The caller's address: the socket's, or from a trusted proxy the one it names (set by
    the rate-limit middleware, see ``api/clientip.py``)."""
    found = request.scope.get("state", {}).get("client_ip")
    if isinstance(found, str):
        return found
    return request.client.host if request.client else None


ClientIP = Annotated[str | None, Depends(client_ip)]


def principal(
    shared: ServicesDep,
    ip: ClientIP,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """Who the request acts for: an API key (``X-API-Key`` or bearer), a session token
    (bearer) or a Supabase JWT (bearer). AuthError (401) when none is valid."""
    secret = api_key or (bearer.credentials if bearer is not None else None)
    if not secret:
        raise AuthError(
            "sign-in required",
            hint="send 'Authorization: Bearer <API key or session token>'",
        )
    try:
        if looks_like_jwt(secret):
            identity = shared.supabase.verify(secret)
            return shared.accounts.supabase_user(identity, ip)
        return shared.accounts.authenticate(secret)
    except (AuthError, ForbiddenError) as refused:
        # a failed sign-in by credential; only its public prefix is kept, never the secret
        shown = "jwt" if looks_like_jwt(secret) else secret[:SHOWN]
        action = "auth_failed" if isinstance(refused, AuthError) else "auth_refused"
        shared.accounts.audit.record(action, user_id=None, target=shown, client_ip=ip)
        raise


CurrentPrincipal = Annotated[Principal, Depends(principal)]


async def current_user(found: CurrentPrincipal, request: Request, shared: ServicesDep) -> User:
    """The signed-in account, once it has spent one request of its rate-limit budget for the
    route (429 when none is left)."""
    await spend_account(request, shared.limiter, found.user)
    return found.user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    """The signed-in account, which must be an admin (403 otherwise)."""
    if not user.is_admin:
        raise ForbiddenError("this needs an administrator account")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def user_service(shared: ServicesDep, user: CurrentUser) -> Variosync:
    """The facade as the signed-in user sees it: only their datasets exist."""
    return shared.service.as_owner(user.id)


ServiceDep = Annotated[Variosync, Depends(user_service)]

_KEY_RULE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def fingerprint(request: Request) -> str:
    """What identifies a request apart from its key: method, path, sorted parameters and the
    body's size (a multipart boundary differs between retries; the size does not)."""
    params = sorted(request.query_params.multi_items())
    size = request.headers.get("content-length", "")
    text = "\n".join([request.method, request.url.path, repr(params), size])
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Makes a retried metered request charge once (1-100 of A-Za-z0-9._:-)",
        ),
    ] = None,
) -> RequestKey:
    """The request's idempotency key (a fresh one when the client sent none) and what the
    request was, so that the key cannot be reused for another one."""
    if key is None:
        return RequestKey(uuid.uuid4().hex, fingerprint(request))
    if not _KEY_RULE.match(key):
        raise UsageError(
            "header 'Idempotency-Key' must be 1-100 of A-Z a-z 0-9 . _ : -",
            hint="use a UUID per logical request",
        )
    return RequestKey("req:" + key, fingerprint(request))


IdempotencyKey = Annotated[RequestKey, Depends(idempotency_key)]
