"""Login sessions kept in Redis as well as the catalog, so that any replica can serve any user.

Without Redis this is the :class:`CredentialCatalog` itself. With Redis, a session is written to
both (write-through): ``variosync:session:<digest>`` holds what a request needs (JSON, expiring
with the session) and ``variosync:user-sessions:<user id>`` the digests of a user's sessions, to
end them all. A session token is looked up in Redis first; a miss or a Redis error falls back to
the catalog, and a session found there is put back into Redis. Redis keeps nothing on disk, so
the catalog stays the record: losing Redis signs no one out and fails no request. API keys are
never kept in Redis.

Sessions ended while Redis cannot be reached are still in it: the users concerned are remembered
and all their Redis sessions dropped at the first call that reaches Redis again (the live ones
come back from the catalog when next used).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine

from variosync.catalog.credentials import (
    PREFIXES,
    SHOWN,
    Credential,
    CredentialCatalog,
    CredentialKind,
    digest,
)
from variosync.catalog.users import User, UserCatalog
from variosync.errors import NotFoundError
from variosync.redis_link import KEY_PREFIX, REDIS_ERRORS, RedisLink

SESSION = PREFIXES[CredentialKind.SESSION]


def session_key(secret_hash: str) -> str:
    """The Redis key of the session whose secret has this digest."""
    return f"{KEY_PREFIX}session:{secret_hash}"


def user_sessions_key(user_id: str) -> str:
    """The Redis set of the digests of a user's sessions."""
    return f"{KEY_PREFIX}user-sessions:{user_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _session_id(value: bytes | str) -> str | None:
    try:
        found = json.loads(value).get("id")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


class SessionStore(CredentialCatalog):
    """The credential catalog, with login sessions also kept in Redis when it is configured."""

    def __init__(self, engine: Engine, link: RedisLink | None = None) -> None:
        super().__init__(engine)
        self._users = UserCatalog(engine)
        self._link = link if link is not None and link.configured else None
        self._unended: set[str] = set()
        """Users whose ended sessions may still be in Redis (it could not be reached)."""
        self._lock = threading.Lock()

    def issue(
        self,
        user_id: str,
        kind: CredentialKind,
        name: str = "",
        lifetime: timedelta | None = None,
    ) -> tuple[Credential, str]:
        """A new credential and its secret; a session is written to Redis too."""
        credential, secret = super().issue(user_id, kind, name, lifetime)
        if kind is CredentialKind.SESSION and (client := self._client()) is not None:
            self._remember(client, digest(secret), credential)
        return credential, secret

    def resolve_user(self, secret: str) -> tuple[Credential, User] | None:
        """The live credential a secret belongs to, with its account: a session from Redis
        when it is there, else from the catalog. The account is always read from the catalog
        (it may have been disabled)."""
        if self._link is None or not secret.startswith(SESSION):
            return super().resolve_user(secret)
        hashed = digest(secret)
        client = self._client()
        if client is not None:
            try:
                cached = client.get(session_key(hashed))
            except REDIS_ERRORS as exc:
                self._link.failed(exc, "looking up a session")
                client = None
            else:
                self._link.succeeded()
                found = None if cached is None else self._from_redis(secret, cached)
                if found is not None:
                    return found
        found = super().resolve_user(secret)
        if found is None or client is None or not self._remember(client, hashed, found[0]):
            return found
        # A sign-out between the catalog read and the write above would be undone by it: read
        # again, and take the session back out if it ended meanwhile.
        if super().resolve_user(secret) is None:
            self._end(found[0].user_id, found[0].id)
        return found

    def revoke(
        self, user_id: str, credential_id: str, kind: CredentialKind | None = None
    ) -> Credential:
        """Revoke one of the user's credentials; a session leaves Redis too."""
        ended = super().revoke(user_id, credential_id, kind)
        if ended.kind is CredentialKind.SESSION:
            self._end(user_id, credential_id)
        return ended

    def revoke_all(self, user_id: str, kind: CredentialKind) -> None:
        """Revoke every live credential of one kind; sessions leave Redis too."""
        super().revoke_all(user_id, kind)
        if kind is CredentialKind.SESSION:
            self._end(user_id)

    # -- Redis ----------------------------------------------------------------------------------

    def _client(self) -> redis.Redis | None:
        """Redis, now usable, with the sessions it missed ending dropped first; or None."""
        if self._link is None or (client := self._link.client()) is None:
            return None
        with self._lock:
            users, self._unended = self._unended, set()
        try:
            for user_id in users:
                self._drop(client, user_id, None)
        except REDIS_ERRORS as exc:
            with self._lock:
                self._unended |= users
            self._link.failed(exc, "ending sessions")
            return None
        return client

    def _from_redis(self, secret: str, cached: bytes | str) -> tuple[Credential, User] | None:
        """The session stored in Redis with its account; None when it is unreadable, expired
        or its account is gone (the catalog then has the last word)."""
        try:
            data = json.loads(cached)
            credential = Credential(
                id=data["id"],
                user_id=data["user_id"],
                kind=CredentialKind.SESSION,
                name=data["name"],
                prefix=secret[:SHOWN],
                created_at=datetime.fromisoformat(data["created_at"]),
                expires_at=datetime.fromisoformat(data["expires_at"]),
                last_used_at=None,
                revoked_at=None,
            )
        except (ValueError, KeyError, TypeError):
            return None
        if credential.expires_at is None or credential.expires_at <= datetime.now(UTC):
            return None
        try:
            return credential, self._users.get(credential.user_id)
        except NotFoundError:
            return None

    def _remember(self, client: redis.Redis, hashed: str, credential: Credential) -> bool:
        """Write a live session to Redis, expiring with it; whether it was written."""
        assert self._link is not None
        if credential.expires_at is None:
            return False
        left_ms = int((credential.expires_at - datetime.now(UTC)).total_seconds() * 1000)
        if left_ms <= 0:
            return False
        value = {
            "id": credential.id,
            "user_id": credential.user_id,
            "name": credential.name,
            "created_at": credential.created_at.isoformat(),
            "expires_at": credential.expires_at.isoformat(),
        }
        users_key = user_sessions_key(credential.user_id)
        try:
            with client.pipeline() as pipe:  # MULTI/EXEC: the key and its entry in the set
                pipe.set(session_key(hashed), json.dumps(value), px=left_ms)
                pipe.sadd(users_key, hashed)
                pipe.pexpire(users_key, left_ms, nx=True)  # the set lives as long as
                pipe.pexpire(users_key, left_ms, gt=True)  # its longest-lived session
                pipe.execute()
        except REDIS_ERRORS as exc:
            self._link.failed(exc, "storing a session")
            return False
        self._link.succeeded()
        return True

    def _end(self, user_id: str, credential_id: str | None = None) -> None:
        """Take one session of a user (or all of them) out of Redis; when Redis cannot be
        reached, remember to do it when it can."""
        if self._link is None:
            return
        client = self._client()
        try:
            if client is not None:
                self._drop(client, user_id, credential_id)
                self._link.succeeded()
                return
        except REDIS_ERRORS as exc:
            self._link.failed(exc, "ending sessions")
        with self._lock:
            self._unended.add(user_id)

    @staticmethod
    def _drop(client: redis.Redis, user_id: str, credential_id: str | None) -> None:
        """Delete one session of a user (all: ``credential_id`` None) and forget the expired."""
        users_key = user_sessions_key(user_id)
        hashes = sorted(_text(member) for member in client.smembers(users_key))
        if credential_id is None:
            client.delete(users_key, *(session_key(h) for h in hashes))
            return
        values = client.mget([session_key(h) for h in hashes]) if hashes else []
        gone = [
            hashed
            for hashed, value in zip(hashes, values, strict=True)
            if value is None or _session_id(value) == credential_id
        ]
        if gone:
            with client.pipeline() as pipe:
                pipe.delete(*(session_key(h) for h in gone))
                pipe.srem(users_key, *gone)
                pipe.execute()
