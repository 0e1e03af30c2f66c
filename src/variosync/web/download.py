"""The dashboard's export download: ``GET /dashboard/export/{name}?format=…`` streams the file
as a normal HTTP response (the export page points the browser at it; nothing travels over the
websocket), through the same code as ``GET /api/v1/datasets/{name}/export``
(``api/exporting.py``): metered, audited, and spending the same ``export`` rate-limit budgets —
the client address's, then the account's — since the API's rate-limit middleware only sees
``/api/v1``.

Who is asking comes from the dashboard's own session: the route is registered on NiceGUI's app,
behind its session middleware, so the user's storage holds their session as on every page, and
``web.session.signed_in`` checks it the same way. A download therefore works wherever the
dashboard's sign-in does — one process, sticky sessions, or user storage shared through
``NICEGUI_REDIS_URL`` — and needs nothing of its own: no ticket kept in one process's memory,
which another replica could not redeem. The URL carries no secret; a request another site
starts (``Sec-Fetch-Site``) is refused, so a page elsewhere cannot spend a user's hours.

Errors leave in the REST API's JSON shape (401 signed out, 404 not yours, 422 bad input, 429,
402), through the API app's own handlers.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from urllib.parse import quote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response
from nicegui import app
from starlette.concurrency import run_in_threadpool

from variosync.api.deps import idempotency_key
from variosync.api.exporting import ExportFile, choice, export_response
from variosync.api.params import selection
from variosync.api.ratelimit import Budget, client_key, tightest
from variosync.api.throttle import UNKNOWN_CLIENT, role_scope
from variosync.catalog.datasets import validate_name
from variosync.catalog.users import User
from variosync.errors import AuthError, ForbiddenError, VarioSyncError
from variosync.web.frame import request_ip
from variosync.web.session import services, signed_in

PREFIX = "/dashboard/export/"
ALLOWED_SITES = ("same-origin", "none")
"""``Sec-Fetch-Site`` values of a download the dashboard started, or the user typed."""


def download_url(
    name: str,
    fmt: str,
    compression: str | None,
    start: str | None,
    end: str | None,
    series: Iterable[str],
    fields: Iterable[str],
) -> str:
    """The route's URL for an export (times as ISO 8601 text; no series or fields: all)."""
    params: list[tuple[str, str]] = [("format", fmt)]
    if compression:
        params.append(("compression", compression))
    params += [(key, value) for key, value in (("start", start), ("end", end)) if value]
    params += [("series", s) for s in series]
    picked = ",".join(fields)
    if picked:
        params.append(("fields", picked))
    return PREFIX + quote(name, safe="") + "?" + urlencode(params)


def register(api: FastAPI) -> None:
    """Add the download route to the dashboard (NiceGUI's app, where its sessions are)."""

    @app.get(PREFIX + "{name}", include_in_schema=False)
    async def download(request: Request, name: str) -> Response:
        seen: list[Budget] = []
        try:
            response: Response = await _export(api, request, name, seen)
        except Exception as exc:  # every failure leaves in the API's error shape
            response = await _error(api, request, exc)
        report = tightest(seen)
        if report is not None:
            response.headers["X-RateLimit-Limit"] = str(report.limit)
            response.headers["X-RateLimit-Remaining"] = str(report.remaining)
            response.headers["X-RateLimit-Reset"] = str(int(report.reset_at))
        return response


def started_here(request: Request) -> bool:
    """Whether this site started the request: the browser's ``Sec-Fetch-Site`` says so; a
    browser without Fetch Metadata must send an ``Origin`` or ``Referer`` of this host (the
    session cookie alone proves nothing: another site's link carries it too)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ALLOWED_SITES
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    host = urlsplit(source).netloc
    return bool(host) and host == request.headers.get("host")


async def _error(api: FastAPI, request: Request, exc: Exception) -> Response:
    """The response the API's own handler makes of ``exc`` (its JSON error shape)."""
    handler = api.exception_handlers[
        VarioSyncError if isinstance(exc, VarioSyncError) else Exception
    ]
    made = handler(request, exc)
    return await made if inspect.isawaitable(made) else made


async def _export(api: FastAPI, request: Request, name: str, seen: list[Budget]) -> Response:
    shared = services(api)
    if not started_here(request):
        raise ForbiddenError(
            "downloads start from the dashboard's export page",
            hint="open /export and choose Download",
        )
    ip = request_ip(api, request)
    who = client_key(ip) if ip else UNKNOWN_CLIENT
    await shared.limiter.charge("ip", who, "export", seen)
    user = await _signed_in(api, who, seen)
    await shared.limiter.charge(role_scope(user), user.id, "export", seen)
    query = request.query_params
    fmt, compression = choice(query.get("format", "csv"), query.get("compression"))
    export = ExportFile(
        validate_name(name),
        selection(
            series=query.getlist("series") or None,
            start=query.get("start"),
            end=query.get("end"),
            fields=query.get("fields"),
        ),
        fmt,
        compression,
    )
    key = idempotency_key(request)  # a fresh key: each download is its own request
    return await run_in_threadpool(export_response, shared, user, export, key, ip)


async def _signed_in(api: FastAPI, who: str, seen: list[Budget]) -> User:
    """The dashboard session's account; AuthError (401) when signed out (or the session ended:
    signed out elsewhere, expired, the account disabled). A refused request spends from the
    address's ``auth`` budget, as a refused credential does in the API."""
    principal = await signed_in(api)
    if principal is None:
        refused = await services(api).limiter.spend("ip", who, "auth")
        if refused is not None:
            seen.append(refused)
        raise AuthError("sign-in required", hint="sign in to the dashboard, then download again")
    return principal.user
