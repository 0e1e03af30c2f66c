"""The Redis link: used when it answers, left alone for a while after a failure, used again
when it returns — and its password never in a log line or message."""

from __future__ import annotations

import logging
import time

import pytest
from pydantic import SecretStr

from tests.services import RedisProcess
from variosync.errors import ConfigError
from variosync.redis_link import RedisLink, redacted


def test_redacted_hides_only_the_password() -> None:
    assert redacted("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"
    assert redacted("rediss://user:pw@h/1") == "rediss://user:***@h/1"
    assert redacted("redis://host:6379") == "redis://host:6379"
    assert redacted("redis://h/0?password=pw&db=1") == "redis://h/0?password=***&db=1"
    assert redacted("unix:///run/redis.sock?password=pw") == "unix:///run/redis.sock?password=***"
    assert redacted("redis://u:pa/ss?#x@h:1/0") == "redis://u:***@h:1/0"
    assert redacted("redis://h/0?pass%77ord=pw") == "redis://h/0?pass%77ord=***"
    assert redacted("redis://:pw@[::1]:6379/0") == "redis://:***@[::1]:6379/0"
    assert redacted("redis://user@h") == "redis://user@h"


def test_a_malformed_url_fails_at_start_without_its_password() -> None:
    for url in (
        "redis://:hunter2@127.0.0.1:6379x/0",
        "redis://default:hun/ter2@redis.internal:6379/0",
        "redis://:hunter2@[::1",
        "hunter2",
    ):
        with pytest.raises(ConfigError) as caught:
            RedisLink(SecretStr(url))
        shown = f"{caught.value.message} {caught.value.hint}"
        assert "hunter2" not in shown and "hun/ter2" not in shown, url


def test_a_probe_within_the_retry_window_does_not_ask_redis(redis_server: RedisProcess) -> None:
    link = RedisLink(SecretStr(redis_server.url), retry_s=30)
    link.failed(TimeoutError(), "testing")
    assert not link.ping()  # Redis is up, but a readiness probe must not reopen the gate
    assert link.client() is None


def test_a_url_of_another_scheme_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        RedisLink(SecretStr("http://user:hunter2@host"))
    assert "hunter2" not in str(caught.value)
    assert "redis://" in str(caught.value)


def test_without_a_url_there_is_no_client() -> None:
    link = RedisLink(None)
    assert link.state() == "off"
    assert link.client() is None
    assert not link.ping()


def test_lost_and_regained_without_a_restart(
    redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    link = RedisLink(SecretStr(redis_server.url), retry_s=0.2)
    client = link.client()
    assert client is not None and client.ping()
    assert link.state() == "ok"

    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="variosync.redis"):
        assert not link.ping()
        assert link.state() == "down"
        assert link.client() is None  # left alone within retry_s
        time.sleep(0.25)
        assert link.client() is not None  # tried again after it
        redis_server.start()
        assert link.ping()
    assert link.state() == "ok"
    text = caplog.text
    assert "failed" in text and "answers again" in text
    assert redis_server.password and redis_server.password not in text
    assert ":***@" in text
    link.close()
