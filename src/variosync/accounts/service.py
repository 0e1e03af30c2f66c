"""``Accounts``: register, sign in and out, authenticate a request's secret, manage API keys.

Every state change is written to the audit log here, so no front end can forget to.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from variosync.accounts.passwords import burn_time, hash_password, verify_password
from variosync.accounts.sessions import SessionStore
from variosync.accounts.supabase import SupabaseIdentity
from variosync.catalog.audit import AuditLog
from variosync.catalog.credentials import (
    PREFIXES,
    Credential,
    CredentialKind,
)
from variosync.catalog.ledger import Entry, EntryKind, Ledger
from variosync.catalog.preferences import PreferenceStore
from variosync.catalog.users import Role, User, UserCatalog
from variosync.errors import AuthError, ConflictError, ForbiddenError, UsageError
from variosync.redis_link import RedisLink

SESSION_LIFETIME = timedelta(days=14)
TOUCH_EVERY = timedelta(minutes=1)
"""How often a key's ``last_used_at`` is brought up to date."""
_EMAIL_MAX = 254


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and how it proved it."""

    user: User
    method: str
    """``api_key``, ``session`` or ``supabase``."""
    credential_id: str | None = None


def check_email(email: str) -> str:
    """Return ``email`` if it looks like an address, else raise a UsageError."""
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > _EMAIL_MAX or " " in email:
        raise UsageError(f"not an email address: {email[:80]!r}", hint="use name@example.com")
    return email


def _tried(email: str) -> str:
    """The email a sign-in tried, as the audit log keeps it (normalised, bounded)."""
    return email.strip().lower()[:_EMAIL_MAX]


def _stale(used: datetime | None) -> bool:
    return used is None or datetime.now(UTC) - used >= TOUCH_EVERY


class Accounts:
    """Accounts, credentials, ledger and audit log of one catalog database; login sessions
    also in Redis when ``link`` is configured (see :mod:`variosync.accounts.sessions`)."""

    def __init__(
        self,
        engine: Engine,
        session_lifetime: timedelta = SESSION_LIFETIME,
        signup_ms: int = 0,
        link: RedisLink | None = None,
    ) -> None:
        self.signup_ms = signup_ms
        self.users = UserCatalog(engine)
        self.credentials = SessionStore(engine, link)
        self.ledger = Ledger(engine)
        self.audit = AuditLog(engine)
        self.preferences = PreferenceStore(engine)
        self.session_lifetime = session_lifetime

    # -- built-in accounts ----------------------------------------------------------------------

    def register(
        self, email: str, password: str, role: Role = Role.USER, client_ip: str | None = None
    ) -> User:
        """A new built-in account."""
        user = self.users.create(check_email(email), hash_password(password), role)
        self.audit.record("register", user_id=user.id, target=user.email, client_ip=client_ip)
        self._welcome(user, client_ip)
        return user

    def _welcome(self, user: User, client_ip: str | None) -> None:
        """Grant a new account its trial hours."""
        if self.signup_ms > 0:
            self.ledger.credit(
                user.id, self.signup_ms, operation="signup", idempotency_key="signup"
            )
            self.audit.record(
                "grant",
                user_id=None,
                target=user.id,
                client_ip=client_ip,
                detail={"ms": self.signup_ms, "reason": "signup"},
            )

    def login(self, email: str, password: str, client_ip: str | None = None) -> tuple[User, str]:
        """Check the password and open a session; returns the user and the session token."""
        user = self.users.by_email(email)
        stored = None if user is None else self.users.password_hash(user.id)
        if user is None or stored is None:
            burn_time(password)
            ok, rehashed = False, None
        else:
            ok, rehashed = verify_password(stored, password)
        if user is None or not ok:
            self.audit.record(
                "login_failed",
                user_id=None if user is None else user.id,
                target=_tried(email),
                client_ip=client_ip,
            )
            raise AuthError("wrong email or password", hint="check both, or register first")
        if user.disabled:
            self.audit.record(
                "login_failed", user_id=user.id, target="disabled", client_ip=client_ip
            )
            raise ForbiddenError("this account is disabled", hint="ask an administrator")
        if rehashed is not None:
            self.users.set_password_hash(user.id, rehashed)
        return user, self._open_session(user, client_ip)

    def _open_session(self, user: User, client_ip: str | None, method: str | None = None) -> str:
        """A new login session's token (audited as a login)."""
        _, token = self.credentials.issue(
            user.id, CredentialKind.SESSION, "login", self.session_lifetime
        )
        detail = None if method is None else {"method": method}
        self.audit.record("login", user_id=user.id, client_ip=client_ip, detail=detail)
        return token

    def supabase_login(
        self, identity: SupabaseIdentity, client_ip: str | None = None
    ) -> tuple[User, str]:
        """A login session for a Supabase user whose password Supabase Auth checked (their
        local account is created on the first sign-in)."""
        user = self.supabase_user(identity, client_ip).user
        return user, self._open_session(user, client_ip, method="supabase")

    def supabase_login_failed(self, email: str, client_ip: str | None = None) -> None:
        """Audit a refused Supabase password sign-in (Supabase Auth said no, its token did not
        verify, or the account is disabled) like a refused local one: the email tried, never
        the password or a token."""
        self.audit.record(
            "login_failed",
            user_id=None,
            target=_tried(email),
            client_ip=client_ip,
            detail={"method": "supabase"},
        )

    def logout(self, token: str, client_ip: str | None = None) -> None:
        """End the session a token belongs to (an unknown token changes nothing)."""
        ended = self.credentials.revoke_secret(token)
        if ended is not None:
            self.audit.record("logout", user_id=ended.user_id, client_ip=client_ip)

    # -- requests -------------------------------------------------------------------------------

    def authenticate(self, secret: str) -> Principal:
        """The principal behind an API key or session token; AuthError if there is none."""
        if not secret.startswith(tuple(PREFIXES.values())):
            raise AuthError("unrecognised credentials", hint="send an API key or session token")
        resolved = self.credentials.resolve_user(secret)
        if resolved is None:
            raise AuthError(
                "invalid, revoked or expired credentials",
                hint="sign in again or create a new API key",
            )
        credential, user = resolved
        if user.disabled:
            raise ForbiddenError("this account is disabled", hint="ask an administrator")
        if credential.kind is CredentialKind.API_KEY and _stale(credential.last_used_at):
            # a write per request would double the cost of authenticating: once a minute
            self.credentials.touch(credential.id)
        return Principal(user, credential.kind.value, credential.id)

    def supabase_user(self, identity: SupabaseIdentity, client_ip: str | None = None) -> Principal:
        """The local account of a Supabase user, created on its first request."""
        user = self.users.by_supabase_sub(identity.sub)
        if user is None:
            user = self._create_supabase_user(identity, client_ip)
        if user.disabled:
            raise ForbiddenError("this account is disabled", hint="ask an administrator")
        return Principal(user, "supabase")

    def _create_supabase_user(self, identity: SupabaseIdentity, client_ip: str | None) -> User:
        # The token's email may already name a built-in account: that account is never taken
        # over (it would let whoever controls the Supabase project sign in as it); the new user
        # gets a placeholder address instead.
        placeholder = f"{identity.sub}@supabase.invalid"
        candidates = [placeholder]
        if identity.email:
            with contextlib.suppress(UsageError):
                candidates.insert(0, check_email(identity.email))
        for email in candidates:
            try:
                user = self.users.create(email, None, Role.USER, supabase_sub=identity.sub)
            except ConflictError:
                found = self.users.by_supabase_sub(identity.sub)
                if found is not None:  # a concurrent first request created it
                    return found
                continue
            self.audit.record("register", user_id=user.id, target="supabase", client_ip=client_ip)
            self._welcome(user, client_ip)
            return user
        raise ConflictError(
            "cannot create a local account for this Supabase user", hint="ask an administrator"
        )

    # -- API keys -------------------------------------------------------------------------------

    def create_key(
        self, user: User, name: str, client_ip: str | None = None
    ) -> tuple[Credential, str]:
        """A new API key for ``user``; the secret is returned once and never stored."""
        name = name.strip()
        if len(name) > 128:
            raise UsageError("an API key name has at most 128 characters")
        key, secret = self.credentials.issue(user.id, CredentialKind.API_KEY, name)
        self.audit.record("key_created", user_id=user.id, target=key.prefix, client_ip=client_ip)
        return key, secret

    def keys(self, user: User) -> list[Credential]:
        """The user's API keys (prefix only), newest first."""
        return self.credentials.list(user.id)

    def revoke_key(self, user: User, key_id: str, client_ip: str | None = None) -> Credential:
        """Revoke one of the user's keys; another user's key is not found."""
        key = self.credentials.revoke(user.id, key_id, CredentialKind.API_KEY)
        self.audit.record("key_revoked", user_id=user.id, target=key.prefix, client_ip=client_ip)
        return key

    # -- administration -------------------------------------------------------------------------

    def create_user(
        self,
        admin: User | None,
        email: str,
        password: str,
        role: Role = Role.USER,
        client_ip: str | None = None,
    ) -> User:
        """An account made by an admin (or an operator: ``admin`` None), whatever sign-up allows."""
        user = self.users.create(check_email(email), hash_password(password), role)
        self.audit.record(
            "user_created",
            user_id=None if admin is None else admin.id,
            target=user.id,
            client_ip=client_ip,
            detail={"email": user.email, "role": role.value},
        )
        self._welcome(user, client_ip)
        return user

    def set_disabled(
        self, admin: User | None, user_id: str, disabled: bool, client_ip: str | None = None
    ) -> User:
        """Disable an account (its sessions end; its keys stop working) or enable it again."""
        if disabled and admin is not None and admin.id == user_id:
            raise UsageError(
                "you cannot disable your own account", hint="ask another admin, or an operator"
            )
        user = self.users.set_disabled(user_id, disabled)
        if disabled:
            self.credentials.revoke_all(user.id, CredentialKind.SESSION)
        self.audit.record(
            "user_disabled" if disabled else "user_enabled",
            user_id=None if admin is None else admin.id,
            target=user.id,
            client_ip=client_ip,
        )
        return user

    def grant(
        self,
        admin: User | None,
        user_id: str,
        amount_ms: int,
        client_ip: str | None = None,
        idempotency_key: str | None = None,
    ) -> Entry:
        """Add hours to an account (admins and operators only; users cannot). A repeated
        ``idempotency_key`` returns the first grant and adds nothing."""
        if amount_ms <= 0:
            raise UsageError("a grant is a positive number of hours")
        user = self.users.get(user_id)
        # Its own namespace: a grant's key must never collide with the user's metered requests.
        key = None if idempotency_key is None else f"grant:{idempotency_key}"
        if key is not None and (earlier := self.ledger.by_key(user.id, key)) is not None:
            return earlier
        entry = self.ledger.credit(
            user.id,
            amount_ms,
            EntryKind.GRANT,
            actor_id=None if admin is None else admin.id,
            operation="grant",
            idempotency_key=key,
        )
        self.audit.record(
            "grant",
            user_id=None if admin is None else admin.id,
            target=user.id,
            client_ip=client_ip,
            detail={"ms": amount_ms},
        )
        return entry


__all__ = ["Accounts", "Ledger", "Principal", "check_email"]
