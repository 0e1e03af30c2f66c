"""The dashboard's chart data on real Delta datasets: thinned to the width and the cap, gaps
as breaks, a zoom reads its window in more detail, typed arrays only, times on the viewer's
wall clock, candles with a volume panel, cached by version — and only the owner's datasets."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient

from variosync.api.actions import Actions
from variosync.api.app import build_services, create_app
from variosync.cache import ResultCache
from variosync.catalog.ledger import MS_PER_HOUR, Entry, EntryKind
from variosync.charts import MAX_POINTS
from variosync.errors import NotFoundError, UsageError
from variosync.model import IngestOptions
from variosync.redis_link import RedisLink
from variosync.service import Variosync
from variosync.settings import Settings
from variosync.web.chart_data import (
    MAX_TRACES,
    Chart,
    ChartSpec,
    chart_traces,
    from_wall_clock,
    wall_clock_ms,
)

START = datetime(2024, 1, 1, tzinfo=UTC)
ROWS = 200_000
GAP_AT = ROWS // 2
GAP = timedelta(hours=6)
BY_SERIES = IngestOptions(series_col="series_id")


def _file(path: Path, rows: int, series: str = "meter", first: datetime = START) -> Path:
    """``rows`` points a second apart with a 6-hour hole in the middle (a random walk)."""
    seconds = np.arange(rows, dtype=np.int64)
    seconds[GAP_AT:] += int(GAP.total_seconds())
    micros = seconds * 1_000_000 + (first - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    frame = pl.DataFrame(
        {
            "ts": pl.Series(micros).cast(pl.Datetime("us", "UTC")),
            "series_id": series,
            "value": np.random.default_rng(5).normal(size=rows).cumsum(),
            "other": np.random.default_rng(6).normal(size=rows),
            "label": "x",
        }
    )
    frame.write_parquet(path)
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Variosync, Settings]]:
    """A home where ada owns ``meters`` (two series of 200k points, a gap in each)."""
    root = tmp_path_factory.mktemp("charts")
    settings = Settings(home=root / "home", profile_on_write=False)
    with Variosync(settings) as service:
        ada = service.as_owner("ada")
        files = [_file(root / f"{s}.parquet", ROWS, s) for s in ("meter", "spare")]
        ada.ingest(files, "meters", BY_SERIES)
        yield service, settings


def _cache(settings: Settings) -> ResultCache:
    return ResultCache(RedisLink(None), settings)


def _floats(array: object) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A typed array's values (failing for anything that is not one)."""
    assert isinstance(array, dict) and set(array) == {"dtype", "bdata"}
    assert array["dtype"] == "f8"
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype="<f8")


def _xy(chart: Chart, trace: int = 0) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    return _floats(chart.data[trace]["x"]), _floats(chart.data[trace]["y"])


def _ms(moment: datetime) -> float:
    return moment.timestamp() * 1000


def _lists(value: object) -> list[object]:
    """Every list inside ``value`` (a trace must hold none: per-point lists are what typed
    arrays replace)."""
    if isinstance(value, list):
        return [value]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _lists(item)]
    return []


def test_the_full_view_is_thinned_to_the_width_with_the_gap_as_a_break(
    home: tuple[Variosync, Settings],
) -> None:
    service, settings = home
    ada = service.as_owner("ada")
    chart = chart_traces(ada, _cache(settings), ChartSpec("meters", ("meter",), ("value",)))
    x, y = _xy(chart)
    assert len(x) <= 1200 and len(x) >= 1000  # the default width: about one point per pixel
    assert chart.read == ROWS and chart.shown == int(np.count_nonzero(~np.isnan(y)))
    breaks = np.flatnonzero(np.isnan(y))
    assert len(breaks) == 1
    hole_start = _ms(START + timedelta(seconds=GAP_AT - 1))
    assert hole_start < x[breaks[0]] < hole_start + GAP.total_seconds() * 1000
    assert x[breaks[0] + 1] - x[breaks[0] - 1] > GAP.total_seconds() * 1000
    assert chart.data[0]["connectgaps"] is False
    assert not _lists(chart.data[0])
    assert chart.layout["xaxis"]["type"] == "date"

    wide = chart_traces(
        ada, _cache(settings), ChartSpec("meters", ("meter",), ("value",), width_px=90_000)
    )
    assert MAX_POINTS - 10 <= len(_xy(wide)[0]) <= MAX_POINTS


def test_a_zoom_reads_its_window_in_more_detail(home: tuple[Variosync, Settings]) -> None:
    service, settings = home
    ada = service.as_owner("ada")
    cache = _cache(settings)
    full_x, _ = _xy(chart_traces(ada, cache, ChartSpec("meters", ("meter",), ("value",))))
    start, end = START + timedelta(seconds=20_000), START + timedelta(seconds=22_000)
    spec = ChartSpec("meters", ("meter",), ("value",), start=start, end=end)
    zoomed = chart_traces(ada, cache, spec)
    x, y = _xy(zoomed)
    inside = (full_x >= _ms(start)) & (full_x < _ms(end))
    assert zoomed.read == 2_000  # only the window was read
    assert len(x) > 20 * max(1, int(inside.sum()))
    assert x.min() >= _ms(start) and x.max() < _ms(end) and not np.isnan(y).any()


def test_several_series_and_fields_overlay_and_bad_choices_say_why(
    home: tuple[Variosync, Settings],
) -> None:
    service, settings = home
    ada = service.as_owner("ada")
    spec = ChartSpec("meters", ("meter", "spare"), ("value", "other"), width_px=300)
    chart = chart_traces(ada, _cache(settings), spec)
    names = [t["name"] for t in chart.data]
    assert names == ["meter · value", "meter · other", "spare · value", "spare · other"]
    assert all(len(_xy(chart, n)[0]) <= 300 for n in range(4))
    assert chart.read == 4 * ROWS
    bad = [
        (ChartSpec("meters", ("meter",), ("label",)), "not numeric"),
        (ChartSpec("meters", ("meter",), ("nope",)), "not numeric"),
        (ChartSpec("meters", (), ("value",)), "at least one series"),
        (ChartSpec("meters", ("meter",), ()), "at least one field"),
        (ChartSpec("meters", ("meter",), ("value",), style="candlestick"), "not OHLCV"),
        (ChartSpec("meters", ("meter",), ("value",), zone="Mars/Base"), "time zone"),
        (ChartSpec("meters", ("m",) * (MAX_TRACES + 1), ("value",)), "too many lines"),
    ]
    for wrong, says in bad:
        with pytest.raises(UsageError, match=says):
            chart_traces(ada, _cache(settings), wrong)


def test_times_are_shown_on_the_viewers_wall_clock(home: tuple[Variosync, Settings]) -> None:
    service, settings = home
    ada = service.as_owner("ada")
    cache = _cache(settings)
    start, end = START + timedelta(seconds=100), START + timedelta(seconds=200)
    utc = chart_traces(
        ada, cache, ChartSpec("meters", ("meter",), ("value",), start=start, end=end)
    )
    berlin_spec = ChartSpec(
        "meters", ("meter",), ("value",), start=start, end=end, zone="Europe/Berlin"
    )
    berlin = chart_traces(ada, cache, berlin_spec)
    assert np.array_equal(_xy(berlin)[0], _xy(utc)[0] + 3_600_000)  # CET is UTC+1 in January
    assert berlin.layout["xaxis"]["title"]["text"] == "Time (Europe/Berlin)"
    # a window the browser sends back (wall-clock text of that zone) is the same instant
    assert from_wall_clock("2024-01-01 01:01:40", "Europe/Berlin") == start
    assert from_wall_clock("2024-07-01 02:00:00.5", "Europe/Berlin") == datetime(
        2024, 7, 1, 0, 0, 0, 500_000, tzinfo=UTC
    )
    summer = np.array([_ms(datetime(2024, 7, 1, tzinfo=UTC))])
    assert wall_clock_ms(summer, "Europe/Berlin")[0] - summer[0] == 7_200_000  # CEST
    for wrong in ("yesterday", 1e20, None, "9999-12-31 23:59:59"):
        with pytest.raises(UsageError, match="invalid time"):
            from_wall_clock(wrong, "America/New_York")


def test_a_repeat_is_a_cache_hit_and_a_new_upload_a_miss(
    home: tuple[Variosync, Settings], tmp_path: Path
) -> None:
    service, settings = home
    ada = service.as_owner("ada")
    ada.ingest([_file(tmp_path / "a.parquet", 1_000)], "cached", BY_SERIES)
    cache = _cache(settings)
    spec = ChartSpec("cached", ("meter",), ("value",))
    first = chart_traces(ada, cache, spec)
    assert cache.stats()["misses"] == 1 and cache.stats()["hits"] == 0
    again = chart_traces(ada, cache, spec)
    assert cache.stats()["hits"] == 1 and again.data == first.data
    zoom = ChartSpec(
        "cached", ("meter",), ("value",), start=START, end=START + timedelta(minutes=5)
    )
    chart_traces(ada, cache, zoom)
    chart_traces(ada, cache, zoom)
    assert cache.stats()["hits"] == 2 and cache.stats()["misses"] == 2
    narrow = chart_traces(ada, cache, replace(spec, width_px=300))  # another width: its own
    assert cache.stats()["misses"] == 3 and len(_xy(narrow)[0]) <= 300

    later = START + timedelta(days=2)
    ada.ingest([_file(tmp_path / "b.parquet", 1_000, first=later)], "cached", BY_SERIES)
    fresh = chart_traces(ada, cache, spec)
    assert cache.stats()["misses"] == 4  # a new version: never the stale entry
    assert fresh.read == 2_000 and _xy(fresh)[0].max() >= _ms(later)


def test_candles_with_a_volume_panel(tmp_path: Path) -> None:
    rows = 50_000
    close = np.random.default_rng(3).normal(size=rows).cumsum() + 100
    frame = pl.DataFrame(
        {
            "ts": pl.datetime_range(START, START + timedelta(minutes=rows - 1), "1m", eager=True),
            "symbol": "ACME",
            "open": close - 0.5,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": np.full(rows, 10, dtype=np.int64),
        }
    )
    frame.write_parquet(tmp_path / "prices.parquet")
    settings = Settings(home=tmp_path / "home", profile_on_write=False)
    with Variosync(settings) as service:
        service.ingest([tmp_path / "prices.parquet"], "prices", IngestOptions(series_col="symbol"))
        assert service.catalog.get("prices").kind == "ohlcv"
        cache = _cache(settings)
        spec = ChartSpec("prices", ("ACME",), style="candlestick", width_px=400)
        chart = chart_traces(service, cache, spec)
        candle, volume = chart.data
        assert candle["type"] == "candlestick" and volume["type"] == "bar"
        assert volume["yaxis"] == "y2" and candle["yaxis"] == "y"
        assert len(_floats(candle["x"])) <= 401 and chart.read == rows
        assert _floats(candle["high"]).max() == frame["high"].max()
        assert _floats(volume["y"]).sum() == 10 * rows
        assert not _lists(candle) and not _lists(volume)
        assert chart.layout["xaxis"]["anchor"] == "y2"
        assert chart.layout["yaxis2"]["domain"][1] < chart.layout["yaxis"]["domain"][0]
        assert chart.layout["xaxis"]["rangeslider"] == {"visible": False}

        bars = chart_traces(
            service, cache, ChartSpec("prices", ("ACME",), style="ohlc", volume=False)
        )
        assert [t["type"] for t in bars.data] == ["ohlc"] and "yaxis2" not in bars.layout
        lines = chart_traces(service, cache, ChartSpec("prices", ("ACME",), ("close",)))
        assert [t["type"] for t in lines.data] == ["scatter"]


def test_another_users_dataset_is_not_found(home: tuple[Variosync, Settings]) -> None:
    service, settings = home
    bob = service.as_owner("bob")
    with pytest.raises(NotFoundError):
        chart_traces(bob, _cache(settings), ChartSpec("meters", ("meter",), ("value",)))


def test_points_written_out_of_order_are_drawn_in_time_order(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", profile_on_write=False)
    with Variosync(settings) as service:
        for number, day in enumerate((3, 0, 6, 1)):
            first = START + timedelta(days=day)
            path = _file(tmp_path / f"{number}.parquet", 5_000, first=first)
            service.ingest([path], "late", BY_SERIES)
        stored = service.scan("late").filter(pl.col("series_id") == "meter").collect()
        assert not stored["ts"].is_sorted()  # the store reads the writes' files in its order
        spec = ChartSpec("late", ("meter",), ("value",), width_px=50_000)
        chart = chart_traces(service, _cache(settings), spec)
        x, y = _xy(chart)
        assert chart.read == 20_000 and np.all(np.diff(x) > 0)
        assert x[0] == _ms(START) and np.isnan(y).sum() == 3  # the days between the writes


def test_a_chart_read_is_metered_as_the_rest_query_and_a_cache_hit_is_free(
    tmp_path: Path,
) -> None:
    settings = Settings(
        home=tmp_path / "home", signup_hours=0.0, metered_query_rows=50_000, profile_on_write=False
    )
    shared = build_services(settings)
    app = create_app(settings)
    app.state.services = shared  # the lifespan would build a second set
    try:
        ada = shared.accounts.register("ada@example.com", "correct horse battery")
        shared.accounts.grant(None, ada.id, MS_PER_HOUR)
        _, secret = shared.accounts.create_key(ada, "rest")
        mine = shared.service.as_owner(ada.id)
        files = [_file(tmp_path / f"{s}.parquet", ROWS, s) for s in ("meter", "spare")]
        mine.ingest(files, "meters", BY_SERIES)
        actions = Actions(shared, ada, None)
        lo, hi = START, START + timedelta(hours=30)

        def charged() -> list[Entry]:
            return [
                e
                for e in shared.accounts.ledger.entries(ada.id)
                if e.kind is EntryKind.DEBIT and "#" not in (e.idempotency_key or "")
            ]

        spec = ChartSpec("meters", ("meter",), ("value",), start=lo, end=hi)
        chart = chart_traces(mine, shared.cache, spec, actions)
        assert chart.read > 50_000
        (chart_debit,) = charged()
        assert (chart_debit.operation, chart_debit.target) == ("query", "meters")
        assert chart_traces(mine, shared.cache, spec, actions).data == chart.data  # a hit
        assert charged() == [chart_debit]

        window = {
            "series": "meter",
            "fields": "value",
            "start": lo.isoformat(),
            "end": hi.isoformat(),
        }
        headers = {"Authorization": f"Bearer {secret}"}
        answer = TestClient(app).get(
            "/api/v1/datasets/meters/query", params=window, headers=headers
        )
        assert answer.status_code == 200, answer.text
        rest_debit = charged()[0]
        assert rest_debit.idempotency_key != chart_debit.idempotency_key
        assert rest_debit.amount_ms == chart_debit.amount_ms  # the same estimate reserved

        narrow = replace(spec, end=lo + timedelta(hours=1))  # ~3,600 points: under it, free
        assert chart_traces(mine, shared.cache, narrow, actions).read == 3_600
        assert len(charged()) == 2
    finally:
        shared.service.close()
