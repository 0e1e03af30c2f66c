"""Following your events as they happen: a server-sent-events stream (``text/event-stream``).

Not in the OpenAPI schema: an endless stream is no operation that the interactive docs or a
schema-driven client could call; docs/server.md describes it.
"""

from __future__ import annotations

import json

import anyio
from fastapi import APIRouter
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from variosync.api.deps import CurrentUser, ServicesDep
from variosync.events import Event, Subscription

router = APIRouter(tags=["events"])

HEARTBEAT_S = 15.0
"""A comment line this often while nothing happens keeps proxies from closing the stream."""


def frame(event: Event) -> str:
    """One event as the stream sends it: ``id``, ``event`` and ``data`` (JSON) lines."""
    body = json.dumps(event.to_dict(), separators=(",", ":"), default=str)
    return f"id: {event.id}\nevent: {event.type}\ndata: {body}\n\n"


class EventStream(Response):
    """A subscription as ``text/event-stream``: a comment once subscribed, then each event,
    and a comment every ``heartbeat_s`` without one; unsubscribes when the client leaves."""

    media_type = "text/event-stream"

    def __init__(self, events: Subscription, heartbeat_s: float) -> None:
        self.events = events
        self.heartbeat_s = heartbeat_s
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
                while True:
                    event = await self.events.get(self.heartbeat_s)
                    await self._send(send, ": heartbeat\n\n" if event is None else frame(event))
            except OSError:  # the client left (servers of ASGI spec 2.4 say so on send)
                group.cancel_scope.cancel()

    async def _send(self, send: Send, text: str) -> None:
        await send({"type": "http.response.body", "body": text.encode(), "more_body": True})

    @staticmethod
    async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        scope.cancel()


@router.get("/events", include_in_schema=False, response_class=EventStream)
async def follow_events(shared: ServicesDep, user: CurrentUser) -> EventStream:
    """Your ``dataset.changed`` events (and later job progress) as server-sent events."""
    return EventStream(shared.events.subscribe(user.id), HEARTBEAT_S)
