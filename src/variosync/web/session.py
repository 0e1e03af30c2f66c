"""Who is signed in to the dashboard: the session token in the user's storage, checked
against the accounts on every page (a logout, a disabled account or an expired session
elsewhere signs the dashboard out too)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from fastapi import FastAPI
from nicegui import app, run

from variosync.accounts import Principal
from variosync.accounts.supabase_password import SupabasePasswordSignIn
from variosync.api.deps import Services
from variosync.api.ratelimit import client_key, signin_key
from variosync.catalog.users import User
from variosync.errors import AuthError, ForbiddenError, VarioSyncError

TOKEN = "token"  # noqa: S105 - the storage key's name, not a secret


def services(api: FastAPI) -> Services:
    """The API app's shared services (built by its lifespan)."""
    found: Services = api.state.services
    return found


async def signed_in(api: FastAPI) -> Principal | None:
    """The signed-in principal, or None (no token, or it no longer signs in)."""
    token = _unsealed(api, app.storage.user.get(TOKEN))
    if token is None:
        app.storage.user.pop(TOKEN, None)
        return None
    try:
        return await run.io_bound(services(api).accounts.authenticate, token)
    except VarioSyncError:
        app.storage.user.pop(TOKEN, None)
        return None


async def sign_in(api: FastAPI, email: str, password: str, client_ip: str | None) -> None:
    """Check the password (off the event loop: argon2) and keep the new session's token.
    Attempts spend from the same brute-force budgets as the API's sign-in — the email's and
    the client address's — before the password is checked (RateLimitedError when spent)."""
    await _charge(api, email, client_ip)
    signed = await run.io_bound(services(api).accounts.login, email, password, client_ip)
    _keep(api, signed)


async def sign_in_supabase(api: FastAPI, email: str, password: str, client_ip: str | None) -> None:
    """Sign in with a Supabase email and password: Supabase Auth checks them, its access token
    is verified like any Supabase bearer token, and a dashboard session is opened for the
    user's local account (made on the first sign-in). The same brute-force budgets apply,
    and a refused attempt is audited as ``login_failed``, like a local one."""
    await _charge(api, email, client_ip)
    shared = services(api)

    def signed() -> tuple[User, str]:
        try:
            token = SupabasePasswordSignIn(shared.settings).access_token(email, password)
            identity = shared.supabase.verify(token)
            return shared.accounts.supabase_login(identity, client_ip)
        except (AuthError, ForbiddenError):  # not when Supabase could not be asked
            shared.accounts.supabase_login_failed(email, client_ip)
            raise

    _keep(api, await run.io_bound(signed))


def supabase_enabled(api: FastAPI) -> bool:
    """Whether the sign-in page offers Supabase accounts (SUPABASE_URL and SUPABASE_ANON_KEY)."""
    shared = services(api)
    return shared.supabase.enabled and SupabasePasswordSignIn(shared.settings).enabled


async def _charge(api: FastAPI, email: str, client_ip: str | None) -> None:
    limiter = services(api).limiter
    await limiter.charge("user", signin_key(email), "auth")
    await limiter.charge("ip", client_key(client_ip or "unknown"), "auth")


def _cipher(api: FastAPI) -> Fernet:
    found: Fernet = api.state.dashboard_cipher
    return found


def _unsealed(api: FastAPI, sealed: object) -> str | None:
    """The session token kept sealed in the user's storage; None when missing or not sealed
    with this server's key (a changed secret signs everyone out, cleanly)."""
    if not isinstance(sealed, str):
        return None
    try:
        return _cipher(api).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def _keep(api: FastAPI, signed: tuple[User, str] | None) -> None:
    if signed is None:  # the server is shutting down
        raise VarioSyncError("the server is shutting down", hint="try again in a moment")
    app.storage.user[TOKEN] = _cipher(api).encrypt(signed[1].encode()).decode()


async def sign_out(api: FastAPI) -> None:
    """End the session (in the catalog, and Redis) and forget its token."""
    token = _unsealed(api, app.storage.user.pop(TOKEN, None))
    if token is not None:
        await run.io_bound(services(api).accounts.logout, token)
