"""Timestamp detection and parsing: every supported shape in, exact UTC instants out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import polars as pl
import pytest

from variosync.errors import TimestampError, UsageError
from variosync.model import TS_DTYPE

from .conftest import Run


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-15T10:00:00Z", utc(2024, 1, 15, 10)),
        ("2024-01-15T10:00:00+02:00", utc(2024, 1, 15, 8)),
        ("2024-01-15T10:00:00-05:30", utc(2024, 1, 15, 15, 30)),
        ("2024-01-15T10:00:00+0200", utc(2024, 1, 15, 8)),
        ("2024-01-15 10:00:00", utc(2024, 1, 15, 10)),
        ("2024-01-15T10:00:00", utc(2024, 1, 15, 10)),
        ("2024-01-15T10:00", utc(2024, 1, 15, 10)),
        ("2024-01-15T10:00:00.123456Z", utc(2024, 1, 15, 10, 0, 0, 123456)),
        ("2024-01-15 10:00:00.5", utc(2024, 1, 15, 10, 0, 0, 500000)),
        ("2024-01-15T10:00:00.25+01:00", utc(2024, 1, 15, 9, 0, 0, 250000)),
        ("2024-01-15", utc(2024, 1, 15)),
        ("2012/01/01", utc(2012, 1, 1)),
        ("2012/01/01 13:45:10", utc(2012, 1, 1, 13, 45, 10)),
        ("Jan 1 2000", utc(2000, 1, 1)),
        ("January 1, 2000", utc(2000, 1, 1)),
        ("15-Jan-2024", utc(2024, 1, 15)),
        ("15.01.2024 09:30", utc(2024, 1, 15, 9, 30)),
        ("15.01.2024", utc(2024, 1, 15)),
        ("01/15/2024", utc(2024, 1, 15)),
        ("15/01/2024", utc(2024, 1, 15)),
        ("01/15/2024 09:30:15", utc(2024, 1, 15, 9, 30, 15)),
        ("01/15/2024 09:30 PM", utc(2024, 1, 15, 21, 30)),
        ("Mon, 15 Jan 2024 10:00:00 +0100", utc(2024, 1, 15, 9)),
        ("1899-12-31", utc(1899, 12, 31)),
        ("1850-06-01 12:00:00", utc(1850, 6, 1, 12)),
        ("2199-12-31T23:59:59Z", utc(2199, 12, 31, 23, 59, 59)),
        (" 2024-01-15 10:00:00 ", utc(2024, 1, 15, 10)),
    ],
)
def test_text_formats(run: Run, value: str, expected: datetime) -> None:
    valid, rejects = run({"timestamp": [value], "v": ["1"]})
    assert rejects.is_empty()
    assert valid.schema["ts"] == TS_DTYPE
    assert valid["ts"].to_list() == [expected]


def test_compact_dates_in_a_named_column(run: Run) -> None:
    valid, _ = run({"Date": ["20240115", "20240116"], "v": ["1", "2"]})
    assert valid["ts"].to_list() == [utc(2024, 1, 15), utc(2024, 1, 16)]


def test_mixed_offsets_convert_each_row(run: Run) -> None:
    values = ["2024-01-15T10:00:00+02:00", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00-08:00"]
    valid, rejects = run({"time": values, "v": ["1", "2", "3"]})
    assert rejects.is_empty()
    assert valid["ts"].to_list() == [
        utc(2024, 1, 15, 8),
        utc(2024, 1, 15, 10),
        utc(2024, 1, 15, 18),
    ]


def test_mixed_t_and_space_separators(run: Run) -> None:
    valid, _ = run({"time": ["2024-01-15T10:00:00", "2024-01-15 11:00:00"], "v": ["1", "2"]})
    assert valid["ts"].to_list() == [utc(2024, 1, 15, 10), utc(2024, 1, 15, 11)]


@pytest.mark.parametrize(
    ("values", "dayfirst", "expected"),
    [
        (["01/02/2024"], False, [utc(2024, 1, 2)]),
        (["01/02/2024"], True, [utc(2024, 2, 1)]),
        (["01/02/2024", "13/02/2024"], False, [utc(2024, 2, 1), utc(2024, 2, 13)]),
        (["02/01/2024", "02/13/2024"], True, [utc(2024, 2, 1), utc(2024, 2, 13)]),
    ],
)
def test_dayfirst(run: Run, values: list[str], dayfirst: bool, expected: list[datetime]) -> None:
    valid, _ = run({"date": values, "v": ["1"] * len(values)}, dayfirst=dayfirst)
    assert valid["ts"].to_list() == expected


@pytest.mark.parametrize(
    ("tz", "value", "expected"),
    [
        ("Europe/Berlin", "2024-01-15 10:00", utc(2024, 1, 15, 9)),
        ("Europe/Berlin", "2024-07-15 10:00", utc(2024, 7, 15, 8)),
        ("America/New_York", "2024-01-15", utc(2024, 1, 15, 5)),
        ("Asia/Kolkata", "2024-01-15 10:00:00", utc(2024, 1, 15, 4, 30)),
        ("Europe/Berlin", "2024-01-15T10:00:00Z", utc(2024, 1, 15, 10)),
        ("Europe/Berlin", "2024-01-15T10:00:00+05:00", utc(2024, 1, 15, 5)),
    ],
)
def test_tz_localises_naive_values_only(run: Run, tz: str, value: str, expected: datetime) -> None:
    valid, _ = run({"time": [value], "v": ["1"]}, tz=tz)
    assert valid["ts"].to_list() == [expected]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "2024-03-31 02:30",
            "local time '2024-03-31 02:30' does not exist in Europe/Berlin (DST gap)",
        ),
        (
            "2024-10-27 02:30",
            "local time '2024-10-27 02:30' is ambiguous in Europe/Berlin (DST overlap)",
        ),
    ],
)
def test_dst_gaps_and_overlaps_are_rejected(run: Run, value: str, reason: str) -> None:
    valid, rejects = run({"time": ["2024-03-30 12:00", value], "v": ["1", "2"]}, tz="Europe/Berlin")
    assert valid.height == 1
    assert rejects.rows() == [(2, "time", reason)]


def test_unknown_tz_is_a_usage_error(run: Run) -> None:
    with pytest.raises(UsageError, match="Mars/Base"):
        run({"time": ["2024-01-15"], "v": ["1"]}, tz="Mars/Base")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, utc(2023, 11, 14, 22, 13, 20)),
        (1700000000123, utc(2023, 11, 14, 22, 13, 20, 123000)),
        (1700000000123456, utc(2023, 11, 14, 22, 13, 20, 123456)),
        (1700000000123456789, utc(2023, 11, 14, 22, 13, 20, 123456)),
        (-86400, utc(1969, 12, 31)),
        (-2208988800, utc(1900, 1, 1)),
        (-2208988800000, utc(1900, 1, 1)),
        (-2208988800000000, utc(1900, 1, 1)),
        (-3786825600000000000, utc(1850, 1, 1)),
        (86400, utc(1970, 1, 2)),
    ],
)
@pytest.mark.parametrize("as_text", [False, True])
def test_epoch_units_by_magnitude(run: Run, value: int, expected: datetime, as_text: bool) -> None:
    column = pl.Series("timestamp", [str(value)] if as_text else [value])
    valid, rejects = run(pl.DataFrame([column, pl.Series("v", [1.0])]))
    assert rejects.is_empty()
    assert valid["ts"].to_list() == [expected]


def test_fractional_epoch_seconds(run: Run) -> None:
    valid, _ = run({"epoch": ["1700000000.5", "1700000001.25"], "v": ["1", "2"]})
    expected = [utc(2023, 11, 14, 22, 13, 20, 500000), utc(2023, 11, 14, 22, 13, 21, 250000)]
    assert valid["ts"].to_list() == expected


@pytest.mark.parametrize(
    ("column", "tz", "expected"),
    [
        (
            pl.Series("ts", [datetime(2024, 1, 15, 10)], pl.Datetime("ns")),
            "UTC",
            utc(2024, 1, 15, 10),
        ),
        (
            pl.Series("ts", [datetime(2024, 1, 15, 10)], pl.Datetime("ns")),
            "Europe/Berlin",
            utc(2024, 1, 15, 9),
        ),
        (
            pl.Series("ts", [datetime(2024, 1, 15, 10)]).dt.replace_time_zone("America/New_York"),
            "Europe/Berlin",
            utc(2024, 1, 15, 15),
        ),
        (
            pl.Series("ts", [datetime(2024, 1, 15, 10, tzinfo=timezone(timedelta(hours=2)))]),
            "UTC",
            utc(2024, 1, 15, 8),
        ),
        (pl.Series("ts", [date(1899, 12, 31)]), "UTC", utc(1899, 12, 31)),
        (
            pl.Series("ts", [datetime(2024, 1, 15, 10)], pl.Datetime("ms")),
            "UTC",
            utc(2024, 1, 15, 10),
        ),
    ],
)
def test_typed_time_columns(run: Run, column: pl.Series, tz: str, expected: datetime) -> None:
    valid, _ = run(pl.DataFrame([column, pl.Series("v", [1.0])]), tz=tz)
    assert valid["ts"].to_list() == [expected]


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ({"Date": ["2024-01-15"], "Time": ["09:30:00"]}, utc(2024, 1, 15, 9, 30)),
        ({"Date": ["15.01.2024"], "Time": ["09:30"]}, utc(2024, 1, 15, 9, 30)),
        ({"Date": ["01/15/2024"], "Time": ["9:30"]}, utc(2024, 1, 15, 9, 30)),
        ({"<DATE>": ["20240115"], "<TIME>": ["093000"]}, utc(2024, 1, 15, 9, 30)),
        ({"<DATE>": [20240115], "<TIME>": [93000]}, utc(2024, 1, 15, 9, 30)),
        ({"date": [date(2024, 1, 15)], "time": [time(9, 30)]}, utc(2024, 1, 15, 9, 30)),
        (
            {"date": [datetime(2024, 1, 15)], "time": ["09:30:15.5"]},
            utc(2024, 1, 15, 9, 30, 15, 500000),
        ),
    ],
)
def test_separate_date_and_time_columns(
    run: Run, frame: dict[str, list[object]], expected: datetime
) -> None:
    valid, _ = run({**frame, "v": [1.0]})
    assert valid["ts"].to_list() == [expected]
    assert valid.columns == ["series_id", "ts", "v"]


def test_time_format_option_overrides_detection(run: Run) -> None:
    valid, rejects = run({"time": ["15|01|2024", "junk"], "v": ["1", "2"]}, time_format="%d|%m|%Y")
    assert valid["ts"].to_list() == [utc(2024, 1, 15)]
    assert rejects.rows() == [
        (2, "time", "cannot parse 'junk' as a timestamp with format %d|%m|%Y")
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-13-45", "cannot parse '2024-13-45' as a timestamp with format %Y-%m-%d"),
        (None, "missing timestamp"),
        ("", "missing timestamp"),
        ("NA", "missing timestamp"),
    ],
)
def test_bad_time_cells_are_rejected_never_invented(
    run: Run, value: str | None, reason: str
) -> None:
    valid, rejects = run({"date": ["2024-01-14", value, "2024-01-16"], "v": ["1", "2", "3"]})
    assert valid["ts"].to_list() == [utc(2024, 1, 14), utc(2024, 1, 16)]
    assert rejects.rows() == [(2, "date", reason)]


def test_epoch_out_of_range_is_rejected(run: Run) -> None:
    valid, rejects = run({"timestamp": ["1700000000", "1e300", "1700000001"], "v": ["1", "2", "3"]})
    assert valid.height == 2
    assert rejects.rows() == [
        (2, "timestamp", "cannot parse '1e300' as a timestamp with epoch seconds")
    ]


def test_unparseable_named_column_raises(run: Run) -> None:
    with pytest.raises(TimestampError, match="'date' does not hold timestamps"):
        run({"date": ["soon", "later"], "v": ["1", "2"]})
