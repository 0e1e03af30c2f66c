"""Finding the time, series and field columns, and the OHLCV alias table."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from variosync.errors import TimestampError, UsageError
from variosync.model import Kind

from .conftest import Run, make_plan

ISO = ["2024-01-15T10:00:00Z", "2024-01-16T10:00:00Z"]


@pytest.mark.parametrize(
    "name",
    ["time", "Timestamp", "DATE", "<DATE>", "date_time", "Time Stamp", "ts", "datetime", " Date "],
)
def test_time_column_by_name(name: str) -> None:
    plan = make_plan(pl.DataFrame({"value": ["1", "2"], name: ISO}))
    assert plan.time_columns == (name,)


def test_time_column_by_content() -> None:
    frame = pl.DataFrame({"station_code": ["a", "b"], "when_observed": ISO, "v": ["1", "2"]})
    assert make_plan(frame).time_columns == ("when_observed",)


def test_a_lone_epoch_like_integer_column_is_time_by_content() -> None:
    frame = pl.DataFrame({"count": [1, 2], "recorded": [1700000000, 1700000060]})
    assert make_plan(frame).time_columns == ("recorded",)


@pytest.mark.parametrize(
    "frame",
    [
        {"x": [1, 2, 3], "y": [4, 5, 6]},
        {"a": [1700000000, 1700000060], "b": [1700000100, 1700000160]},
        {"x": [1.5, 2.5], "label": ["p", "q"]},
    ],
)
def test_no_time_column_raises_with_hint(frame: dict[str, list[object]]) -> None:
    with pytest.raises(TimestampError) as info:
        make_plan(pl.DataFrame(frame))
    assert all(c in info.value.message for c in frame)
    assert info.value.hint is not None and "--time-col" in info.value.hint


def test_time_col_option_picks_and_validates() -> None:
    frame = pl.DataFrame({"created": ISO, "updated": ["2024-02-01", "2024-02-02"]})
    assert make_plan(frame, time_col="updated").time_columns == ("updated",)
    with pytest.raises(UsageError, match="created, updated"):
        make_plan(frame, time_col="nope")


def test_format_hints_are_used(run: Run) -> None:
    frame = pl.DataFrame({"stamp_x": ISO, "key": ["a", "b"], "v": [1.0, 2.0]})
    plan = make_plan(frame, {"time_col": "stamp_x", "series_col": "key"})
    assert (plan.time_columns, plan.series_col) == (("stamp_x",), "key")


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["ticker", "value"], "ticker"),
        (["Symbol", "value"], "Symbol"),
        (["ticker", "series_id"], "series_id"),
        (["name", "id"], "id"),
        (["sensor", "name"], "name"),
        (["SENSOR", "value"], "SENSOR"),
        (["station", "value"], "station"),
        (["device_id", "value"], "device_id"),
        (["host", "value"], "host"),
        (["<TICKER>", "value"], "<TICKER>"),
        (["value", "other"], None),
    ],
)
def test_series_detection(columns: list[str], expected: str | None) -> None:
    frame = pl.DataFrame({"time": ISO, **{c: ["a", "b"] for c in columns}})
    plan = make_plan(frame)
    assert plan.series_col == expected
    assert plan.default_series == "file"


def test_series_default_and_typed_values(run: Run) -> None:
    valid, _ = run({"time": ISO, "v": ["1", "2"]})
    assert valid["series_id"].to_list() == ["file", "file"]
    valid, _ = run({"time": ISO, "id": [7, 8], "v": ["1", "2"]})
    assert valid["series_id"].to_list() == ["7", "8"]


def test_series_col_option(run: Run) -> None:
    valid, _ = run({"time": ISO, "place": ["x", "y"], "v": ["1", "2"]}, series_col="place")
    assert valid["series_id"].to_list() == ["x", "y"]
    with pytest.raises(UsageError, match="time, place, v"):
        run({"time": ISO, "place": ["x", "y"], "v": ["1", "2"]}, series_col="where")


def test_missing_series_is_rejected(run: Run) -> None:
    valid, rejects = run({"time": ISO, "ticker": ["A", None], "v": ["1", "2"]})
    assert valid["series_id"].to_list() == ["A"]
    assert rejects.rows() == [(2, "ticker", "missing series id")]


@pytest.mark.parametrize(
    ("columns", "names", "kind"),
    [
        (
            ["Open", "High", "Low", "Close", "Volume"],
            ["open", "high", "low", "close", "volume"],
            Kind.OHLCV,
        ),
        (["o", "h", "l", "c", "v"], ["open", "high", "low", "close", "volume"], Kind.OHLCV),
        (
            ["<OPEN>", "<HIGH>", "<LOW>", "<CLOSE>", "<VOL>"],
            ["open", "high", "low", "close", "volume"],
            Kind.OHLCV,
        ),
        (
            ["Open", "High", "Low", "Close", "Adj Close", "Volume"],
            ["open", "high", "low", "close", "adj_close", "volume"],
            Kind.OHLCV,
        ),
        (["Open", "High", "Low", "Adj Close"], ["open", "high", "low", "close"], Kind.OHLCV),
        (
            ["open", "high", "low", "Last", "vol"],
            ["open", "high", "low", "close", "volume"],
            Kind.OHLCV,
        ),
        (["c", "v"], ["c", "v"], Kind.GENERIC),
        (["price", "Volume"], ["price", "volume"], Kind.GENERIC),
        ([" Temp ", "Humidity"], ["Temp", "Humidity"], Kind.GENERIC),
    ],
)
def test_ohlcv_aliases(columns: list[str], names: list[str], kind: Kind) -> None:
    frame = pl.DataFrame({"date": ISO, **{c: ["1", "1"] for c in columns}})
    plan = make_plan(frame)
    assert [f.name for f in plan.fields] == names
    assert plan.kind == kind


def test_forced_ohlcv_needs_the_columns() -> None:
    frame = pl.DataFrame({"date": ISO, "open": ["1", "2"], "close": ["1", "2"]})
    with pytest.raises(UsageError, match="needs columns high, low"):
        make_plan(frame, kind=Kind.OHLCV)


def test_fields_option_picks_a_subset(run: Run) -> None:
    frame = {"time": ISO, "a": ["1", "2"], "b": ["3", "4"], "Close": ["5", "6"]}
    valid, _ = run(frame, fields=("b", "close"))
    assert valid.columns == ["series_id", "ts", "b", "close"]
    with pytest.raises(UsageError, match="available fields: a, b, close"):
        run(frame, fields=("zzz",))


def test_field_names_never_collide_with_key_columns(run: Run) -> None:
    valid, _ = run({"when": ISO, "ts": ["1", "2"]}, time_col="when")
    assert valid.columns == ["series_id", "ts", "ts_1"]
    assert valid["ts"].to_list() == [
        datetime(2024, 1, 15, 10, tzinfo=UTC),
        datetime(2024, 1, 16, 10, tzinfo=UTC),
    ]


def test_helper_columns_are_dropped(run: Run) -> None:
    valid, _ = run(
        {"Unnamed: 0": [0, 1], "time": ISO, "__index_level_0__": [0, 1], "v": ["1", "2"]}
    )
    assert valid.columns == ["series_id", "ts", "v"]


def test_units_follow_renamed_fields() -> None:
    frame = pl.DataFrame({"date": ISO, "Close": ["1", "2"], "Temp": ["3", "4"], "x": ["5", "6"]})
    plan = make_plan(frame, {"units": {"Close": "USD", "Temp": "C"}})
    assert plan.units == {"close": "USD", "Temp": "C"}
