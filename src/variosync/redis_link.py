"""The optional Redis behind the cache, the rate limits, the events and the sessions.

One :class:`RedisLink` per process holds the URL (a secret: its password is never logged or
shown), the clients, and whether Redis answered lately. Every user of Redis asks
:meth:`RedisLink.client` (None: work without Redis now) and reports what happened with
:meth:`RedisLink.failed` / :meth:`RedisLink.succeeded`. After a failure Redis is left alone for
``retry_s`` seconds, then tried again — so a lost Redis costs one failed call per interval, not
one per request, and a returning Redis is used again without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from typing import Literal
from urllib.parse import unquote

import redis
import redis.asyncio
from pydantic import SecretStr
from redis.backoff import NoBackoff
from redis.retry import Retry

from variosync.errors import ConfigError

log = logging.getLogger("variosync.redis")

KEY_PREFIX = "variosync:"
"""Every key and channel of ours starts with this (Redis may be shared with other apps)."""

CONNECT_TIMEOUT_S = 0.5
CALL_TIMEOUT_S = 1.0

REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError, asyncio.TimeoutError)
"""What a call to an unreachable, restarting or misconfigured Redis raises."""

State = Literal["ok", "down", "off"]


def redacted(url: str) -> str:
    """The URL without its password — in the user part or a ``password=`` parameter
    (``redis://:***@host:6379/0``) — for logs and messages. Works on the raw text, so a
    password holding ``/``, ``?`` or ``#`` (which a URL parser would cut) is masked too."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***"  # not a URL at all: show nothing of it
    if "@" in rest:
        userinfo, _, rest = rest.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        rest = (f"{user}:***@" if colon else f"{user}@") + rest
    where, question, query = rest.partition("?")
    if question:
        query = "&".join(
            f"{name}=***" if unquote(name).lower() == "password" else f"{name}{eq}{value}"
            for name, eq, value in (pair.partition("=") for pair in query.split("&") if pair)
        )
    return f"{scheme}://{where}" + (f"?{query}" if question else "")


def _check(url: str) -> None:
    """ConfigError, quoting nothing of the URL (it holds the password), unless Redis's client
    can use it: a typo such as a port that is not a number fails at start, not per request."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"REDIS_URL must start with redis://, rediss:// or unix:// "
            f"(got {scheme + '://' if scheme.isalnum() else 'something else'})",
            hint="e.g. REDIS_URL=redis://:password@host:6379/0",
        )
    try:
        redis.connection.parse_url(url)  # type: ignore[no-untyped-call]
    except ValueError:
        raise ConfigError(
            "REDIS_URL is not a valid Redis URL (its text is not shown: it may hold the password)",
            hint="write it as redis://[:password@]host:port[/db]; percent-encode / ? # @ "
            "in the password (%2F %3F %23 %40)",
        ) from None


class RedisLink:
    """Redis if configured, and whether to use it right now."""

    def __init__(self, url: SecretStr | None, retry_s: float = 5.0) -> None:
        self._url = url.get_secret_value() if url is not None else None
        if self._url is not None:
            _check(self._url)
        self.retry_s = retry_s
        self._down_until = 0.0
        self._outage = False
        self._lock = threading.Lock()
        self._sync: redis.Redis | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]
        self._async = weakref.WeakKeyDictionary()

    @property
    def configured(self) -> bool:
        """Whether a Redis URL was given at all."""
        return self._url is not None

    @property
    def safe_url(self) -> str:
        """The URL with its password masked ("" when none is configured)."""
        return redacted(self._url) if self._url else ""

    @property
    def url(self) -> str | None:
        """The URL itself, password included, for a library that connects on its own (the
        rate limiter's storage). Never log or show it: use :attr:`safe_url`."""
        return self._url

    def state(self) -> State:
        """off: not configured; down: failed lately (retried after ``retry_s``); ok."""
        if self._url is None:
            return "off"
        return "down" if self._outage else "ok"

    def usable(self) -> bool:
        """Configured, and not within ``retry_s`` of a failure."""
        return self._url is not None and time.monotonic() >= self._down_until

    def client(self) -> redis.Redis | None:
        """The (thread-safe, pooled) synchronous client, or None: do without Redis now."""
        if not self.usable():
            return None
        with self._lock:
            if self._sync is None:
                assert self._url is not None
                self._sync = redis.Redis.from_url(
                    self._url,
                    socket_connect_timeout=CONNECT_TIMEOUT_S,
                    socket_timeout=CALL_TIMEOUT_S,
                    retry=Retry(NoBackoff(), 0),
                    health_check_interval=30,
                )
            return self._sync

    def async_client(self) -> redis.asyncio.Redis | None:
        """The asyncio client of the running event loop, or None: do without Redis now."""
        if not self.usable():
            return None
        loop = asyncio.get_running_loop()
        with self._lock:
            found = self._async.get(loop)
            if found is None:
                assert self._url is not None
                found = redis.asyncio.Redis.from_url(
                    self._url,
                    socket_connect_timeout=CONNECT_TIMEOUT_S,
                    socket_timeout=CALL_TIMEOUT_S,
                    retry=redis.asyncio.retry.Retry(NoBackoff(), 0),
                    health_check_interval=30,
                )
                self._async[loop] = found
            return found

    def failed(self, exc: BaseException, doing: str) -> None:
        """Redis failed while ``doing`` something: go without it for ``retry_s`` seconds.
        Logged once per outage, by error type only (a message could quote the URL)."""
        with self._lock:
            self._down_until = time.monotonic() + self.retry_s
            first = not self._outage
            self._outage = True
        if first:
            log.warning(
                "Redis at %s failed (%s while %s); going on without it, retrying every %g s",
                self.safe_url,
                type(exc).__name__,
                doing,
                self.retry_s,
            )

    def succeeded(self) -> None:
        """A call to Redis worked: end an outage (logged once)."""
        if self._outage:
            with self._lock:
                back = self._outage
                self._outage = False
            if back:
                log.warning("Redis at %s answers again; using it", self.safe_url)

    def ping(self) -> bool:
        """Whether Redis answers (for /readyz): within ``retry_s`` of a failure the answer is
        no without asking (a probe must not send every request back to a hung Redis); after
        it, Redis is asked and the result recorded."""
        client = self.client()
        if client is None:
            return False
        try:
            client.ping()
        except REDIS_ERRORS as exc:
            self.failed(exc, "checking readiness")
            return False
        self.succeeded()
        return True

    async def aclose(self) -> None:
        """Close the running event loop's asyncio client (at the app's shutdown)."""
        with self._lock:
            found = self._async.pop(asyncio.get_running_loop(), None)
        if found is not None:
            with contextlib.suppress(*REDIS_ERRORS):  # connections to a Redis that is gone
                await found.aclose()

    def close(self) -> None:
        """Drop the synchronous client's connections (see :meth:`aclose` for the async one)."""
        with self._lock:
            if self._sync is not None:
                self._sync.close()
                self._sync = None
