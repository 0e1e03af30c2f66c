"""Following the other processes' events on Redis: one pattern subscription per event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING

import redis.asyncio

from variosync.events.model import CHANNEL_PREFIX, Event, channel
from variosync.redis_link import CALL_TIMEOUT_S, REDIS_ERRORS

if TYPE_CHECKING:
    from variosync.events.bus import EventBus

log = logging.getLogger("variosync.events")

READY_S = 2.0
"""How long a new subscriber waits for its event loop's Redis subscription to start."""
POLL_S = 5.0
"""How often the Redis follower wakes while nothing happens (its health check runs then)."""


class Relay:
    """An event loop's subscription to every process's events on Redis (one connection),
    handing each to the loop's subscribers of its owner. Runs while the loop has subscribers;
    after a failure it waits for the link's retry interval and subscribes again."""

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop) -> None:
        self._bus = bus
        self.loop = loop
        self.members = 0
        self.live = False
        self._changed = asyncio.Event()
        self._task = loop.create_task(self._run(), name="variosync-events")

    async def ready(self) -> None:
        """Wait (at most ``READY_S``) until subscribed, unless Redis is down."""
        deadline = self.loop.time() + READY_S
        while not self.live and self._bus.link.usable():
            signal = self._changed
            left = deadline - self.loop.time()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), left)

    def stop(self) -> None:
        self._task.cancel()

    def _set_live(self, live: bool) -> None:
        self.live = live
        self._changed.set()
        self._changed = asyncio.Event()

    async def _run(self) -> None:
        link = self._bus.link
        while True:
            client = link.async_client()
            if client is None:
                await asyncio.sleep(max(min(link.retry_s, POLL_S), 0.05))
                continue
            pubsub = client.pubsub()
            try:
                await self._follow(pubsub)
            except REDIS_ERRORS as exc:
                link.failed(exc, "following events")
            finally:
                self._set_live(False)
                with contextlib.suppress(*REDIS_ERRORS):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _follow(self, pubsub: redis.asyncio.client.PubSub) -> None:
        await pubsub.psubscribe(CHANNEL_PREFIX + "*")
        confirmed = await pubsub.get_message(timeout=CALL_TIMEOUT_S)
        if confirmed is None or confirmed["type"] != "psubscribe":
            raise TimeoutError("Redis did not confirm the subscription")
        self._bus.link.succeeded()
        self._set_live(True)
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_S)
            if message is not None and message["type"] == "pmessage":
                self._hand_on(message["channel"], message["data"])

    def _hand_on(self, name: bytes, raw: bytes) -> None:
        try:
            wire = json.loads(raw)
            event = Event.from_dict(wire["event"])
            origin = wire["origin"]
        except (ValueError, KeyError, TypeError):
            log.warning("skipped a malformed message on %s", name.decode(errors="replace"))
            return
        if name != channel(event.owner).encode():
            log.warning("skipped an event sent on another user's channel")
        elif origin != self._bus.origin:  # what this bus published, it delivered itself
            self._bus.deliver(event, self.loop)
