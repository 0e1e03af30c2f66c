"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from variosync.errors import UsageError

MIN_LENGTH = 8
MAX_LENGTH = 256
_HASHER = PasswordHasher()


def check_password(password: str) -> str:
    """Return ``password`` if it is acceptable, else raise a UsageError saying why."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise UsageError(
            f"a password needs {MIN_LENGTH} to {MAX_LENGTH} characters",
            hint="choose a longer password (a passphrase of a few words works well)",
        )
    return password


def hash_password(password: str) -> str:
    """The argon2id hash to store for ``password``."""
    return _HASHER.hash(check_password(password))


def verify_password(stored: str, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and a new hash to store when the stored one
    was made with weaker parameters than today's."""
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, _HASHER.hash(password) if _HASHER.check_needs_rehash(stored) else None


def burn_time(password: str) -> None:
    """Spend a verification's time on an unknown account, so timing does not reveal which
    emails are registered."""
    verify_password(_DUMMY, password)


_DUMMY = _HASHER.hash("variosync-timing-equaliser")
