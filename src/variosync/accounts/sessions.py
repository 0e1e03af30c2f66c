"""Login sessions kept in Redis as well as the catalog, so that any replica can serve any user.

Without Redis this is the :class:`CredentialCatalog` itself. With Redis, a session is written to
both (write-through). Redis holds, under ``variosync:session:<digest of the token>``, which
session a token belongs to (its id, owner, name and times as JSON, expiring with the session),
and under ``variosync:user-sessions:<user id>`` the digests of a user's sessions, to delete them
all at once. Redis only says which session a token names; the catalog decides whether it is
still good. A token found in Redis is checked in the catalog by its session's id (the primary
key) joined with its account, in one query, so a session revoked, expired, or whose account is
gone is refused (a disabled account is refused by :class:`Accounts`) whatever Redis still holds.
A miss or a Redis error falls back to the catalog, and a live session found there is put back
into Redis. Redis keeps nothing on disk and is never trusted alone: losing it signs no one out,
fails no request, and ending a session while it cannot be reached leaves only a harmless copy
(refused, and deleted when next presented or when it expires). API keys are never kept in Redis.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine

from variosync.catalog.credentials import (
    PREFIXES,
    Credential,
    CredentialCatalog,
    CredentialKind,
    digest,
)
from variosync.catalog.users import User
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
        self._link = link if link is not None and link.configured else None

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
        """The live credential a secret belongs to, with its account, always as the catalog
        has it: a session named in Redis is read by its id, any other secret by its digest."""
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
                if cached is not None:
                    credential_id = _session_id(cached)
                    if credential_id is not None:
                        found = self.resolve_session(credential_id, secret)
                        if found is not None:
                            return found
                    # ended (the catalog says so) or unreadable: drop the copy, ask by digest
                    client = self._forget(client, hashed)
        found = super().resolve_user(secret)
        if found is not None and client is not None:
            # A sign-out racing this write may leave a copy in Redis: it is refused anyway.
            self._remember(client, hashed, found[0])
        return found

    def revoke(
        self, user_id: str, credential_id: str, kind: CredentialKind | None = None
    ) -> Credential:
        """Revoke one of the user's credentials; a session leaves Redis too, if it answers."""
        ended = super().revoke(user_id, credential_id, kind)
        if ended.kind is CredentialKind.SESSION:
            self._end(user_id, credential_id)
        return ended

    def revoke_all(self, user_id: str, kind: CredentialKind) -> None:
        """Revoke every live credential of one kind; sessions leave Redis too, if it answers."""
        super().revoke_all(user_id, kind)
        if kind is CredentialKind.SESSION:
            self._end(user_id)

    # -- Redis ----------------------------------------------------------------------------------

    def _client(self) -> redis.Redis | None:
        return None if self._link is None else self._link.client()

    def _remember(self, client: redis.Redis, hashed: str, credential: Credential) -> None:
        """Write a live session to Redis, expiring with it."""
        assert self._link is not None
        if credential.expires_at is None:
            return
        left_ms = int((credential.expires_at - datetime.now(UTC)).total_seconds() * 1000)
        if left_ms <= 0:
            return
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
        else:
            self._link.succeeded()

    def _forget(self, client: redis.Redis, hashed: str) -> redis.Redis | None:
        """Delete the Redis copy of a session the catalog refused; Redis, or None if it failed."""
        assert self._link is not None
        try:
            client.delete(session_key(hashed))
        except REDIS_ERRORS as exc:
            self._link.failed(exc, "ending sessions")
            return None
        return client

    def _end(self, user_id: str, credential_id: str | None = None) -> None:
        """Take one session of a user (or all of them) out of Redis when it answers. A copy
        left there is harmless: the catalog refuses it."""
        if self._link is None or (client := self._link.client()) is None:
            return
        try:
            self._drop(client, user_id, credential_id)
        except REDIS_ERRORS as exc:
            self._link.failed(exc, "ending sessions")
        else:
            self._link.succeeded()

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
