"""The meter: reserve the estimate, run, settle on the measured time; refuse (402) what the
balance cannot cover; refund failures; charge a retried request once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.requests import Request

from variosync.api.deps import idempotency_key
from variosync.billing import (
    HOUR_PACKAGES,
    Meter,
    RequestKey,
    Usage,
    describe,
    estimate_ingest,
    estimate_rows,
    hours,
    rows_touched,
)
from variosync.catalog import make_engine, upgrade
from variosync.catalog.audit import AuditLog
from variosync.catalog.ledger import MS_PER_HOUR, Ledger
from variosync.catalog.runs import MAX_REPLAYS
from variosync.catalog.users import User, UserCatalog
from variosync.errors import ConflictError, PaymentRequiredError, UsageError


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine)


@pytest.fixture
def audit(engine: Engine) -> AuditLog:
    return AuditLog(engine)


@pytest.fixture
def meter(ledger: Ledger, audit: AuditLog) -> Meter:
    return Meter(ledger, audit, enforce=True)


@pytest.fixture
def user(engine: Engine, ledger: Ledger) -> User:
    found = UserCatalog(engine).create("ada@example.com", None)
    ledger.credit(found.id, 10_000)
    return found


def _elapse(usage: Usage, ms: int) -> None:
    """Make the run look ``ms`` long (settling measures from ``usage.started``)."""
    usage.started = time.perf_counter() - ms / 1000


def test_a_run_shorter_than_its_estimate_is_refunded_the_rest(
    meter: Meter, ledger: Ledger, audit: AuditLog, user: User
) -> None:
    with meter.metered(user, "upload", "prices", 1000, "req:a", client_ip="10.1.2.3") as usage:
        assert usage.charged and usage.reserved_ms == 1000
        assert ledger.balance_ms(user.id) == 9000  # reserved before the block runs
        _elapse(usage, 200)
    assert 200 <= usage.cost_ms < 400
    assert ledger.balance_ms(user.id) == 10_000 - usage.cost_ms
    assert [e.kind for e in ledger.entries(user.id)] == ["refund", "debit", "grant"]
    (event,) = audit.list(action="debit")
    assert (event.user_id, event.target, event.client_ip) == (user.id, "prices", "10.1.2.3")
    assert event.detail == {"operation": "upload", "ms": usage.cost_ms, "key": "req:a"}


def test_an_overrun_is_taken_from_what_is_left(meter: Meter, ledger: Ledger, user: User) -> None:
    with meter.metered(user, "export", "prices", 100, "req:b") as usage:
        _elapse(usage, 600)
    assert 600 <= usage.cost_ms < 800
    assert ledger.balance_ms(user.id) == 10_000 - usage.cost_ms


def test_an_overrun_never_takes_the_balance_below_zero(
    meter: Meter, ledger: Ledger, user: User
) -> None:
    with meter.metered(user, "export", "prices", 9_900, "req:c") as usage:
        _elapse(usage, 60_000)
    assert ledger.balance_ms(user.id) == 0
    assert usage.cost_ms == 10_000


def test_a_run_the_balance_cannot_cover_is_refused_before_it_starts(
    meter: Meter, ledger: Ledger, audit: AuditLog, user: User
) -> None:
    ran = False
    with (
        pytest.raises(PaymentRequiredError) as caught,
        meter.metered(user, "upload", "big", 3 * MS_PER_HOUR, "req:d"),
    ):
        ran = True
    assert not ran
    assert caught.value.balance_hours == hours(10_000)
    assert caught.value.cost_hours == 3.0
    assert caught.value.http_status == 402 and caught.value.code == "insufficient_hours"
    assert caught.value.message == "upload needs about 3 h of compute; the balance is 0.002778 h"
    assert caught.value.hint
    assert all(str(h) in caught.value.hint for h in HOUR_PACKAGES)
    assert ledger.balance_ms(user.id) == 10_000 and len(ledger.entries(user.id)) == 1
    assert audit.list(action="debit") == []


def test_a_failed_run_is_refunded_in_full(
    meter: Meter, ledger: Ledger, audit: AuditLog, user: User
) -> None:
    with pytest.raises(RuntimeError, match="boom"), meter.metered(user, "upload", "x", 500, "k"):
        raise RuntimeError("boom")
    assert ledger.balance_ms(user.id) == 10_000
    assert audit.list(action="debit") == []


def test_a_retried_request_is_charged_once(meter: Meter, ledger: Ledger, user: User) -> None:
    with meter.metered(user, "upload", "x", 500, "req:e") as first:
        _elapse(first, 300)
    with meter.metered(user, "upload", "x", 500, "req:e") as retry:
        assert not retry.charged and retry.reserved_ms == 0
        _elapse(retry, 300)
    assert retry.cost_ms == 0
    assert ledger.balance_ms(user.id) == 10_000 - first.cost_ms


def test_a_retry_after_a_failed_run_is_charged(meter: Meter, ledger: Ledger, user: User) -> None:
    """The failed run was refunded: its retry must pay, or failing first would make runs free."""
    for _ in range(2):
        with pytest.raises(ValueError), meter.metered(user, "upload", "x", 500, "req:f"):
            raise ValueError("bad file")
    with meter.metered(user, "upload", "x", 500, "req:f") as fixed:
        assert fixed.charged and fixed.key == "req:f#3"
        _elapse(fixed, 100)
    with meter.metered(user, "upload", "x", 500, "req:f") as again:
        assert not again.charged  # the run that succeeded made its retries free
    assert ledger.balance_ms(user.id) == 10_000 - fixed.cost_ms


def test_a_key_that_keeps_failing_is_refused(
    meter: Meter, monkeypatch: pytest.MonkeyPatch, user: User
) -> None:
    monkeypatch.setattr("variosync.catalog.runs.MAX_ATTEMPTS", 2)
    for _ in range(2):
        with pytest.raises(ValueError), meter.metered(user, "upload", "x", 5, "req:g"):
            raise ValueError
    with (
        pytest.raises(ConflictError, match="failed 2 times") as caught,
        meter.metered(user, "upload", "x", 5, "req:g"),
    ):
        pass
    assert "Idempotency-Key" in str(caught.value.hint)


def _request() -> Request:
    return Request(
        {"type": "http", "method": "POST", "path": "/x", "query_string": b"", "headers": []}
    )


def test_a_key_cannot_be_reused_for_another_request(
    meter: Meter, ledger: Ledger, user: User
) -> None:
    """Otherwise one key would make any amount of other work free."""
    first = RequestKey("req:i", "upload a")
    with meter.metered(user, "upload", "a", 50, first):
        pass
    for other in (RequestKey("req:i", "upload b"), "req:i"):
        with (
            pytest.raises(ConflictError, match="used for another request"),
            meter.metered(user, "export", "b", 50, other),
        ):
            pytest.fail("the work must not run")


def test_a_copy_of_a_running_request_is_refused(meter: Meter, user: User) -> None:
    key = RequestKey("req:j", "export x")
    with (
        meter.metered(user, "export", "x", 50, key),
        pytest.raises(ConflictError, match="still running"),
        meter.metered(user, "export", "x", 50, key),
    ):
        pytest.fail("the copy must not run")
    with meter.metered(user, "export", "x", 50, key) as retry:  # done: a free retry
        assert not retry.charged


def test_free_retries_of_a_success_are_few(meter: Meter, ledger: Ledger, user: User) -> None:
    key = RequestKey("req:k", "query x")
    with meter.metered(user, "query", "x", 50, key) as first:
        assert first.charged
    for _ in range(MAX_REPLAYS):
        with meter.metered(user, "query", "x", 50, key) as retry:
            assert not retry.charged
    with (
        pytest.raises(ConflictError, match="retried 3 times"),
        meter.metered(user, "query", "x", 50, key),
    ):
        pytest.fail("a spent key must not run")


def test_without_enforcement_nothing_is_written(
    ledger: Ledger, audit: AuditLog, engine: Engine
) -> None:
    broke = UserCatalog(engine).create("free@example.com", None)
    free = Meter(ledger, audit, enforce=False)
    with free.metered(broke, "upload", "x", 10 * MS_PER_HOUR, "req:h") as usage:
        _elapse(usage, 1000)
    assert (usage.charged, usage.reserved_ms, usage.cost_ms) == (False, 0, 0)
    assert ledger.entries(broke.id) == [] and audit.list() == []


def test_estimates_round_up_to_a_minimum() -> None:
    assert estimate_ingest(0) == 100
    assert estimate_ingest(200_000_000) == 10_000
    assert estimate_rows(1, 20_000_000) == 10
    assert estimate_rows(100_000_000, 5_000_000) == 20_000
    assert hours(MS_PER_HOUR) == 1.0 and hours(1) == 2.78e-07
    assert [describe(ms) for ms in (0, 100, 9_000_000, 360_000_000_000)] == [
        "0 h",
        "0.000028 h",
        "2.5 h",
        "100000 h",
    ]
    assert HOUR_PACKAGES == (5, 10, 20, 50)


@pytest.mark.parametrize("sneaky", ["req:a:refund", "req:b:extra", "req:c:failed", "req:c:2"])
def test_a_key_named_after_a_derived_one_is_still_charged(
    meter: Meter, ledger: Ledger, user: User, sneaky: str
) -> None:
    """Refund, overrun and retry entries get keys that no Idempotency-Key header can spell, so
    a client cannot pass its request off as one already charged."""
    with meter.metered(user, "upload", "x", 500, "req:a") as short:
        _elapse(short, 100)  # refunds the rest
    with meter.metered(user, "upload", "x", 500, "req:b") as long:
        _elapse(long, 900)  # takes the overrun
    with pytest.raises(ValueError), meter.metered(user, "upload", "x", 500, "req:c"):
        raise ValueError  # refunded in full
    before = ledger.balance_ms(user.id)
    with meter.metered(user, "upload", "x", 500, sneaky) as usage:
        assert usage.charged
    assert ledger.balance_ms(user.id) < before
    derived = {e.idempotency_key for e in ledger.entries(user.id)} - {None}
    assert all(k.startswith("req:") and k.count("#") <= 2 for k in derived if k)
    with pytest.raises(UsageError):
        idempotency_key(_request(), "a#refund")  # '#' is not allowed in the header


@pytest.mark.parametrize(
    ("series", "window", "expected"),
    [
        (0, (None, None), 1_000_000),
        (1, (None, None), 1_000),
        (10, (None, None), 10_000),
        (0, (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)), 100_000),
        (1, (datetime(2024, 1, 6, tzinfo=UTC), None), 500),
        (1, (None, datetime(2023, 1, 1, tzinfo=UTC)), 0),
        (2, (datetime(2024, 1, 1), datetime(2024, 1, 3)), 400),  # naive bounds: read as UTC
    ],
)
def test_query_cost_is_estimated_from_the_share_of_series_and_time_it_reads(
    series: int, window: tuple[datetime | None, datetime | None], expected: int
) -> None:
    span = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 11, tzinfo=UTC))
    assert rows_touched(1_000_000, 1_000, span, series, window) == expected


def test_time_spent_waiting_on_the_client_is_not_charged() -> None:
    usage = Usage("k", 0, True)
    time.sleep(0.05)
    usage.idle_s = 0.05
    assert usage.elapsed_ms() < 20


def test_a_filled_resample_costs_the_rows_it_makes() -> None:
    """A fill makes a row per bucket, stored or not: 2 rows 60 days apart, filled every second,
    are 5,184,001 rows (the estimate used to see only the 2 read)."""
    from dataclasses import replace

    from variosync.billing import query_rows
    from variosync.query import Fill, Query

    span = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    every_second = Query(every="1s", fill=Fill.PREVIOUS)
    assert query_rows(2, 1, span, every_second) == 5_184_001
    assert query_rows(2, 1, span, replace(every_second, fill=None)) == 2  # no fill: rows read
    daily = Query(every="1d", fill=Fill.LINEAR)
    assert query_rows(10**9, 4, span, daily) == 10**9  # the larger of the two
    assert query_rows(4, 4, span, daily) == 61 * 4  # no series named: all of them
    assert query_rows(4, 4, span, replace(daily, series=("a", "b"))) == 61 * 2
    assert query_rows(4, 4, span, replace(daily, series=tuple("abcdefgh"))) == 61 * 4
    ten_days = replace(daily, start=datetime(2024, 2, 1), end=datetime(2024, 2, 11))
    assert query_rows(4, 4, span, ten_days) == 11 * 4  # the window bounds the grid
    assert query_rows(4, 4, span, replace(daily, start=datetime(2025, 1, 1))) == 0
    assert query_rows(4, 4, None, daily) == 4  # no time range known: the rows stored
