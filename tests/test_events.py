"""Live events: each user gets their own, from any thread, without Redis in one process and
through Redis across processes (two buses on one Redis stand in for two servers) — and a
lost Redis costs other processes' events, never a publish or this process's events."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable

import pytest
import redis
from pydantic import SecretStr

from tests.services import RedisProcess
from variosync.events import (
    DatasetAction,
    Event,
    EventBus,
    EventType,
    Subscription,
    channel,
    dataset_changed,
)
from variosync.redis_link import RedisLink

QUIET_S = 0.3
"""How long a subscriber waits to be sure that nothing comes."""


def changed(owner: str, version: int = 1) -> Event:
    return dataset_changed(owner, "prices", DatasetAction.UPLOAD, version)


def redis_bus(url: str, retry_s: float = 5.0) -> EventBus:
    return EventBus(RedisLink(SecretStr(url), retry_s=retry_s))


async def received(events: Subscription, within: float = 5.0) -> Event:
    got = await events.get(within)
    assert got is not None, "no event came"
    return got


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "never happened"


def numpat(url: str) -> int:
    with redis.Redis.from_url(url) as client:
        return int(client.execute_command("PUBSUB", "NUMPAT"))


def test_an_event_round_trips_as_json() -> None:
    event = changed("ada", 7)
    assert Event.from_dict(event.to_dict()) == event
    assert event.to_dict()["type"] == "dataset.changed"
    assert event.at.endswith("+00:00") and len(event.id) == 32
    assert event.data == {"dataset": "prices", "action": "upload", "version": 7}


def test_in_process_each_user_gets_their_own_events_only() -> None:
    bus = EventBus(RedisLink(None))

    async def main() -> None:
        async with bus.subscribe("ada") as ada, bus.subscribe("bob") as bob:
            assert bus.subscribers == 2
            sent = changed("ada")
            bus.publish(sent)
            assert await received(ada) == sent
            assert await bob.get(QUIET_S) is None
            assert await ada.get(QUIET_S) is None  # once
        assert bus.subscribers == 0

    asyncio.run(main())


def test_following_counts_one_users_open_subscriptions() -> None:
    bus = EventBus(RedisLink(None))

    async def main() -> None:
        first, second, bobs = bus.subscribe("ada"), bus.subscribe("ada"), bus.subscribe("bob")
        assert bus.following("ada") == 0  # not open yet
        async with first, second, bobs:
            assert (bus.following("ada"), bus.following("bob"), bus.following("eve")) == (2, 1, 0)
            first.close()
            assert bus.following("ada") == 1
        assert bus.following("ada") == bus.following("bob") == 0

    asyncio.run(main())


def test_events_published_from_other_threads_arrive_in_order() -> None:
    bus = EventBus(RedisLink(None))

    async def main() -> None:
        async with bus.subscribe("ada") as ada:
            sent = [changed("ada", n) for n in range(50)]
            thread = threading.Thread(target=lambda: [bus.publish(e) for e in sent])
            thread.start()
            got = [await received(ada) for _ in sent]
            thread.join()
            assert got == sent

    asyncio.run(main())


def test_a_slow_subscriber_loses_the_oldest_events() -> None:
    bus = EventBus(RedisLink(None), queue_size=3)

    async def main() -> None:
        async with bus.subscribe("ada") as ada:
            sent = [changed("ada", n) for n in range(5)]
            for event in sent:
                bus.publish(event)
            await asyncio.sleep(0.05)  # the hand-offs run
            assert [await received(ada) for _ in range(3)] == sent[2:]
            assert await ada.get(QUIET_S) is None
            assert ada.dropped == 2

    asyncio.run(main())


def test_iterating_a_subscription_and_leaving_it() -> None:
    bus = EventBus(RedisLink(None))

    async def main() -> None:
        events = bus.subscribe("ada")
        await events.open()
        bus.publish(changed("ada", 1))
        bus.publish(changed("ada", 2))
        versions = []
        async for event in events:
            versions.append(event.data["version"])
            if len(versions) == 2:
                break
        events.close()
        assert versions == [1, 2] and bus.subscribers == 0
        assert [e async for e in events] == []

    asyncio.run(main())


def test_through_redis_another_process_gets_the_event_once(redis_url: str) -> None:
    here, there = redis_bus(redis_url), redis_bus(redis_url)

    async def main() -> None:
        async with (
            here.subscribe("ada") as ada_here,
            there.subscribe("ada") as ada_there,
            there.subscribe("bob") as bob_there,
        ):
            assert numpat(redis_url) == 1  # one Redis subscription per bus and event loop
            sent = changed("ada")
            await asyncio.to_thread(here.publish, sent)
            assert await received(ada_there) == sent
            assert await received(ada_here) == sent
            assert await ada_here.get(QUIET_S) is None  # not again through Redis
            assert await ada_there.get(0) is None
            assert await bob_there.get(0) is None
        # the last subscriber gone, so is the Redis subscription
        await eventually(lambda: asyncio.sleep(0.05, numpat(redis_url) == 0))

    asyncio.run(main())
    here.link.close()
    there.link.close()


def test_malformed_and_misdirected_messages_are_skipped(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = redis_bus(redis_url)

    async def main() -> None:
        async with bus.subscribe("ada") as ada:
            with redis.Redis.from_url(redis_url) as raw:
                raw.publish(channel("ada"), b"not json")
                bob = changed("bob").to_dict()  # bob's event on ada's channel
                raw.publish(channel("ada"), f'{{"origin": "x", "event": {bob}}}'.replace("'", '"'))
            sent = changed("ada")
            await asyncio.to_thread(redis_bus(redis_url).publish, sent)
            assert await received(ada) == sent
            assert await ada.get(QUIET_S) is None

    with caplog.at_level(logging.WARNING, logger="variosync.events"):
        asyncio.run(main())
    assert "malformed" in caplog.text and "another user's channel" in caplog.text


def test_redis_lost_and_regained_without_a_restart(
    redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    here, there = redis_bus(redis_server.url, 0.2), redis_bus(redis_server.url, 0.2)

    async def main() -> None:
        async with here.subscribe("ada") as ada_here, there.subscribe("ada") as ada_there:
            first = changed("ada", 1)
            await asyncio.to_thread(here.publish, first)
            assert await received(ada_there) == first
            assert await received(ada_here) == first

            redis_server.stop()
            lost = changed("ada", 2)
            await asyncio.to_thread(here.publish, lost)  # does not raise
            assert await received(ada_here) == lost  # this process still gets it
            assert await ada_there.get(QUIET_S) is None  # the other cannot
            assert here.link.state() == "down"

            redis_server.start()

            async def crosses_again() -> bool:
                await asyncio.to_thread(here.publish, changed("ada", 3))
                assert await received(ada_here) is not None
                return await ada_there.get(0.2) is not None

            await eventually(crosses_again)
            back = changed("ada", 4)
            await asyncio.to_thread(there.publish, back)
            assert await received(ada_here) == back
            assert await received(ada_there) == back
            assert await ada_here.get(QUIET_S) is None
            assert await ada_there.get(0) is None

    with caplog.at_level(logging.DEBUG):
        asyncio.run(main())
    here.link.close()
    there.link.close()
    assert "failed" in caplog.text and "answers again" in caplog.text
    assert redis_server.password and redis_server.password not in caplog.text


def test_redis_down_from_the_start_costs_nothing_but_other_processes(
    redis_server: RedisProcess,
) -> None:
    redis_server.stop()
    bus = redis_bus(redis_server.url, 60)

    async def main() -> None:
        started = time.monotonic()
        async with bus.subscribe("ada") as ada:
            assert time.monotonic() - started < 2  # no long wait for a Redis that is down
            sent = changed("ada")
            bus.publish(sent)
            assert await received(ada) == sent
            assert sent.type is EventType.DATASET_CHANGED

    asyncio.run(main())
    bus.link.close()
