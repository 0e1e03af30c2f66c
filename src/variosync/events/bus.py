"""Publishing events and subscribing to one user's events, in-process and through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from typing import Self

from variosync.events.model import Event, channel
from variosync.events.relay import Relay
from variosync.redis_link import REDIS_ERRORS, RedisLink

QUEUE_SIZE = 1000
"""Events a subscriber may fall behind by before it loses the oldest."""


class Inbox:
    """One subscriber's bounded queue in its event loop, filled from any thread."""

    def __init__(self, owner: str, size: int) -> None:
        self.owner = owner
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Event] = asyncio.Queue(size)
        self.dropped = 0

    def offer(self, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody listens
            self.loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)


class Subscription:
    """One user's events as they happen: an async iterator (and :meth:`get`, with a timeout).
    Use it as an async context manager, which subscribes on entry — Redis included, when it
    answers — and unsubscribes on exit; iterating an unopened one opens it."""

    def __init__(self, bus: EventBus, owner: str) -> None:
        self._bus = bus
        self.owner = owner
        self._inbox: Inbox | None = None
        self._closed = False

    @property
    def dropped(self) -> int:
        """Events lost because this subscriber fell behind."""
        return self._inbox.dropped if self._inbox is not None else 0

    async def open(self) -> None:
        """Subscribe (once), waiting briefly for Redis when it is expected to answer."""
        if self._inbox is not None or self._closed:
            return
        self._inbox = Inbox(self.owner, self._bus.queue_size)
        relay = self._bus.join(self._inbox)
        if relay is not None:
            try:
                await relay.ready()
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        """Unsubscribe (in the subscriber's event loop; awaits nothing, so a cancelled task
        can still call it)."""
        if self._inbox is not None and not self._closed:
            self._bus.leave(self._inbox)
        self._closed = True

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when none came within ``timeout`` seconds."""
        await self.open()
        if self._inbox is None or self._closed:
            raise RuntimeError("this subscription is closed")
        try:
            return await asyncio.wait_for(self._inbox.queue.get(), timeout)
        except TimeoutError:
            return None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        if self._closed:
            raise StopAsyncIteration
        event = await self.get()
        assert event is not None
        return event


class EventBus:
    """Publishes events and hands them to subscribers, here and in other processes."""

    def __init__(self, link: RedisLink, queue_size: int = QUEUE_SIZE) -> None:
        self.link = link
        self.queue_size = queue_size
        self.origin = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._inboxes: dict[str, set[Inbox]] = {}
        self._relays: dict[asyncio.AbstractEventLoop, Relay] = {}

    def publish(self, event: Event) -> None:
        """Hand ``event`` to its owner's subscribers here and, through Redis, elsewhere. From
        any thread; never raises (a failing Redis is reported to the link and skipped). Takes
        up to one Redis round trip: from a coroutine, run it in a thread."""
        self.deliver(event)
        client = self.link.client()
        if client is None:
            return
        wire = json.dumps({"origin": self.origin, "event": event.to_dict()}, default=str)
        try:
            client.publish(channel(event.owner), wire)
        except REDIS_ERRORS as exc:
            self.link.failed(exc, "publishing an event")
        else:
            self.link.succeeded()

    def subscribe(self, owner: str) -> Subscription:
        """Follow the events of user ``owner`` (only theirs)."""
        return Subscription(self, owner)

    @property
    def subscribers(self) -> int:
        """Open subscriptions, in every event loop."""
        with self._lock:
            return sum(len(inboxes) for inboxes in self._inboxes.values())

    def following(self, owner: str) -> int:
        """Open subscriptions of user ``owner`` in this process (every event loop)."""
        with self._lock:
            return len(self._inboxes.get(owner, ()))

    def deliver(self, event: Event, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Hand ``event`` to its owner's subscribers in this process (in ``loop`` only)."""
        with self._lock:
            inboxes = [
                inbox
                for inbox in self._inboxes.get(event.owner, ())
                if loop is None or inbox.loop is loop
            ]
        for inbox in inboxes:
            inbox.offer(event)

    def join(self, inbox: Inbox) -> Relay | None:
        """Add a subscriber; its loop's Redis relay (started with the first) if configured."""
        with self._lock:
            self._inboxes.setdefault(inbox.owner, set()).add(inbox)
            relay = self._relays.get(inbox.loop)
            if relay is None and self.link.configured:
                relay = self._relays[inbox.loop] = Relay(self, inbox.loop)
            if relay is not None:
                relay.members += 1
            return relay

    def leave(self, inbox: Inbox) -> None:
        """Remove a subscriber; the last one of its loop stops that loop's relay."""
        with self._lock:
            inboxes = self._inboxes.get(inbox.owner, set())
            inboxes.discard(inbox)
            if not inboxes:
                self._inboxes.pop(inbox.owner, None)
            relay = self._relays.get(inbox.loop)
            if relay is not None:
                relay.members -= 1
                if relay.members == 0:
                    del self._relays[inbox.loop]
                    relay.stop()
