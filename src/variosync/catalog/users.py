"""User accounts in the catalog: create, look up (by id, email or Supabase subject), list,
change role, disable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from variosync.catalog.tables import UserRow
from variosync.errors import ConflictError, NotFoundError, StorageError


class Role(StrEnum):
    """What an account may do: users own datasets; admins also manage accounts and hours."""

    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    """An account, detached from the database (never carries the password hash)."""

    id: str
    email: str
    role: Role
    disabled: bool
    created_at: datetime
    supabase_sub: str | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the account may manage other accounts."""
        return self.role is Role.ADMIN


def user_from(row: UserRow | Row[Any] | Any) -> User:
    """An account from a row of the users table (or an object with its columns)."""
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return User(row.id, row.email, Role(row.role), row.disabled, created, row.supabase_sub)


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


class UserCatalog:
    """Accounts of one catalog database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        email: str,
        password_hash: str | None,
        role: Role = Role.USER,
        supabase_sub: str | None = None,
    ) -> User:
        """A new account; ConflictError if the email (or Supabase subject) is taken."""
        values = {
            "id": uuid.uuid4().hex,
            "email": normalise_email(email),
            "password_hash": password_hash,
            "supabase_sub": supabase_sub,
            "role": role.value,
            "disabled": False,
            "created_at": datetime.now(UTC),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(UserRow).values(**values))
        except IntegrityError as exc:
            raise ConflictError(
                f"an account for {values['email']!r} already exists",
                hint="sign in instead, or use another email",
            ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot create the account: {type(exc).__name__}") from exc
        return self.get(str(values["id"]))

    def _one(self, *where: Any) -> Row[Any] | None:
        table = UserRow.__table__
        try:
            with self._engine.connect() as connection:
                return connection.execute(select(table).where(*where)).first()
        except SQLAlchemyError as exc:
            raise StorageError(f"account lookup failed: {type(exc).__name__}") from exc

    def get(self, user_id: str) -> User:
        """The account with this id; NotFoundError if there is none."""
        row = self._one(UserRow.__table__.c.id == user_id)
        if row is None:
            raise NotFoundError("no such user", hint="`variosync users list` lists the accounts")
        return user_from(row)

    def by_email(self, email: str) -> User | None:
        """The account registered with ``email``, if any."""
        row = self._one(UserRow.__table__.c.email == normalise_email(email))
        return None if row is None else user_from(row)

    def password_hash(self, user_id: str) -> str | None:
        """The stored argon2 hash of an account's password (None: no password sign-in)."""
        row = self._one(UserRow.__table__.c.id == user_id)
        return None if row is None else row.password_hash

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace the stored hash (after a rehash with stronger parameters)."""
        self._set(user_id, password_hash=password_hash)

    def by_supabase_sub(self, sub: str) -> User | None:
        """The account linked to a Supabase Auth subject, if any."""
        row = self._one(UserRow.__table__.c.supabase_sub == sub)
        return None if row is None else user_from(row)

    def list(self) -> list[User]:
        """Every account, oldest first."""
        table = UserRow.__table__
        with self._engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.created_at, table.c.id))
            return [user_from(row) for row in rows]

    def set_disabled(self, user_id: str, disabled: bool) -> User:
        """Disable (or enable again) an account: a disabled account cannot sign in or use keys."""
        self._set(user_id, disabled=disabled)
        return self.get(user_id)

    def set_role(self, user_id: str, role: Role) -> User:
        """Make an account a user or an admin."""
        self._set(user_id, role=role.value)
        return self.get(user_id)

    def _set(self, user_id: str, **values: Any) -> None:
        table = UserRow.__table__
        with self._engine.begin() as connection:
            done = connection.execute(update(UserRow).where(table.c.id == user_id).values(**values))
        if done.rowcount == 0:
            raise NotFoundError("no such user", hint="`variosync users list` lists the accounts")
