"""The rate-limit edge of the API: every ``/api/v1`` request spends from its client
address's budget before it runs (429 when spent) and from its account's once signed in
(:func:`spend_account`); every response carries ``X-RateLimit-Limit``, ``-Remaining`` and
``-Reset`` of the tightest budget it touched. A refused credential (401) also spends from the
address's ``auth`` budget, so guessing keys or tokens is limited like guessing passwords."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from variosync.api.clientip import Network, client_address
from variosync.api.errors import error_body
from variosync.api.ratelimit import Budget, RateLimiter, budget_of, client_key, tightest
from variosync.catalog.users import Role, User

UNKNOWN_CLIENT = "unknown"


def _headers(budget: Budget) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(budget.limit).encode()),
        (b"x-ratelimit-remaining", str(budget.remaining).encode()),
        (b"x-ratelimit-reset", str(int(budget.reset_at)).encode()),
    ]


def seen(request: Request) -> list[Budget]:
    """The budgets this request spent from (the response's headers report the tightest)."""
    return _budgets(request.scope)


def _budgets(scope: Scope) -> list[Budget]:
    state: dict[str, object] = scope.setdefault("state", {})
    found = state.setdefault("rate_budgets", [])
    assert isinstance(found, list)
    return found


class RateLimitMiddleware:
    """Client-address limits and the headers; account limits come from :func:`spend_account`
    (the account is known only once the route's dependencies have signed the request in)."""

    def __init__(self, app: ASGIApp, prefix: str, proxies: tuple[Network, ...]) -> None:
        self.app = app
        self.prefix = prefix + "/"
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = getattr(scope["app"].state, "services", None)
        if (
            scope["type"] != "http"
            or not str(scope["path"]).startswith(self.prefix)
            or services is None
        ):
            await self.app(scope, receive, send)
            return
        limiter: RateLimiter = services.limiter
        peer = scope["client"][0] if scope.get("client") else None
        ip = client_address(peer, scope["headers"], self.proxies)
        scope.setdefault("state", {})["client_ip"] = ip
        budgets = _budgets(scope)
        budget = budget_of(scope["method"], str(scope["path"])[len(self.prefix) - 1 :])
        scope["state"]["rate_budget"] = budget
        who = client_key(ip) if ip else UNKNOWN_CLIENT
        spent = await limiter.spend("ip", who, budget)
        if spent is not None:
            budgets.append(spent)
            if not spent.allowed:
                refusal = spent.refusal()
                response = JSONResponse(
                    error_body(
                        refusal.code,
                        refusal.message,
                        refusal.hint,
                        retry_after_s=refusal.retry_after_s,
                    ),
                    status_code=429,
                    headers={"Retry-After": str(refusal.retry_after_s)},
                )
                await response(scope, receive, _with_headers(scope, send, limiter, budget, who))
                return
        await self.app(scope, receive, _with_headers(scope, send, limiter, budget, who))


def _with_headers(scope: Scope, send: Send, limiter: RateLimiter, budget: str, who: str) -> Send:
    """``send`` that adds the tightest budget's headers to the response's start (and spends
    from the address's ``auth`` budget for a refused credential)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            if message["status"] == 401 and budget != "auth":
                refused = await limiter.spend("ip", who, "auth")
                if refused is not None:
                    _budgets(scope).append(refused)
            report = tightest(_budgets(scope))
            if report is not None:
                message["headers"] = [*message.get("headers", []), *_headers(report)]
        await send(message)

    return sending


def role_scope(user: User) -> Literal["user", "admin"]:
    """Whose limits an account has: its role's."""
    return "admin" if user.role == Role.ADMIN else "user"


async def spend_account(request: Request, limiter: RateLimiter, user: User) -> None:
    """Spend one request of the signed-in account's budget for this route (by its role's
    limits); RateLimitedError (429) when none is left."""
    budget = str(request.scope.get("state", {}).get("rate_budget", "other"))
    await limiter.charge(role_scope(user), user.id, budget, seen(request))
