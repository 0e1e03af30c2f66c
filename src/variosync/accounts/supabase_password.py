"""Signing in with a Supabase email and password (the dashboard's "Sign in with Supabase"):
the project's Auth server checks the password (``POST /auth/v1/token?grant_type=password``
with the anon key) and answers with an access token, which is then verified like any Supabase
bearer token (:class:`~variosync.accounts.supabase.SupabaseVerifier`) — the answer itself is
never trusted on its own. Neither the password nor the token is logged or quoted in an error.
"""

from __future__ import annotations

from typing import Any

import httpx

from variosync.errors import AuthError, ConfigError, ForbiddenError, RateLimitedError, UpstreamError
from variosync.settings import Settings

TOKEN_PATH = "/auth/v1/token"  # noqa: S105 - a URL path, not a secret
TIMEOUT_S = 10.0


def _reason(body: Any) -> str:
    """Supabase Auth's error code (``error_code`` now, ``error`` in older versions)."""
    if not isinstance(body, dict):
        return ""
    for name in ("error_code", "error"):
        value = body.get(name)
        if isinstance(value, str):
            return value
    return ""


class SupabasePasswordSignIn:
    """The password grant of one Supabase project (inactive without URL and anon key)."""

    def __init__(self, settings: Settings) -> None:
        self._url = (settings.supabase_url or "").rstrip("/")
        key = settings.supabase_anon_key
        self._key = None if key is None else key.get_secret_value() or None

    @property
    def enabled(self) -> bool:
        """Whether users can sign in with a Supabase email and password here."""
        return bool(self._url) and self._key is not None

    def access_token(self, email: str, password: str) -> str:
        """The project's access token for these credentials; AuthError when Supabase refuses
        them, UpstreamError when it cannot be asked."""
        if not self.enabled or self._key is None:
            raise ConfigError(
                "Supabase sign-in is not configured on this server",
                hint="set SUPABASE_URL and SUPABASE_ANON_KEY",
            )
        headers = {"apikey": self._key, "Authorization": f"Bearer {self._key}"}
        try:
            response = httpx.post(
                self._url + TOKEN_PATH,
                params={"grant_type": "password"},
                json={"email": email.strip(), "password": password},
                headers=headers,
                timeout=TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"Supabase Auth did not answer ({type(exc).__name__})",
                hint="try again in a moment, or sign in with a VarioSync account",
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict):
            token = body.get("access_token")
            if isinstance(token, str) and token:
                return token
        reason = _reason(body)
        if response.status_code == 429:
            raise RateLimitedError(
                "Supabase Auth refused: too many sign-in attempts", retry_after_s=60
            )
        if reason == "email_not_confirmed":
            raise ForbiddenError(
                "this Supabase account's email is not confirmed yet",
                hint="open the confirmation link Supabase sent, then sign in again",
            )
        if response.status_code in (400, 401, 422) and reason:
            raise AuthError("wrong email or password", hint="check both (your Supabase account)")
        raise UpstreamError(
            f"Supabase Auth answered HTTP {response.status_code} without a token",
            hint="try again in a moment, or sign in with a VarioSync account",
        )
