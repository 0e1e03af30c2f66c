"""Numbers as times: only plausible epochs are moments; readings never become 1970 times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from variosync.errors import TimestampError

from .conftest import Run


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1700000000, 1700000060], [utc(2023, 11, 14, 22, 13, 20), utc(2023, 11, 14, 22, 14, 20)]),
        (
            [1700000000.0, 1700000060.0],
            [utc(2023, 11, 14, 22, 13, 20), utc(2023, 11, 14, 22, 14, 20)],
        ),
        (["1700000000.5"], [utc(2023, 11, 14, 22, 13, 20, 500000)]),
        ([1700000000.25], [utc(2023, 11, 14, 22, 13, 20, 250000)]),
        (["-2208988800", "-2208988740"], [utc(1900, 1, 1), utc(1900, 1, 1, 0, 1)]),
        ([-86400, 86400], [utc(1969, 12, 31), utc(1970, 1, 2)]),
        ([-5364662400], [utc(1800, 1, 1)]),
        ([7258118400000], [utc(2200, 1, 1)]),
        ([-3786825600000000000], [utc(1850, 1, 1)]),
        ([10413791999000000], [utc(2299, 12, 31, 23, 59, 59)]),
    ],
)
@pytest.mark.parametrize("option", [False, True])
def test_plausible_epochs_are_times(
    run: Run, values: list[Any], expected: list[datetime], option: bool
) -> None:
    frame = pl.DataFrame({"when": values, "v": [1.0] * len(values)})
    valid, rejects = run(frame, time_col="when") if option else run(frame.rename({"when": "epoch"}))
    assert rejects.is_empty()
    assert valid["ts"].to_list() == expected


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (["55.3", "56.1", "57.0"], "55.3"),
        ([55.3, 56.1, 57.0], "55.3"),
        (["NA", "55.3", "56.1"], "55.3"),
        (["1", "2", "3"], "1"),
        ([0, 0, 1], "0"),
        ([3600, 7200, 10800], "3600"),
        ([101325.5, 101330.25, 101320.75], "101325.5"),  # pascals: fractions far from today
        ([50_000_000_000_000, 60_000_000_000_000], "50000000000000"),  # ms in the year 3554
        (["-1e300", "1e300"], "-1e300"),
    ],
)
def test_numbers_that_are_not_epochs_are_refused(run: Run, values: list[Any], shown: str) -> None:
    frame = pl.DataFrame({"humidity": values, "v": [1.0] * len(values)})
    with pytest.raises(TimestampError) as caught:
        run(frame, time_col="humidity")
    message = str(caught.value)
    assert message == (
        f"column 'humidity' holds numbers like {shown} that are not epoch times "
        "(seconds/ms/µs/ns since 1970)"
    )
    assert caught.value.hint is not None
    assert "--time-format" in caught.value.hint


def test_a_named_time_column_of_readings_is_refused(run: Run) -> None:
    with pytest.raises(TimestampError, match=r"'time' holds numbers like 12\.5"):
        run({"time": ["12.5", "13.25"], "v": ["1", "2"]})


def test_a_named_column_of_readings_gives_way_to_the_next_named_column(run: Run) -> None:
    # "time" holds durations, not clock times: the date column is the time and time a field.
    valid, rejects = run({"date": ["2024-01-15", "2024-01-16"], "time": ["12.5", "13.25"]})
    assert rejects.is_empty()
    assert valid["ts"].to_list() == [utc(2024, 1, 15), utc(2024, 1, 16)]
    assert valid["time"].to_list() == [12.5, 13.25]


@pytest.mark.parametrize(
    "column",
    [
        pl.Series("reading", [55.3, 56.1]),
        pl.Series("reading", ["55.3", "56.1"]),
        pl.Series("reading", [1, 2]),
        pl.Series("reading", [3600, 7200]),
        pl.Series("reading", [1700000000.5, 1700000001.5]),
    ],
)
def test_content_detection_never_takes_readings(run: Run, column: pl.Series) -> None:
    with pytest.raises(TimestampError, match="no time column found"):
        run(pl.DataFrame([column, pl.Series("v", ["a", "b"])]))


def test_time_format_reads_a_number_column(run: Run) -> None:
    frame = {"humidity": ["20240115", "20240116"], "v": ["1", "2"]}
    valid, _ = run(frame, time_col="humidity", time_format="%Y%m%d")
    assert valid["ts"].to_list() == [utc(2024, 1, 15), utc(2024, 1, 16)]


@pytest.mark.parametrize("stray", ["0", "55", "-3600", "99999999999999"])
def test_a_stray_implausible_value_is_rejected_not_placed_in_1970(run: Run, stray: str) -> None:
    frame = {"timestamp": ["1700000000", stray, "1700000060"], "v": ["1", "2", "3"]}
    valid, rejects = run(frame)
    assert valid["ts"].to_list() == [utc(2023, 11, 14, 22, 13, 20), utc(2023, 11, 14, 22, 14, 20)]
    assert rejects.rows() == [
        (2, "timestamp", f"cannot parse '{stray}' as a timestamp with epoch seconds")
    ]
