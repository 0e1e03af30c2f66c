"""Supabase sign-in: a bearer JWT issued by the project's Supabase Auth, verified locally.

Asymmetric tokens (ES256/RS256) are checked against the project's JWKS
(``SUPABASE_URL/auth/v1/.well-known/jwks.json``, fetched once and cached for 10 minutes; an
unknown key id fetches it again, at most every 30 s, so a revoked key stops working within
minutes); legacy HS256 tokens against ``SUPABASE_JWT_SECRET``. Signature, expiry, audience and
(with a URL) issuer are checked; nothing else is trusted. While the JWKS endpoint is down, the
keys fetched last keep working.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import jwt

from variosync.errors import AuthError, ConfigError
from variosync.settings import Settings

log = logging.getLogger("variosync.accounts")

ASYMMETRIC = ("ES256", "RS256", "EdDSA")
JWKS_PATH = "/auth/v1/.well-known/jwks.json"
JWKS_LIFESPAN_S = 600
JWKS_COOLDOWN_S = 30
JWKS_TIMEOUT_S = 10


@dataclass(frozen=True)
class SupabaseIdentity:
    """What a verified token says about its user."""

    sub: str
    email: str | None


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has a JWT's three dot-separated parts."""
    return token.count(".") == 2


class _JwksClient(jwt.PyJWKClient):
    """PyJWT's JWKS client, plus: a body that is not JSON counts as the endpoint failing, and
    when a refetch fails the keys fetched last are kept (an outage signs nobody out).

    No per-key cache (``cache_keys``): it never expires, so a key the project revokes would
    stay trusted until a restart. The JWK-set cache (``lifespan``) is the only cache.
    """

    def __init__(self, uri: str) -> None:
        super().__init__(
            uri,
            cache_keys=False,
            lifespan=JWKS_LIFESPAN_S,
            timeout=JWKS_TIMEOUT_S,
            cooldown_duration=JWKS_COOLDOWN_S,
        )
        self._last_good: jwt.PyJWKSet | None = None

    def fetch_data(self) -> Any:
        try:
            return super().fetch_data()
        except jwt.PyJWKClientConnectionError:
            raise
        except (ValueError, jwt.PyJWKClientError) as exc:  # an error page, not a JWK set
            raise jwt.PyJWKClientConnectionError(
                "the JWKS endpoint did not return a JSON object"
            ) from exc

    def get_jwk_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        try:
            found = super().get_jwk_set(refresh)
        except jwt.PyJWKClientConnectionError as exc:
            if self._last_good is None:
                raise
            log.warning("Supabase JWKS unavailable, keeping the keys fetched last: %s", exc)
            if self.jwk_set_cache is not None:
                self.jwk_set_cache.put(self._last_good)  # retried when this lifespan ends
            return self._last_good
        self._last_good = found
        return found


class SupabaseVerifier:
    """Verifies Supabase Auth tokens for one project (inactive without a URL or secret)."""

    def __init__(self, settings: Settings) -> None:
        url = (settings.supabase_url or "").rstrip("/")
        self.issuer = url + "/auth/v1" if url else None
        self.audience = settings.supabase_audience
        secret = settings.supabase_jwt_secret
        self._secret = None if secret is None else secret.get_secret_value() or None
        try:
            self._jwks = _JwksClient(url + JWKS_PATH) if url else None
        except jwt.PyJWKClientError as exc:  # not http(s)
            raise ConfigError(
                f"SUPABASE_URL is not an http(s) URL: {url[:100]!r}",
                hint="use the project URL, e.g. https://<project>.supabase.co",
            ) from exc

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
        algorithm = header.get("alg")
        claims = self._decode(token, algorithm if isinstance(algorithm, str) else "")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 64:
            raise AuthError("the token names no user (no 'sub' claim)")
        email = claims.get("email")
        return SupabaseIdentity(sub, email if isinstance(email, str) and email else None)

    def _decode(self, token: str, algorithm: str) -> dict[str, Any]:
        options: dict[str, Any] = {"require": ["exp", "sub"]}
        again = "sign in again"
        try:
            if algorithm == "HS256" and self._secret is not None:
                key: Any = self._secret
            elif algorithm in ASYMMETRIC and self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token)
            else:
                raise AuthError(
                    f"tokens signed with {algorithm[:20] or 'no algorithm'} are not accepted here",
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
            raise AuthError("the token has expired", hint=again) from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("the token was issued by another project") from exc
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("Supabase JWKS unavailable: %s", exc)
            raise AuthError(
                "cannot verify the token: the project's signing keys are unavailable",
                hint="try again later; the operator should check SUPABASE_URL",
            ) from exc
        except jwt.PyJWKSetError as exc:
            raise AuthError(
                "cannot verify the token: the project publishes no usable signing keys",
                hint="the operator should check SUPABASE_URL or set SUPABASE_JWT_SECRET",
            ) from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError(
                "the token is signed with a key this project does not publish", hint=again
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}", hint=again) from exc
        return claims
