"""The one settings object, built at the entry point and passed down.

Names are ``VARIOSYNC_*`` plus the names the reference system's users already have in their
environments (``DATABASE_URL``, ``AWS_*``, ``WASABI_*``). Nothing here connects to anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything VarioSync can be configured with."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    home: Path = Field(
        default_factory=lambda: Path.home() / ".variosync",
        validation_alias=_env("VARIOSYNC_HOME", "home"),
        description="Folder of the embedded catalog (SQLite) and the local Delta store.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=_env("VARIOSYNC_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="Catalog database; default: SQLite file in the home folder.",
    )
    store_url: str | None = Field(
        default=None,
        validation_alias=_env("VARIOSYNC_STORE_URL", "store_url"),
        description="Where Delta tables live: a folder or s3://bucket/prefix; default: home/store.",
    )
    s3_bucket: str | None = Field(
        default=None,
        validation_alias=_env("AWS_BUCKET_NAME", "WASABI_BUCKET", "s3_bucket"),
        description="S3 bucket used when no store URL is given.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        validation_alias=_env("AWS_ENDPOINT_URL", "WASABI_ENDPOINT", "s3_endpoint_url"),
        description="S3-compatible endpoint (Wasabi, R2, MinIO, Supabase Storage).",
    )
    s3_region: str = Field(
        default="us-east-1",
        validation_alias=_env("AWS_REGION", "AWS_DEFAULT_REGION", "WASABI_REGION", "s3_region"),
    )
    s3_access_key_id: SecretStr | None = Field(
        default=None,
        validation_alias=_env("AWS_ACCESS_KEY_ID", "WASABI_ACCESS_KEY", "s3_access_key_id"),
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env("AWS_SECRET_ACCESS_KEY", "WASABI_SECRET_KEY", "s3_secret_access_key"),
    )
    s3_allow_http: bool = Field(
        default=False,
        validation_alias=_env("VARIOSYNC_S3_ALLOW_HTTP", "s3_allow_http"),
        description="Allow a plain-HTTP endpoint (local MinIO or test servers).",
    )
    ingest_batch_rows: int = Field(
        default=500_000,
        ge=1_000,
        validation_alias=_env("VARIOSYNC_INGEST_BATCH_ROWS", "ingest_batch_rows"),
        description="Rows per batch when a file is read in pieces.",
    )
    ingest_memory_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=0,
        validation_alias=_env("VARIOSYNC_INGEST_MEMORY_BYTES", "ingest_memory_bytes"),
        description=(
            "Inputs up to this size (on disk, and once read) are deduplicated in memory; "
            "larger ones are spilled to local disk in hash buckets of series."
        ),
    )
    profile_on_write: bool = Field(
        default=True,
        validation_alias=_env("VARIOSYNC_PROFILE_ON_WRITE", "profile_on_write"),
        description=(
            "Profile the data quality of every new version (ingest, clean, restore) and store "
            "it with the version, for `info` and `profile`; off, profiles are made on request."
        ),
    )

    host: str = Field(
        default="127.0.0.1",
        validation_alias=_env("VARIOSYNC_HOST", "host"),
        description="Address `variosync serve` listens on (0.0.0.0 for every interface).",
    )
    port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        validation_alias=_env("PORT", "VARIOSYNC_PORT", "port"),
        description="Port `variosync serve` listens on.",
    )
    upload_max_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024,
        ge=1,
        validation_alias=_env("VARIOSYNC_UPLOAD_MAX_BYTES", "upload_max_bytes"),
        description="Largest upload the server accepts, in bytes (larger ones answer 413).",
    )
    upload_max_unpacked_bytes: int = Field(
        default=20 * 1024 * 1024 * 1024,
        ge=1,
        validation_alias=_env("VARIOSYNC_UPLOAD_MAX_UNPACKED_BYTES", "upload_max_unpacked_bytes"),
        description="Largest size a compressed upload may unpack to (a zip bomb answers 413).",
    )
    open_signup: bool = Field(
        default=True,
        validation_alias=_env("VARIOSYNC_OPEN_SIGNUP", "open_signup"),
        description="Let anyone register an account through the API; off, admins create them.",
    )
    signup_hours: float = Field(
        default=1.0,
        ge=0,
        validation_alias=_env("VARIOSYNC_SIGNUP_HOURS", "signup_hours"),
        description="Hours granted to a new account (a trial); 0 grants none.",
    )
    enforce_payment: bool = Field(
        default=True,
        validation_alias=_env("VARIOSYNC_ENFORCE_PAYMENT", "enforce_payment"),
        description=(
            "Debit metered operations from the user's hour balance and refuse (402) what it "
            "cannot cover; off (self-hosted), nothing is debited."
        ),
    )
    metered_query_rows: int = Field(
        default=1_000_000,
        ge=0,
        validation_alias=_env("VARIOSYNC_METERED_QUERY_ROWS", "metered_query_rows"),
        description="Queries that may read more rows than this are metered; smaller ones are free.",
    )
    session_hours: float = Field(
        default=336.0,
        gt=0,
        validation_alias=_env("VARIOSYNC_SESSION_HOURS", "session_hours"),
        description="How long a login session stays valid (default 14 days).",
    )
    supabase_url: str | None = Field(
        default=None,
        validation_alias=_env("SUPABASE_URL", "supabase_url"),
        description=(
            "Supabase project URL: its Auth JWTs are accepted, verified against the project's "
            "JWKS (/auth/v1/.well-known/jwks.json)."
        ),
    )
    supabase_jwt_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_env("SUPABASE_JWT_SECRET", "supabase_jwt_secret"),
        description="The project's legacy HS256 JWT secret (instead of or beside the JWKS).",
    )
    supabase_anon_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env("SUPABASE_ANON_KEY", "supabase_anon_key"),
        description=(
            "The project's anon (publishable) key: with SUPABASE_URL, the dashboard signs users "
            "in with their Supabase email and password."
        ),
    )
    supabase_audience: str = Field(
        default="authenticated",
        validation_alias=_env("SUPABASE_JWT_AUDIENCE", "supabase_audience"),
        description="The `aud` a Supabase token must carry.",
    )

    session_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_env("VARIOSYNC_SESSION_SECRET", "session_secret"),
        description=(
            "Key signing the dashboard's session cookies; give every replica the same. "
            "Default: one made once and kept in the home folder."
        ),
    )
    redis_url: SecretStr | None = Field(
        default=None,
        validation_alias=_env("VARIOSYNC_REDIS_URL", "REDIS_URL", "redis_url"),
        description=(
            "Redis for the shared query cache, rate limits, events and sessions "
            "(redis://[:password@]host:port[/db], rediss:// for TLS); without it each process "
            "keeps its own. The server runs on when Redis is unreachable."
        ),
    )
    redis_retry_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        validation_alias=_env("VARIOSYNC_REDIS_RETRY_S", "redis_retry_s"),
        description="After Redis failed, how long to work without it before trying again (s).",
    )
    cache_ttl_s: int = Field(
        default=600,
        ge=0,
        validation_alias=_env("VARIOSYNC_CACHE_TTL_S", "cache_ttl_s"),
        description="How long a cached query result is kept, in seconds; 0 turns the cache off.",
    )
    cache_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=0,
        validation_alias=_env("VARIOSYNC_CACHE_MAX_BYTES", "cache_max_bytes"),
        description=(
            "Size cap of the in-process cache (least recently used results go first); "
            "a result larger than an eighth of it is never cached, in Redis either."
        ),
    )
    rate_limits_enabled: bool = Field(
        default=True,
        validation_alias=_env("VARIOSYNC_RATE_LIMITS", "rate_limits_enabled"),
        description="Enforce rate limits (per user and per client address).",
    )
    rate_limits_user: str = Field(
        default="",
        validation_alias=_env("VARIOSYNC_RATE_LIMITS_USER", "rate_limits_user"),
        description=(
            "Per-user limits of the `user` role, over the defaults: `budget=limit;…`, e.g. "
            "`query=300/minute;upload=30/hour` (budgets: auth, upload, query, export, other)."
        ),
    )
    rate_limits_admin: str = Field(
        default="",
        validation_alias=_env("VARIOSYNC_RATE_LIMITS_ADMIN", "rate_limits_admin"),
        description="Per-user limits of the `admin` role, over the defaults (same form).",
    )
    rate_limits_ip: str = Field(
        default="",
        validation_alias=_env("VARIOSYNC_RATE_LIMITS_IP", "rate_limits_ip"),
        description=(
            "Per-client-address limits over the defaults (same form); `auth` is the "
            "brute-force budget: sign-ins, registrations and refused credentials."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        validation_alias=_env("VARIOSYNC_TRUSTED_PROXIES", "trusted_proxies"),
        description=(
            "Comma-separated addresses or CIDR ranges of the proxies in front of the server "
            "(Cloudflare's, your load balancer's). Only a request from one of them has its "
            "client address taken from CF-Connecting-IP or X-Forwarded-For."
        ),
    )

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def catalog_url(self) -> str:
        """The SQLAlchemy URL of the catalog."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgres://"):
                url = "postgresql://" + url.removeprefix("postgres://")
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.home / 'catalog.sqlite'}"

    @property
    def store_root(self) -> str:
        """Root URI of the Delta store (a local path or an s3:// URI)."""
        if self.store_url:
            return self.store_url.rstrip("/")
        if self.s3_bucket:
            return f"s3://{self.s3_bucket}/variosync"
        return str(self.home / "store")

    def storage_options(self) -> dict[str, str]:
        """Object-store options for deltalake; empty for a local store."""
        if not self.store_root.startswith("s3://"):
            return {}
        options: dict[str, Any] = {"AWS_REGION": self.s3_region}
        if self.s3_endpoint_url:
            options["AWS_ENDPOINT_URL"] = self.s3_endpoint_url
        if self.s3_access_key_id:
            options["AWS_ACCESS_KEY_ID"] = self.s3_access_key_id.get_secret_value()
        if self.s3_secret_access_key:
            options["AWS_SECRET_ACCESS_KEY"] = self.s3_secret_access_key.get_secret_value()
        if self.s3_allow_http or (self.s3_endpoint_url or "").startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
        # Conditional PUT makes concurrent Delta commits safe on S3 without a lock service.
        options["conditional_put"] = "etag"
        return {k: str(v) for k, v in options.items()}
