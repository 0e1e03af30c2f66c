"""Live events: what changed in a user's data, for that user, as it happens.

:meth:`EventBus.publish` (from any thread; it never raises) hands an :class:`Event` to its
owner's subscribers in this process and, through Redis (channel ``variosync:events:<owner>``),
in every other process. :meth:`EventBus.subscribe` follows one user's events::

    async with bus.subscribe(user_id) as events:
        async for event in events:
            ...

This process's subscribers get every event published here in-process, whatever Redis does.
Each event loop with subscribers follows the other processes through one Redis connection (a
pattern subscription), skipping the events its own bus published — so no event arrives twice.
Without Redis (not configured, or down) processes do not see each other's events; when Redis
returns they do again, without a restart. Events published elsewhere while this process was not
following Redis are not replayed: a client that (re)connects refetches the state it shows. A
subscriber more than ``queue_size`` events behind loses the oldest.
"""

from variosync.events.bus import QUEUE_SIZE, EventBus, Subscription
from variosync.events.model import (
    CHANNEL_PREFIX,
    DatasetAction,
    Event,
    EventType,
    channel,
    dataset_changed,
)

__all__ = [
    "CHANNEL_PREFIX",
    "QUEUE_SIZE",
    "DatasetAction",
    "Event",
    "EventBus",
    "EventType",
    "Subscription",
    "channel",
    "dataset_changed",
]
