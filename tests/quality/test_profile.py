"""Whole profiles: empty and one-row inputs, options, and the JSON round trip."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import polars as pl
import pytest

from tests.quality.frames import at, combine, regular, series_frame
from variosync.errors import UsageError
from variosync.model import SERIES, TS, TS_DTYPE, Kind
from variosync.quality import (
    DatasetProfile,
    FieldKind,
    ProfileOptions,
    SeriesProfile,
    attach_ingest_counts,
    profile_frame,
)

EMPTY = pl.DataFrame(
    schema={SERIES: pl.String, TS: TS_DTYPE, "x": pl.Float64, "s": pl.String, "b": pl.Boolean}
)


def rich_profile() -> DatasetProfile:
    """A profile with something in every list: gaps, runs, outliers, OHLC, ingest counts."""
    close = [float(i % 5) + 10 for i in range(60)]
    close[30] = 90.0
    frame = combine(
        series_frame(
            "a",
            [i * 60 for i in range(40)] + [i * 60 for i in range(45, 65)],
            close=close,
            high=[c + 1 for c in close[:-1]] + [1.0],
            volume=[7] * 20 + list(range(40)),
            note=["x"] * 59 + [None],
            flag=[True] * 60,
        ),
        regular("b", 3, step=0.5, close=[1.0, math.nan, 2.0], note=["y", "z", "y"]),
    )
    profile = profile_frame(frame, Kind.OHLCV, ProfileOptions(min_constant_run=5))
    return attach_ingest_counts(profile, {"a": (3, 2)})


def test_to_dict_is_json_and_round_trips() -> None:
    profile = rich_profile()
    text = json.dumps(profile.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert DatasetProfile.from_dict(data) == profile
    assert data["start"] == "2024-01-01T00:00:00+00:00"
    assert data["frequency"] == "500ms"  # 1m and 500ms tie: the shorter wins
    assert data["series"][1]["frequency"] == "500ms"
    assert data["largest_gaps"][0]["length"] == "6m"
    assert data["totals"]["ohlc_violations"] == {"high < max(open, close)": 1, "volume < 0": 0}
    assert data["totals"]["duplicates"] == 3
    note = data["series"][0]["fields"][3]
    assert note["constant_runs"]["longest"]["value"] == "x"
    assert SeriesProfile.from_dict(data["series"][0]) == profile.series[0]


def test_to_dict_shape() -> None:
    data = rich_profile().to_dict()
    assert list(data) == [
        "kind",
        "options",
        "rows",
        "series_count",
        "start",
        "end",
        "frequency",
        "fields",
        "totals",
        "largest_gaps",
        "series",
    ]
    assert list(data["series"][0]) == [
        "series_id",
        "rows",
        "start",
        "end",
        "frequency",
        "steps",
        "gaps",
        "missing_points",
        "largest_gaps",
        "fields",
        "ohlc_violations",
        "duplicates",
        "out_of_order",
    ]


def test_empty_frame() -> None:
    profile = profile_frame(EMPTY, Kind.GENERIC)
    assert (profile.rows, profile.series_count, profile.series) == (0, 0, ())
    assert (profile.start, profile.end, profile.frequency) == (None, None, None)
    assert [(f.name, f.kind, f.count, f.mean) for f in profile.fields] == [
        ("x", FieldKind.NUMERIC, 0, None),
        ("s", FieldKind.TEXT, 0, None),
        ("b", FieldKind.BOOLEAN, 0, None),
    ]
    assert profile.totals.outliers == {"x": {"iqr": 0, "zscore": 0, "mad": 0}}
    assert DatasetProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


def test_frame_without_fields() -> None:
    profile = profile_frame(EMPTY.select(SERIES, TS), Kind.OHLCV)
    assert (profile.fields, profile.totals.ohlc_violations) == ((), {})
    profile = profile_frame(regular("a", 3), Kind.OHLCV)
    assert (profile.rows, profile.series[0].fields, profile.series[0].ohlc_violations) == (
        3,
        (),
        {},
    )


def test_one_row() -> None:
    frame = series_frame("a", [0], x=[2.5], s=["u"], b=[False])
    profile = profile_frame(frame, Kind.GENERIC)
    (series,) = profile.series
    assert (series.rows, series.start, series.end, series.frequency) == (1, at(0), at(0), None)
    assert (series.steps, series.gaps, series.largest_gaps) == ((), 0, ())
    numeric = series.fields[0].numeric
    assert numeric is not None
    assert (numeric.count, numeric.mean, numeric.std, numeric.median) == (1, 2.5, None, 2.5)
    assert series.issues == 0
    assert profile.fields[0].std is None


def test_many_short_series() -> None:
    frame = combine(
        *(regular(f"s{i:03d}", i % 4 + 1, x=[float(i)] * (i % 4 + 1)) for i in range(300))
    )
    profile = profile_frame(frame, Kind.GENERIC)
    assert profile.series_count == 300
    assert [s.series_id for s in profile.series] == sorted(f"s{i:03d}" for i in range(300))
    assert profile.frequency == timedelta(minutes=1)
    assert profile.fields[0].mean == pytest.approx(frame["x"].mean())


@pytest.mark.parametrize(
    "change",
    [
        {"iqr_k": 0},
        {"z_threshold": -1.0},
        {"mad_window": 20},
        {"mad_window": 1},
        {"min_constant_run": 1},
        {"examples": -1},
        {"examples": 2.5},
        {"largest_gaps": True},
        {"iqr_k": "1.5"},
    ],
)
def test_bad_options_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(UsageError, match="profile option"):
        ProfileOptions(**change)  # type: ignore[arg-type]


def test_options_default() -> None:
    assert ProfileOptions() == ProfileOptions(
        iqr_k=1.5,
        z_threshold=3.0,
        mad_window=21,
        mad_threshold=3.5,
        min_constant_run=10,
        examples=3,
        largest_gaps=5,
        top_steps=5,
    )
    assert ProfileOptions(examples=0).examples == 0


def test_frame_out_of_order_is_profiled_as_sorted() -> None:
    frame = combine(regular("a", 30, x=[float(i % 4) for i in range(30)]), regular("b", 5))
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=7)
    assert profile_frame(shuffled, Kind.GENERIC) == profile_frame(frame, Kind.GENERIC)


def test_repeated_keys_are_no_frequency() -> None:
    frame = regular("a", 4)
    series = profile_frame(pl.concat([frame, frame]), Kind.GENERIC).series[0]
    assert (series.rows, series.frequency, series.gaps) == (8, None, 0)
    assert series.steps[0].step == timedelta(0)


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [
        (pl.Float32, FieldKind.NUMERIC),
        (pl.Int8, FieldKind.NUMERIC),
        (pl.UInt64, FieldKind.NUMERIC),
        (pl.Boolean, FieldKind.BOOLEAN),
        (pl.String, FieldKind.TEXT),
        (pl.Categorical, FieldKind.TEXT),
        (pl.Date, FieldKind.TEXT),
    ],
)
def test_field_kinds_follow_the_column_type(dtype: pl.DataType, kind: FieldKind) -> None:
    values = pl.Series([1, 0, 1]).cast(pl.Boolean) if dtype == pl.Boolean else pl.Series([1, 0, 1])
    if dtype in (pl.String, pl.Categorical):
        values = pl.Series(["1", "0", "1"])
    column = values.cast(dtype)
    field = profile_frame(regular("a", 3, x=column), Kind.GENERIC).series[0].fields[0]
    assert field.kind == kind
    assert field.count == 3
