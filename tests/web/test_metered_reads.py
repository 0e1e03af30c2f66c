"""The dashboard's reads of a user's data — a table card's page, the History page's view of a
version, a chart's paint and zoom — are metered like the REST query of the same selection:
charged above ``metered_query_rows`` (each read under a key of its own), refused with the
reason shown when the hours run out, free below the threshold and from the chart's cache, and
each spends a request of the ``query`` rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui.testing import User

from tests.web.conftest import SEEN
from tests.web.test_explore import _add, _explore, _one, _rows, _sensors, _until
from tests.web.test_pages import _signed_in
from variosync.api.deps import Services
from variosync.catalog.ledger import MS_PER_HOUR, EntryKind
from variosync.web.pages.history import PAGE_ROWS

pytestmark = pytest.mark.asyncio
METERED = {"metered_query_rows": 100}
"""The sample's 1,080 rows (360 a series) are over this: every read of it is metered."""
OUT_OF_HOURS = "query needs about"


def _reads(shared: Services, user_id: str) -> list[str]:
    """The keys of the user's charged reads (a run's refund and overrun entries left out)."""
    return [
        e.idempotency_key or ""
        for e in shared.accounts.ledger.entries(user_id)
        if e.kind == EntryKind.DEBIT
        and e.operation == "query"
        and "#" not in (e.idempotency_key or "")
    ]


def _figure(user: User) -> dict[str, Any] | None:
    plot = _one(user, "chart-plot")
    return plot.figure if plot is not None else None


def _drawn(user: User) -> bool:
    figure = _figure(user)
    return bool(figure and figure["data"])


def _text(user: User, marker: str) -> str:
    element = _one(user, marker)
    return str(element.text) if element is not None else ""


@pytest.mark.parametrize("web_settings", [METERED])
async def test_table_pages_over_the_threshold_are_charged_each(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "sensors")
    await _until(lambda: len(_rows(user, "table-rows")) == 25, "the first page")
    first = await _until(lambda: _reads(shared, ada.id), "the first page's charge")
    assert len(first) == 1
    assert shared.accounts.ledger.balance_ms(ada.id) < MS_PER_HOUR

    user.find(marker="table-next").click()
    await user.should_see("Rows 26–50", retries=SEEN)
    reads = await _until(lambda: len(_reads(shared, ada.id)) == 2 and _reads(shared, ada.id), "2")
    assert len(set(reads)) == 2  # a key of its own for each read
    (debit,) = [e for e in shared.accounts.ledger.entries(ada.id) if e.idempotency_key == reads[0]]
    assert debit.target == "sensors"


@pytest.mark.parametrize("web_settings", [METERED])
async def test_out_of_hours_the_table_says_so_and_shows_no_rows(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada, _ = _sensors(shared)  # no hours
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "sensors")
    text = await _until(
        lambda: OUT_OF_HOURS in _text(user, "table-position") and _text(user, "table-position"),
        "the refusal",
    )
    assert "ask an administrator for hours" in text  # the hint too
    assert _rows(user, "table-rows") == []
    assert _one(user, "table-series") is not None  # the card itself still works
    assert _reads(shared, ada.id) == []


@pytest.mark.parametrize("web_settings", [METERED])
async def test_a_history_view_over_the_threshold_is_charged(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    await _signed_in(user, "ada@example.com")
    await user.open("/history?dataset=sensors")
    await _until(lambda: len(_rows(user, "points")) == PAGE_ROWS, "the first page of points")
    await _until(lambda: len(_reads(shared, ada.id)) == 1, "the view's charge")
    user.find(marker="page-on").click()
    await user.should_see(f"rows {PAGE_ROWS + 1}–{2 * PAGE_ROWS} of 1,080", retries=SEEN)
    await _until(lambda: len(_reads(shared, ada.id)) == 2, "the second page's charge")


@pytest.mark.parametrize("web_settings", [METERED])
async def test_out_of_hours_the_history_says_so_and_shows_no_points(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    _sensors(shared)
    await _signed_in(user, "ada@example.com")
    await user.open("/history?dataset=sensors")
    text = await _until(
        lambda: OUT_OF_HOURS in _text(user, "page") and _text(user, "page"), "the refusal"
    )
    assert "ask an administrator for hours" in text
    assert _rows(user, "points") == []
    assert [v["version"] for v in _rows(user, "versions")] == [0]  # the versions still show


@pytest.mark.parametrize("web_settings", [METERED])
async def test_a_chart_is_charged_once_and_its_cache_hits_are_free(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "chart", "sensors")
    await _until(lambda: _drawn(user), "the chart")
    await _until(lambda: len(_reads(shared, ada.id)) == 1, "the chart's charge")
    balance = shared.accounts.ledger.balance_ms(ada.id)
    hits = int(shared.cache.stats()["hits"])

    await user.open("/explore")  # the same chart again: from the cache, not read again
    await _until(lambda: _drawn(user), "the chart again")
    await _until(lambda: shared.cache.stats()["hits"] == hits + 1, "the cache hit")
    assert len(_reads(shared, ada.id)) == 1
    assert shared.accounts.ledger.balance_ms(ada.id) == balance

    # a zoom is a read of its window: an hour of a series (~60 points) is free, three are not
    hour = {"xaxis.range[0]": "2024-01-15 06:00:00", "xaxis.range[1]": "2024-01-15 07:00:00"}
    user.find(marker="chart-plot").trigger("plotly_relayout", hour)
    await user.should_see("60 of 60 points shown", retries=SEEN)
    assert len(_reads(shared, ada.id)) == 1
    hours = {"xaxis.range[0]": "2024-01-15 06:00:00", "xaxis.range[1]": "2024-01-15 09:00:00"}
    user.find(marker="chart-plot").trigger("plotly_relayout", hours)
    await user.should_see("180 of 180 points shown", retries=SEEN)
    await _until(lambda: len(_reads(shared, ada.id)) == 2, "the wide zoom's charge")


@pytest.mark.parametrize("web_settings", [METERED])
async def test_out_of_hours_the_chart_says_so_and_draws_nothing(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "chart", "sensors")
    text = await _until(
        lambda: OUT_OF_HOURS in _text(user, "chart-status") and _text(user, "chart-status"),
        "the refusal",
    )
    assert "ask an administrator for hours" in text
    figure = _figure(user)
    assert figure is not None and figure["data"] == []


async def test_reads_under_the_threshold_are_free(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)  # no hours: a charged read would be refused
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "sensors")
    await _until(lambda: len(_rows(user, "table-rows")) == 25, "the table's rows")
    await _add(user, shared, ada, "chart", "sensors")
    await _until(lambda: _drawn(user), "the chart")
    await user.open("/history?dataset=sensors")
    await _until(lambda: len(_rows(user, "points")) == PAGE_ROWS, "the version's points")
    assert _reads(shared, ada.id) == []
    assert shared.accounts.ledger.balance_ms(ada.id) == 0


@pytest.mark.parametrize("web_settings", [{"rate_limits_user": "query=2/day"}])
async def test_reads_spend_the_query_rate_limit(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "sensors")  # the first read
    await _until(lambda: len(_rows(user, "table-rows")) == 25, "the first page")
    user.find(marker="table-next").click()  # the second
    await user.should_see("Rows 26–50", retries=SEEN)
    user.find(marker="table-next").click()  # one too many
    refused = "too many query requests: this account may make 2 per day"
    await _until(lambda: refused in _text(user, "table-position"), "the 429")
    assert _rows(user, "table-rows") == []

    await user.open("/history?dataset=sensors")
    await _until(lambda: refused in _text(user, "page"), "the 429 on the history page")
    assert _rows(user, "points") == []

    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "chart", "sensors")
    await _until(lambda: refused in _text(user, "chart-status"), "the 429 on the chart")
    figure = _figure(user)
    assert figure is not None and figure["data"] == []
