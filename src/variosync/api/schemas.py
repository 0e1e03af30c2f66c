"""Request and response bodies shared by several route modules."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from variosync.catalog.users import Role, User


class UserOut(BaseModel):
    """An account as the API shows it (never a password hash)."""

    id: str
    email: str
    role: Role
    disabled: bool
    created_at: datetime
    supabase: bool = Field(description="Signs in through Supabase Auth")

    @classmethod
    def of(cls, user: User) -> UserOut:
        """The API view of an account."""
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            disabled=user.disabled,
            created_at=user.created_at,
            supabase=user.supabase_sub is not None,
        )


class Credentials(BaseModel):
    """Email and password of a built-in account."""

    email: str = Field(min_length=3, max_length=254, examples=["ada@example.com"])
    password: str = Field(min_length=1, max_length=256)
