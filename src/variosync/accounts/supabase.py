"""Supabase sign-in: a bearer JWT issued by the project's Supabase Auth, verified locally.

Asymmetric tokens (ES256/RS256) are checked against the project's JWKS
(``SUPABASE_URL/auth/v1/.well-known/jwks.json``, fetched once and cached; an unknown key id
fetches it again, at most every 30 s); legacy HS256 tokens against ``SUPABASE_JWT_SECRET``.
Signature, expiry, audience and (with a URL) issuer are checked; nothing else is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from variosync.errors import AuthError
from variosync.settings import Settings

ASYMMETRIC = ("ES256", "RS256", "EdDSA")
JWKS_PATH = "/auth/v1/.well-known/jwks.json"
JWKS_LIFESPAN_S = 600


@dataclass(frozen=True)
class SupabaseIdentity:
    """What a verified token says about its user."""

    sub: str
    email: str | None


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has a JWT's three dot-separated parts."""
    return token.count(".") == 2


class SupabaseVerifier:
    """Verifies Supabase Auth tokens for one project (inactive without a URL or secret)."""

    def __init__(self, settings: Settings) -> None:
        url = (settings.supabase_url or "").rstrip("/")
        self.issuer = url + "/auth/v1" if url else None
        self.audience = settings.supabase_audience
        secret = settings.supabase_jwt_secret
        self._secret = None if secret is None else secret.get_secret_value()
        self._jwks = (
            jwt.PyJWKClient(url + JWKS_PATH, cache_keys=True, lifespan=JWKS_LIFESPAN_S, timeout=10)
            if url
            else None
        )

    @property
    def enabled(self) -> bool:
        """Whether Supabase sign-in is configured."""
        return self._jwks is not None or self._secret is not None

    def verify(self, token: str) -> SupabaseIdentity:
        """The identity in a valid token; AuthError saying what is wrong otherwise."""
        if not self.enabled:
            raise AuthError(
                "Supabase sign-in is not configured on this server",
                hint="use an API key or a session token from /api/v1/auth/login",
            )
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed bearer token", hint="send a Supabase access token") from exc
        algorithm = str(header.get("alg", ""))
        claims = self._decode(token, algorithm)
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 64:
            raise AuthError("the token names no user (no 'sub' claim)")
        email = claims.get("email")
        return SupabaseIdentity(sub, email if isinstance(email, str) and email else None)

    def _decode(self, token: str, algorithm: str) -> dict[str, Any]:
        options: dict[str, Any] = {"require": ["exp", "sub"]}
        try:
            if algorithm == "HS256" and self._secret is not None:
                key: Any = self._secret
            elif algorithm in ASYMMETRIC and self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token)
            else:
                raise AuthError(
                    f"tokens signed with {algorithm or 'no algorithm'} are not accepted here",
                    hint="send an access token issued by this project's Supabase Auth",
                )
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options=options,  # type: ignore[arg-type]
                leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired", hint="sign in again") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("the token was issued by another project") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError(
                "cannot verify the token: the project's signing keys are unavailable",
                hint="check SUPABASE_URL; the server fetches its JWKS",
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}") from exc
        return claims
