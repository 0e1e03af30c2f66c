"""The one JSON error shape of the REST API: ``{"error": {"code", "message", "hint"}}``, plus
``field`` when a parameter is to blame.

Every error — ours, a bad parameter, an unknown route, an unexpected failure — leaves through
these handlers. No stack trace, exception text of a library, or secret reaches a response.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from variosync.errors import (
    CLI_USER_AGENT,
    AuthError,
    PaymentRequiredError,
    RateLimitedError,
    UsageError,
    VarioSyncError,
)

log = logging.getLogger("variosync.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_parameter",
    429: "rate_limited",
}


def error_body(code: str, message: str, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    """The error shape."""
    return {"error": {"code": code, "message": message, "hint": hint, **extra}}


_COMMANDS = {
    "`variosync datasets` lists the datasets": "GET /api/v1/datasets lists your datasets",
    "`variosync history NAME` lists the versions": (
        "GET /api/v1/datasets/{name}/history lists the versions"
    ),
    "`variosync users list` lists the accounts": "GET /api/v1/admin/users lists the accounts",
    "`variosync info NAME` or a query with --latest lists the series": (
        "GET /api/v1/datasets/{name}/series lists the series"
    ),
}
_OPTION = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def in_api_terms(text: str | None) -> str | None:
    """A core message or hint as an API user reads it: command-line options become parameter
    names (``--time-col`` → ``'time_col'``) and CLI commands the route that does the same."""
    if text is None:
        return None
    for command, route in _COMMANDS.items():
        text = text.replace(command, route)
    return _OPTION.sub(lambda m: repr(m.group(1).replace("-", "_")), text)


def _unchanged(text: str | None) -> str | None:
    return text


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "header", "body", "cookie"):
        where, name = parts[0], ".".join(parts[1:])
        return f"{where} parameter {name!r}" if name else f"the request {where}"
    return ".".join(parts)


async def _ours(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VarioSyncError)
    words = in_api_terms
    if request.headers.get("user-agent", "").startswith(CLI_USER_AGENT):
        words = _unchanged
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, PaymentRequiredError):
        extra = {"balance_hours": exc.balance_hours, "cost_hours": exc.cost_hours}
    if isinstance(exc, UsageError) and exc.field is not None:
        extra["field"] = exc.field  # as a RequestValidationError names it
    if isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimitedError):
        extra["retry_after_s"] = exc.retry_after_s
        headers["Retry-After"] = str(exc.retry_after_s)
    if exc.http_status >= 500:
        log.warning("%s: %s", type(exc).__name__, exc.message)
    return JSONResponse(
        error_body(exc.code, words(exc.message) or "", words(exc.hint), **extra),
        status_code=exc.http_status,
        headers=headers,
    )


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = _location(first.get("loc", ()))
    message = f"{where}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    field = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    return JSONResponse(
        error_body("invalid_parameter", message, "see /docs for the parameters", field=field),
        status_code=422,
    )


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    hint = "see /docs for the routes" if exc.status_code in (404, 405) else None
    return JSONResponse(
        error_body(code, message, hint),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.error("unexpected error (incident %s)", incident, exc_info=exc)
    return JSONResponse(
        error_body(
            "internal_error",
            "the server failed to handle this request",
            f"report incident {incident} to the operator",
        ),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    """Route every error through the one shape."""
    app.add_exception_handler(VarioSyncError, _ours)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
