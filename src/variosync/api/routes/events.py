"""Following your events as they happen: a server-sent-events stream (``text/event-stream``).

Not in the OpenAPI schema: an endless stream is no operation that the interactive docs or a
schema-driven client could call; docs/server.md describes it.

A stream outlives the request that opened it, so the credential that opened it is checked again
every ``RECHECK_S`` (as any request would check it); once it no longer signs in that user the
stream sends ``event: signed-out`` and ends.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from variosync.accounts import Principal
from variosync.accounts.supabase import looks_like_jwt
from variosync.api.deps import ClientIP, CurrentPrincipal, CurrentUser, Services, ServicesDep
from variosync.errors import AuthError, ForbiddenError, RateLimitedError, VarioSyncError
from variosync.events import Event, Subscription

router = APIRouter(tags=["events"])
log = logging.getLogger("variosync.events")

HEARTBEAT_S = 15.0
"""A comment line this often while nothing happens keeps proxies from closing the stream."""
RECHECK_S = 5.0
"""How often an open stream checks its credential again, whether or not events flow."""
MAX_STREAMS = 5
"""Open streams one user may hold in one server process; one more is refused (429)."""
RETRY_S = 30
"""The ``Retry-After`` of a refused stream: a slot frees only when one of the others ends."""

SIGNED_OUT = "signed-out"


def frame(event: Event) -> str:
    """One event as the stream sends it: ``id``, ``event`` and ``data`` (JSON) lines."""
    body = json.dumps(event.to_dict(), separators=(",", ":"), default=str)
    return f"id: {event.id}\nevent: {event.type}\ndata: {body}\n\n"


def signed_out(refused: AuthError | ForbiddenError) -> str:
    """The stream's last frame once its credential no longer signs in: why, as JSON."""
    reason = {"code": refused.code, "message": refused.message, "hint": refused.hint}
    return f"event: {SIGNED_OUT}\ndata: {json.dumps(reason, separators=(',', ':'))}\n\n"


class EventStream(Response):
    """A subscription as ``text/event-stream``: a comment once subscribed, then each event,
    and a comment every ``heartbeat_s`` without one. ``check`` (run in a thread every
    ``recheck_s``) raises AuthError or ForbiddenError once the stream must end: it then sends
    :func:`signed_out` and closes. Unsubscribes when it ends or the client leaves."""

    media_type = "text/event-stream"

    def __init__(
        self,
        events: Subscription,
        heartbeat_s: float,
        check: Callable[[], object],
        recheck_s: float,
    ) -> None:
        self.events = events
        self.heartbeat_s = heartbeat_s
        self.check = check
        self.recheck_s = recheck_s
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self.events, anyio.create_task_group() as group:
            group.start_soon(self._until_disconnect, receive, group.cancel_scope)
            start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
            try:
                await send(start)
                await self._send(send, ": following\n\n")
                last = await self._follow(send)
                await send({"type": "http.response.body", "body": last.encode()})
            except OSError:  # the client left (servers of ASGI spec 2.4 say so on send)
                pass
            group.cancel_scope.cancel()

    async def _follow(self, send: Send) -> str:
        """Send events and heartbeats until the credential fails its check; the last frame
        (empty when the check itself could not be made)."""
        now = anyio.current_time
        beat = checked = now()
        while True:
            if now() >= checked + self.recheck_s:
                try:
                    await run_in_threadpool(self.check)
                except (AuthError, ForbiddenError) as refused:
                    return signed_out(refused)
                except VarioSyncError as failed:
                    # fail closed; a client that reconnects gets the error in the error shape
                    log.warning("ended an event stream: %s: %s", type(failed).__name__, failed)
                    return ""
                checked = now()
            due = min(beat + self.heartbeat_s, checked + self.recheck_s)
            event = await self.events.get(max(due - now(), 0.0))
            if event is not None:
                await self._send(send, frame(event))
                beat = now()
            elif now() >= beat + self.heartbeat_s:
                await self._send(send, ": heartbeat\n\n")
                beat = now()

    async def _send(self, send: Send, text: str) -> None:
        await send({"type": "http.response.body", "body": text.encode(), "more_body": True})

    @staticmethod
    async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        scope.cancel()


def request_secret(request: Request) -> str:
    """The secret a request signed in with, taken as ``principal`` takes it: ``X-API-Key``,
    else the bearer token."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return request.headers.get("X-API-Key") or (token if scheme.lower() == "bearer" else "")


def still_signed_in(shared: Services, secret: str, found: Principal, ip: str | None) -> None:
    """Check ``secret`` as a request's would be checked (never audited: it is no sign-in);
    AuthError or ForbiddenError unless it still signs in the same user."""
    if looks_like_jwt(secret):
        now = shared.accounts.supabase_user(shared.supabase.verify(secret), ip)
    else:
        now = shared.accounts.authenticate(secret)
    if now.user.id != found.user.id:
        raise AuthError("these credentials no longer sign in this account")


@router.get("/events", include_in_schema=False, response_class=EventStream)
async def follow_events(
    shared: ServicesDep, user: CurrentUser, found: CurrentPrincipal, request: Request, ip: ClientIP
) -> EventStream:
    """Your ``dataset.changed`` events (and later job progress) as server-sent events, while
    the credential that opened the stream stays valid; at most MAX_STREAMS per user here."""
    if shared.events.following(user.id) >= MAX_STREAMS:
        raise RateLimitedError(
            f"this account already follows its events on {MAX_STREAMS} streams",
            retry_after_s=RETRY_S,
            hint="close another stream (tab, client) first; one per client is enough",
        )
    events = shared.events.subscribe(user.id)
    await events.open()  # joins before its first await: no other stream slips in after the count
    secret = request_secret(request)
    return EventStream(
        events, HEARTBEAT_S, lambda: still_signed_in(shared, secret, found, ip), RECHECK_S
    )
