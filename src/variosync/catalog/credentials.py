"""API keys and login sessions: random secrets of which only a SHA-256 digest is stored.

The secrets are 32 random bytes, so a fast digest is as safe as a slow password hash and keeps
every authenticated request cheap; passwords (low entropy) use argon2 instead.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from variosync.catalog.tables import CredentialRow, UserRow
from variosync.catalog.users import User, user_from
from variosync.errors import NotFoundError, StorageError


class CredentialKind(StrEnum):
    """An API key (until revoked) or a login session (until it expires or signs out)."""

    API_KEY = "api_key"
    SESSION = "session"


PREFIXES = {CredentialKind.API_KEY: "vs_", CredentialKind.SESSION: "vss_"}
SHOWN = 11
"""Characters of a secret kept to recognise it in listings (``vs_`` and 8 more)."""


@dataclass(frozen=True)
class Credential:
    """A stored key or session, without its secret."""

    id: str
    user_id: str
    kind: CredentialKind
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _credential(row: Row[Any]) -> Credential:
    return Credential(
        row.id,
        row.user_id,
        CredentialKind(row.kind),
        row.name,
        row.prefix,
        _utc(row.created_at) or row.created_at,
        _utc(row.expires_at),
        _utc(row.last_used_at),
        _utc(row.revoked_at),
    )


class CredentialCatalog:
    """API keys and sessions of one catalog database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def issue(
        self,
        user_id: str,
        kind: CredentialKind,
        name: str = "",
        lifetime: timedelta | None = None,
    ) -> tuple[Credential, str]:
        """A new credential and its secret (returned once, never stored)."""
        secret = PREFIXES[kind] + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        values = {
            "id": uuid.uuid4().hex,
            "user_id": user_id,
            "kind": kind.value,
            "name": name,
            "prefix": secret[:SHOWN],
            "secret_hash": digest(secret),
            "created_at": now,
            "expires_at": None if lifetime is None else now + lifetime,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(CredentialRow).values(**values))
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot store the credential: {type(exc).__name__}") from exc
        found = self._by_id(str(values["id"]))
        assert found is not None
        return found, secret

    def _by_id(self, credential_id: str) -> Credential | None:
        table = CredentialRow.__table__
        with self._engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.id == credential_id)).first()
        return None if row is None else _credential(row)

    def resolve(self, secret: str) -> tuple[Credential, str] | None:
        """The live credential a secret belongs to and its user's id; None when the secret is
        unknown, revoked or expired. The owner must still be checked for ``disabled``."""
        found = self.resolve_user(secret)
        return None if found is None else (found[0], found[1].id)

    def resolve_user(self, secret: str) -> tuple[Credential, User] | None:
        """The live credential a secret belongs to, with its account, in one lookup (every
        authenticated request makes it); None when unknown, revoked or expired."""
        return self._live(CredentialRow.__table__.c.secret_hash == digest(secret))

    def resolve_session(self, credential_id: str, secret: str) -> tuple[Credential, User] | None:
        """The live session of this id, if ``secret`` is its secret, with its account: one
        lookup by primary key; None when unknown, revoked, expired or not that secret's."""
        table = CredentialRow.__table__
        return self._live(
            table.c.id == credential_id,
            table.c.secret_hash == digest(secret),
            table.c.kind == CredentialKind.SESSION.value,
        )

    def _live(self, *where: Any) -> tuple[Credential, User] | None:
        table, users = CredentialRow.__table__, UserRow.__table__
        owner = [c.label("owner_" + c.name) for c in users.c]
        query = select(table, *owner).join(users, users.c.id == table.c.user_id).where(*where)
        try:
            with self._engine.connect() as connection:
                row = connection.execute(query).first()
        except SQLAlchemyError as exc:
            raise StorageError(f"credential lookup failed: {type(exc).__name__}") from exc
        if row is None:
            return None
        found = _credential(row)
        now = datetime.now(UTC)
        if found.revoked_at is not None or (found.expires_at and found.expires_at <= now):
            return None
        account = {c.name: row._mapping["owner_" + c.name] for c in users.c}
        return found, user_from(SimpleNamespace(**account))

    def touch(self, credential_id: str) -> None:
        """Record that a key was used (at most once a minute per key costs a write)."""
        table = CredentialRow.__table__
        now = datetime.now(UTC)
        stale = now - timedelta(minutes=1)
        with self._engine.begin() as connection:
            connection.execute(
                update(CredentialRow)
                .where(table.c.id == credential_id)
                .where((table.c.last_used_at.is_(None)) | (table.c.last_used_at < stale))
                .values(last_used_at=now)
            )

    def list(self, user_id: str, kind: CredentialKind = CredentialKind.API_KEY) -> list[Credential]:
        """A user's credentials of one kind, newest first (revoked ones included)."""
        table = CredentialRow.__table__
        query = (
            select(table)
            .where(table.c.user_id == user_id, table.c.kind == kind.value)
            .order_by(table.c.created_at.desc(), table.c.id)
        )
        with self._engine.connect() as connection:
            return [_credential(row) for row in connection.execute(query)]

    def revoke(
        self, user_id: str, credential_id: str, kind: CredentialKind | None = None
    ) -> Credential:
        """Revoke one of the user's credentials (of ``kind``, when given); another user's, or
        one of another kind, answers NotFoundError."""
        table = CredentialRow.__table__
        now = datetime.now(UTC)
        query = (
            update(CredentialRow)
            .where(table.c.id == credential_id, table.c.user_id == user_id)
            .where(table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if kind is not None:
            query = query.where(table.c.kind == kind.value)
        with self._engine.begin() as connection:
            connection.execute(query)
        found = self._by_id(credential_id)
        if found is None or found.user_id != user_id or kind not in (None, found.kind):
            raise NotFoundError("no such API key", hint="list your keys to find its id")
        return found

    def revoke_secret(self, secret: str) -> Credential | None:
        """Revoke the credential a secret belongs to (sign-out); None if it is not live."""
        resolved = self.resolve(secret)
        if resolved is None:
            return None
        return self.revoke(resolved[1], resolved[0].id)

    def revoke_all(self, user_id: str, kind: CredentialKind) -> None:
        """Revoke every live credential of one kind (a disabled account's sessions)."""
        table = CredentialRow.__table__
        with self._engine.begin() as connection:
            connection.execute(
                update(CredentialRow)
                .where(table.c.user_id == user_id, table.c.kind == kind.value)
                .where(table.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
