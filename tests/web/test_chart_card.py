"""The chart card as a user meets it, drawn alone on a test page over the whole app: a plot of
typed arrays thinned to the width, a zoom that asks the server for its window in detail (in
the user's time zone), choices saved, candles with a volume panel, a PNG download, and a
dataset that is not the user's."""

from __future__ import annotations

import asyncio
import base64
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing import User
from nicegui.testing.general import nicegui_reset_globals

from tests.web.conftest import PASSWORD, SEEN
from variosync.api.deps import Services
from variosync.model import IngestOptions
from variosync.settings import Settings
from variosync.web import create_web_app
from variosync.web.board import chart_card
from variosync.web.frame import enter

pytestmark = pytest.mark.asyncio
START = datetime(2024, 1, 1, tzinfo=UTC)
ROWS = 200_000
PAGE = "/chart-card-test"
Floats = np.ndarray[Any, np.dtype[np.float64]]


@pytest_asyncio.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[User, Services, FastAPI]]:
    """The ``web`` fixture's app (see conftest), and the app itself, to draw a card on a
    page of the test's own."""
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            api = create_web_app(Settings(home=tmp_path / "home", signup_hours=0.0))
            async with api.router.lifespan_context(api):
                transport = httpx.ASGITransport(api)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                    yield User(http), api.state.services, api
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate, ui.notify, ui.download = Navigate(), notify, download


def _card_page(api: FastAPI, card: dict[str, Any], saved: list[dict[str, Any]]) -> None:
    """A page drawing only the chart card of ``card``; what it saves goes to ``saved``."""

    @ui.page(PAGE)
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Chart card")
        if isinstance(visit, RedirectResponse):
            return visit

        async def save(settings: dict[str, Any]) -> None:
            saved.append(settings)
            card.update(settings)

        await chart_card.render(visit, card, save)
        return None


async def _open(user: User, email: str) -> None:
    await user.open("/signin")
    user.find("Email").type(email)
    user.find("Password").type(PASSWORD)
    user.find(marker="sign-in").click()
    await user.should_see("Sign out", retries=SEEN)
    await user.open(PAGE)


def _meters(path: Path) -> Path:
    """Two series of 200k points a second apart, with a 6-hour hole in the middle."""
    seconds = np.arange(ROWS, dtype=np.int64)
    seconds[ROWS // 2 :] += 6 * 3600
    ts = pl.Series(seconds * 1_000_000 + int(START.timestamp() * 1e6)).cast(
        pl.Datetime("us", "UTC")
    )
    walk = np.random.default_rng(4).normal(size=ROWS).cumsum()
    frame = pl.DataFrame({"ts": ts, "value": walk, "other": -walk})
    both = pl.concat([frame.with_columns(sensor=pl.lit(s)) for s in ("meter", "spare")])
    both.write_parquet(path)
    return path


def _floats(array: object) -> Floats:
    assert isinstance(array, dict) and array.get("dtype") == "f8", array
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype="<f8")


async def _figure(user: User, changed_from: object = None) -> dict[str, Any]:
    """The plot's figure once it holds data (different from ``changed_from``)."""
    for _ in range(SEEN * 2):
        try:
            plots = user.find(ui.plotly).elements
        except AssertionError:
            plots = set()
        if plots:
            figure = next(iter(plots)).figure
            assert isinstance(figure, dict)
            if figure["data"] and figure["data"] != changed_from:
                return figure
        await asyncio.sleep(0.1)
    raise AssertionError("the plot did not change")


def _ms(moment: datetime) -> float:
    return moment.timestamp() * 1000


async def test_a_zoom_refines_the_window_in_the_users_zone(
    app: tuple[User, Services, FastAPI], tmp_path: Path
) -> None:
    user, shared, api = app
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.accounts.preferences.update(ada.id, time_zone="Europe/Berlin")
    options = IngestOptions(series_col="sensor")
    shared.service.as_owner(ada.id).ingest([_meters(tmp_path / "m.parquet")], "meters", options)
    _card_page(api, {"id": "c1", "type": "chart", "dataset": "meters"}, [])
    await _open(user, "ada@example.com")

    figure = await _figure(user)
    (trace,) = figure["data"]
    x, y = _floats(trace["x"]), _floats(trace["y"])
    assert 1000 <= len(x) <= 1200 and np.isnan(y).sum() == 1  # the hole is a break
    hour = 3_600_000  # Berlin is UTC+1 in January: the x values are its wall clock
    assert x[0] == _ms(START) + hour
    assert figure["layout"]["uirevision"] == "chart-c1"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Time (Europe/Berlin)"
    await user.should_see("points shown — zoom in for detail", retries=SEEN)

    # the user drags over 01:33:20–02:06:40 Berlin time (2,000 s of data)
    lo, hi = START + timedelta(seconds=2_000), START + timedelta(seconds=4_000)
    window = {"xaxis.range[0]": "2024-01-01 01:33:20", "xaxis.range[1]": "2024-01-01 02:06:40"}
    user.find(ui.plotly).trigger("plotly_relayout", window)
    zoomed = await _figure(user, figure["data"])
    zx = _floats(zoomed["data"][0]["x"])
    assert zx.min() >= _ms(lo) + hour and zx.max() < _ms(hi) + hour
    before = int(((x >= _ms(lo) + hour) & (x < _ms(hi) + hour)).sum())
    assert len(zx) >= 1000 and len(zx) > 50 * max(1, before)
    assert zoomed["layout"]["uirevision"] == "chart-c1"  # the view the user chose stays
    await user.should_see(f"{len(zx):,} of 2,000 points shown", retries=SEEN)

    user.find(ui.plotly).trigger("plotly_relayout", {"xaxis.autorange": True})
    whole = await _figure(user, zoomed["data"])
    assert len(_floats(whole["data"][0]["x"])) <= 1200
    # a relayout that is not about x (a resize) reads nothing again
    reads = shared.cache.stats()["misses"]
    user.find(ui.plotly).trigger("plotly_relayout", {"autosize": True})
    await asyncio.sleep(0.3)
    assert shared.cache.stats()["misses"] == reads


async def test_choosing_series_and_fields_saves_and_redraws(
    app: tuple[User, Services, FastAPI], tmp_path: Path
) -> None:
    user, shared, api = app
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    options = IngestOptions(series_col="sensor")
    shared.service.as_owner(ada.id).ingest([_meters(tmp_path / "m.parquet")], "meters", options)
    saved: list[dict[str, Any]] = []
    _card_page(api, {"id": "c1", "type": "chart", "dataset": "meters"}, saved)
    await _open(user, "ada@example.com")
    first = await _figure(user)
    assert [t["name"] for t in first["data"]] == ["meter"]

    (series,) = user.find(marker="chart-series").elements
    with user:
        assert isinstance(series, ui.select)
        series.value = ["meter", "spare"]
    second = await _figure(user, first["data"])
    assert [t["name"] for t in second["data"]] == ["meter", "spare"]
    assert saved[-1]["series"] == ["meter", "spare"] and saved[-1]["fields"] == ["value"]

    (fields,) = user.find(marker="chart-fields").elements
    with user:
        assert isinstance(fields, ui.select)
        fields.value = ["other"]
    third = await _figure(user, second["data"])
    assert saved[-1]["fields"] == ["other"]
    assert _floats(third["data"][0]["y"])[0] == -_floats(second["data"][0]["y"])[0]

    # the saved choices come back when the card is drawn again
    await user.open(PAGE)
    again = await _figure(user)
    assert [t["name"] for t in again["data"]] == ["meter", "spare"]
    (series,) = user.find(marker="chart-series").elements
    with user:
        assert isinstance(series, ui.select)
        series.value = []
    await user.should_see("Choose a series and a field to chart.", retries=SEEN)
    assert next(iter(user.find(ui.plotly).elements)).figure["data"] == []


async def test_ohlcv_draws_candles_over_a_volume_panel(
    app: tuple[User, Services, FastAPI], tmp_path: Path
) -> None:
    user, shared, api = app
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    rows = 20_000
    close = np.random.default_rng(3).normal(size=rows).cumsum() + 100
    prices = pl.DataFrame(
        {
            "ts": pl.datetime_range(START, START + timedelta(minutes=rows - 1), "1m", eager=True),
            "symbol": "ACME",
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": np.full(rows, 3, dtype=np.int64),
        }
    )
    prices.write_parquet(tmp_path / "p.parquet")
    options = IngestOptions(series_col="symbol")
    shared.service.as_owner(ada.id).ingest([tmp_path / "p.parquet"], "prices", options)
    saved: list[dict[str, Any]] = []
    _card_page(api, {"id": "c2", "type": "chart", "dataset": "prices"}, saved)
    await _open(user, "ada@example.com")

    figure = await _figure(user)
    candles, volume = figure["data"]
    assert candles["type"] == "candlestick" and volume["type"] == "bar"
    assert len(_floats(candles["close"])) <= 1201 and _floats(volume["y"]).sum() == 3 * rows
    assert figure["layout"]["yaxis2"]["domain"][1] < figure["layout"]["yaxis"]["domain"][0]

    (style,) = user.find(marker="chart-style").elements
    with user:
        assert isinstance(style, ui.toggle)
        style.value = "ohlc"
    bars = await _figure(user, figure["data"])
    assert [t["type"] for t in bars["data"]] == ["ohlc", "bar"] and saved[-1]["style"] == "ohlc"

    (switch,) = user.find(marker="chart-volume").elements
    with user:
        assert isinstance(switch, ui.switch)
        switch.value = False
    alone = await _figure(user, bars["data"])
    assert [t["type"] for t in alone["data"]] == ["ohlc"] and saved[-1]["volume"] is False

    with user:
        style.value = "line"
    line = await _figure(user, alone["data"])
    assert [t["type"] for t in line["data"]] == ["scatter"] and line["data"][0]["name"] == "ACME"


async def test_the_chart_downloads_as_a_png(
    app: tuple[User, Services, FastAPI], tmp_path: Path
) -> None:
    user, shared, api = app
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    options = IngestOptions(series_col="sensor")
    shared.service.as_owner(ada.id).ingest([_meters(tmp_path / "m.parquet")], "meters", options)
    _card_page(api, {"id": "c1", "type": "chart", "dataset": "meters"}, [])
    await _open(user, "ada@example.com")
    figure = await _figure(user)
    assert figure["config"]["toImageButtonOptions"]["filename"] == "meters-chart"

    calls: list[str] = []
    user.javascript_rules[re.compile(r".*downloadImage.*", re.S)] = lambda m: calls.append(
        m.group(0)
    )
    user.find(marker="chart-png").click()
    for _ in range(SEEN):
        if calls:
            break
        await asyncio.sleep(0.1)
    assert calls and '"filename":"meters-meter"' in calls[0] and '"format":"png"' in calls[0]


async def test_a_dataset_that_is_not_mine_is_not_found(
    app: tuple[User, Services, FastAPI], tmp_path: Path
) -> None:
    user, shared, api = app
    shared.accounts.register("ada@example.com", PASSWORD)
    bob = shared.accounts.register("bob@example.com", PASSWORD)
    options = IngestOptions(series_col="sensor")
    shared.service.as_owner(bob.id).ingest([_meters(tmp_path / "m.parquet")], "meters", options)
    _card_page(api, {"id": "c1", "type": "chart", "dataset": "meters"}, [])
    await _open(user, "ada@example.com")
    await user.should_see("Chart of meters: no dataset named 'meters'", retries=SEEN)
    assert not _has(user, ui.plotly)


def _has(user: User, kind: type[ui.element]) -> bool:
    try:
        return bool(user.find(kind).elements)
    except AssertionError:
        return False


async def test_points_follow_the_cards_width_and_the_plots_measured_width(
    app: tuple[User, Services, FastAPI], tmp_path: Path
) -> None:
    user, shared, api = app
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    options = IngestOptions(series_col="sensor")
    shared.service.as_owner(ada.id).ingest([_meters(tmp_path / "m.parquet")], "meters", options)
    # half the board's 12 columns: thinned for half the default 1,200 px before the browser
    # says more
    _card_page(api, {"id": "c1", "type": "chart", "dataset": "meters", "width": 6}, [])
    await _open(user, "ada@example.com")
    figure = await _figure(user)
    assert 500 <= len(_floats(figure["data"][0]["x"])) <= 600

    # the browser adds the plot's width to each relayout (a resize here): far wider, drawn again
    user.find(ui.plotly).trigger("plotly_relayout", {"autosize": True, "plot_width": 1500})
    wider = await _figure(user, figure["data"])
    assert 1200 < len(_floats(wider["data"][0]["x"])) <= 1500


async def test_an_empty_dataset_says_so(app: tuple[User, Services, FastAPI]) -> None:
    user, shared, api = app
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.service.as_owner(ada.id).create("empty")
    _card_page(api, {"id": "c1", "type": "chart", "dataset": "empty"}, [])
    await _open(user, "ada@example.com")
    await user.should_see("Dataset empty holds no data yet.", retries=SEEN)
