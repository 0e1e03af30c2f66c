"""Rate limits: budgets per account and per client address, counted by the ``limits``
library's sliding-window counter — atomically in Redis when configured (one global limit for
every server process), in process memory otherwise or while Redis is unreachable.

Five budgets: ``auth`` (of a client address: sign-ins, registrations and refused
credentials; of an account: sign-in attempts with its email — the brute-force budgets),
``upload``, ``query`` (queries and aggregates), ``export`` and ``other`` (everything else).
Accounts are limited by their role's budgets (``user``, ``admin``), client addresses by the
``ip`` budgets (an IPv6 client by its /64); a request spends from both.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import re
import time
import weakref
from dataclasses import dataclass
from typing import Literal

import limits
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from variosync.errors import ConfigError, RateLimitedError
from variosync.redis_link import KEY_PREFIX, REDIS_ERRORS, RedisLink
from variosync.settings import Settings

BUDGETS = ("auth", "upload", "query", "export", "other")
Scope = Literal["ip", "user", "admin"]

_FAILURES: tuple[type[BaseException], ...] = (StorageError, *REDIS_ERRORS)

DEFAULTS: dict[Scope, dict[str, str]] = {
    "ip": {
        "auth": "20/minute",
        "upload": "300/hour",
        "query": "3000/minute",
        "export": "600/hour",
        "other": "3000/minute",
    },
    "user": {
        "auth": "10/minute",
        "upload": "120/hour",
        "query": "600/minute",
        "export": "60/hour",
        "other": "1200/minute",
    },
    "admin": {
        "upload": "1200/hour",
        "query": "3000/minute",
        "export": "600/hour",
        "other": "6000/minute",
    },
}
_SETTING = {"ip": "VARIOSYNC_RATE_LIMITS_IP", "user": "VARIOSYNC_RATE_LIMITS_USER"}
_SETTING["admin"] = "VARIOSYNC_RATE_LIMITS_ADMIN"

_ROUTE_BUDGETS = (
    ("POST", re.compile(r"/auth/(login|register)"), "auth"),
    ("POST", re.compile(r"/datasets/[^/]+/upload"), "upload"),
    ("GET", re.compile(r"/datasets/[^/]+/(query|aggregates)"), "query"),
    ("GET", re.compile(r"/datasets/[^/]+/export"), "export"),
)


def budget_of(method: str, path: str) -> str:
    """The budget a request spends from, by its method and its path under ``/api/v1`` (a
    route's whole path: ``/nothing/upload`` is no upload). HEAD spends like GET."""
    method = "GET" if method == "HEAD" else method
    for verb, pattern, budget in _ROUTE_BUDGETS:
        if method == verb and pattern.fullmatch(path):
            return budget
    return "other"


def client_key(address: str) -> str:
    """Whom an address's budgets are counted for: an IPv4 address, or an IPv6 address's /64
    (one subscriber's network holds 2⁶⁴ addresses; counting each would give each its own)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def signin_key(email: str) -> str:
    """Whom sign-in attempts are counted for: the email signed in with (hashed; it may not be
    an account)."""
    return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _parse(scope: Scope, text: str) -> dict[str, limits.RateLimitItem]:
    spelled = dict(DEFAULTS[scope])
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        budget, _, value = entry.partition("=")
        budget = budget.strip()
        if budget not in BUDGETS or (budget == "auth" and scope == "admin"):
            allowed = BUDGETS if scope != "admin" else BUDGETS[1:]
            raise ConfigError(
                f"{_SETTING[scope]}: unknown budget {budget!r} in {entry!r}",
                hint=f"budgets: {', '.join(allowed)}; e.g. query=300/minute;upload=30/hour",
            )
        spelled[budget] = value.strip()
    parsed: dict[str, limits.RateLimitItem] = {}
    for budget, value in spelled.items():
        try:
            parsed[budget] = limits.parse(value)
        except ValueError:
            raise ConfigError(
                f"{_SETTING[scope]}: {budget}={value!r} is not a rate",
                hint="write it as N/second, N/minute, N/hour or N/day, e.g. 300/minute",
            ) from None
    return parsed


@dataclass(frozen=True)
class Policy:
    """The limit of every budget, per scope (the client address, and each account role)."""

    items: dict[Scope, dict[str, limits.RateLimitItem]]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """Defaults with the settings' overrides; ConfigError naming a bad entry."""
        overrides: dict[Scope, str] = {
            "ip": settings.rate_limits_ip,
            "user": settings.rate_limits_user,
            "admin": settings.rate_limits_admin,
        }
        return cls({scope: _parse(scope, text) for scope, text in overrides.items()})


@dataclass(frozen=True)
class Budget:
    """What is left of one budget after a request (the X-RateLimit-* headers)."""

    scope: Literal["client", "account"]
    name: str
    limit: int
    window_s: int
    remaining: int
    reset_at: float
    allowed: bool = True

    def retry_after_s(self) -> int:
        """Whole seconds until one more request fits (at least 1)."""
        return max(1, math.ceil(self.reset_at - time.time()))

    def refusal(self) -> RateLimitedError:
        """The 429 for a request this budget could not take."""
        whose = "this account" if self.scope == "account" else "this client address"
        if self.scope == "account" and self.name == "auth":
            return RateLimitedError(
                f"too many sign-in attempts for this account: {self.limit} per "
                f"{_window_words(self.window_s)} are allowed",
                retry_after_s=self.retry_after_s(),
            )
        return RateLimitedError(
            f"too many {self.name} requests: {whose} may make {self.limit} per "
            f"{_window_words(self.window_s)}",
            retry_after_s=self.retry_after_s(),
        )


def _window_words(seconds: int) -> str:
    for size, word in ((86_400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return word if count == 1 else f"{count} {word}s"
    return f"{seconds} s"


def tightest(budgets: list[Budget]) -> Budget | None:
    """The budget to report: the one with the fewest requests left (then the smallest)."""
    return min(budgets, key=lambda b: (b.remaining, b.limit), default=None)


class RateLimiter:
    """Counts requests against budgets: in Redis when it answers, in memory otherwise."""

    def __init__(self, policy: Policy, link: RedisLink, enabled: bool = True) -> None:
        self.policy = policy
        self.link = link
        self.enabled = enabled
        self._redis: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, SlidingWindowCounterRateLimiter
        ] = weakref.WeakKeyDictionary()
        self._memory: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, SlidingWindowCounterRateLimiter
        ] = weakref.WeakKeyDictionary()

    def backend(self) -> Literal["redis", "memory"]:
        """Where budgets are counted right now."""
        return "redis" if self.link.usable() else "memory"

    def _in_memory(self) -> SlidingWindowCounterRateLimiter:
        loop = asyncio.get_running_loop()
        found = self._memory.get(loop)
        if found is None:
            found = self._memory[loop] = SlidingWindowCounterRateLimiter(MemoryStorage())
        return found

    def _in_redis(self) -> SlidingWindowCounterRateLimiter | None:
        client = self.link.async_client()
        url = self.link.url
        if client is None or url is None:
            return None
        loop = asyncio.get_running_loop()
        found = self._redis.get(loop)
        if found is None:
            uri = "async+" + (url.replace("unix://", "redis+unix://", 1))
            storage = RedisStorage(
                uri,
                implementation="redispy",
                key_prefix=KEY_PREFIX + "limits",
                wrap_exceptions=True,
                connection_pool=client.connection_pool,  # type: ignore[arg-type]
            )
            found = self._redis[loop] = SlidingWindowCounterRateLimiter(storage)
        return found

    async def _count(self, item: limits.RateLimitItem, key: tuple[str, str], spend: bool) -> Budget:
        limiter = self._in_redis()
        if limiter is not None:
            try:
                return await self._counted(limiter, item, key, spend)
            except _FAILURES as exc:
                self.link.failed(exc, "counting a rate limit")
        return await self._counted(self._in_memory(), item, key, spend)

    async def _counted(
        self,
        limiter: SlidingWindowCounterRateLimiter,
        item: limits.RateLimitItem,
        key: tuple[str, str],
        spend: bool,
    ) -> Budget:
        allowed = await limiter.hit(item, *key) if spend else True
        stats = await limiter.get_window_stats(item, *key)
        if limiter is not self._memory.get(asyncio.get_running_loop()):
            self.link.succeeded()
        scope: Literal["client", "account"] = "client" if key[0].startswith("ip:") else "account"
        return Budget(
            scope,
            key[1],
            item.amount,
            item.get_expiry(),
            stats.remaining,
            stats.reset_time,
            allowed,
        )

    async def spend(self, scope: Scope, who: str, budget: str) -> Budget | None:
        """Spend one request of ``who``'s ``budget``; None when that scope has no such
        budget (accounts have no ``auth`` budget) or limits are off."""
        item = self.policy.items[scope].get(budget)
        if not self.enabled or item is None:
            return None
        prefix = "ip:" if scope == "ip" else "user:"
        return await self._count(item, (prefix + who, budget), spend=True)

    async def charge(
        self, scope: Scope, who: str, budget: str, seen: list[Budget] | None = None
    ) -> None:
        """:meth:`spend`, adding the budget to ``seen`` (the response's headers report the
        tightest), then RateLimitedError (429) when it had nothing left."""
        spent = await self.spend(scope, who, budget)
        if spent is None:
            return
        if seen is not None:
            seen.append(spent)
        if not spent.allowed:
            raise spent.refusal()

    async def left(self, scope: Scope, who: str, budget: str) -> Budget | None:
        """What is left of ``who``'s ``budget``, spending nothing; None as for :meth:`spend`."""
        item = self.policy.items[scope].get(budget)
        if not self.enabled or item is None:
            return None
        prefix = "ip:" if scope == "ip" else "user:"
        return await self._count(item, (prefix + who, budget), spend=False)

    async def status(self, scope: Scope, who: str) -> list[Budget]:
        """Every budget of ``who`` without spending any (the account API's report); an
        account's ``auth`` budget is counted per email (:func:`signin_key`), not here."""
        prefix = "ip:" if scope == "ip" else "user:"
        return [
            await self._count(item, (prefix + who, budget), spend=False)
            for budget, item in self.policy.items[scope].items()
            if scope == "ip" or budget != "auth"
        ]
