"""Merging profiles of disjoint groups of series, and ingest counts attached afterwards."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.quality.frames import combine, regular, series_frame
from variosync.model import SERIES, Kind
from variosync.quality import (
    DatasetProfile,
    FieldKind,
    ProfileOptions,
    attach_ingest_counts,
    merge_profiles,
    profile_frame,
)

OPTIONS = ProfileOptions(min_constant_run=3, mad_window=5, largest_gaps=3)


def assert_close(left: Any, right: Any, where: str = "profile") -> None:
    """Equal structure and whole numbers; floats equal to 12 significant digits."""
    if isinstance(left, dict):
        assert isinstance(right, dict), where
        assert list(left) == list(right), where
        for key in left:
            assert_close(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list):
        assert isinstance(right, list), where
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close(a, b, f"{where}[{i}]")
    elif isinstance(left, float) and isinstance(right, float):
        assert math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-300), where
    else:
        assert left == right, where


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    """A few series with gaps, nulls, repeats and outliers in numeric, text and Boolean fields."""
    step = draw(st.sampled_from([1, 60, 3600]))
    parts = []
    for number in range(draw(st.integers(1, 6))):
        slots = draw(st.sets(st.integers(0, 60), min_size=1, max_size=40))
        size = len(slots)

        def column(values: st.SearchStrategy[Any], size: int = size) -> list[Any]:
            return draw(st.lists(st.none() | values, min_size=size, max_size=size))

        parts.append(
            series_frame(
                f"s{number}",
                [slot * step for slot in sorted(slots)],
                x=pl.Series(
                    column(st.sampled_from([0.0, 1.5, 2.0, 1e6]) | st.floats(-1e3, 1e3)),
                    dtype=pl.Float64,
                ),
                n=pl.Series(column(st.integers(-5, 5)), dtype=pl.Int64),
                s=pl.Series(column(st.sampled_from(["a", "b", "c"])), dtype=pl.String),
                b=pl.Series(column(st.booleans()), dtype=pl.Boolean),
            )
        )
    return combine(*parts)


@settings(max_examples=40, deadline=None)
@given(frame=frames(), data=st.data())
def test_merged_groups_equal_the_whole(frame: pl.DataFrame, data: st.DataObject) -> None:
    ids = frame[SERIES].unique().sort().to_list()
    groups = data.draw(st.lists(st.integers(0, 2), min_size=len(ids), max_size=len(ids)))
    parts = [
        profile_frame(
            frame.filter(
                pl.col(SERIES).is_in([s for s, g in zip(ids, groups, strict=True) if g == k])
            ),
            Kind.GENERIC,
            OPTIONS,
        )
        for k in range(3)
    ]
    whole = profile_frame(frame, Kind.GENERIC, OPTIONS)
    assert_close(merge_profiles(parts).to_dict(), whole.to_dict())


def test_pooled_statistics_match_the_whole_frame() -> None:
    frame = combine(
        regular("a", 50, x=[float(i % 7) for i in range(50)]),
        regular("b", 30, x=[float(i) * 3 for i in range(30)]),
        regular("c", 1, x=[100.0]),
        regular("d", 5, x=pl.Series([None] * 5, dtype=pl.Float64)),
    )
    summary = profile_frame(frame, Kind.GENERIC).fields[0]
    x = frame["x"].drop_nulls()
    assert (summary.count, summary.nulls) == (81, 5)
    assert summary.mean == pytest.approx(x.mean(), rel=1e-12)
    assert summary.std == pytest.approx(x.std(), rel=1e-12)
    assert (summary.min, summary.max) == (x.min(), x.max())


def test_merge_unions_fields_and_marks_disagreeing_kinds() -> None:
    first = profile_frame(regular("a", 3, t=["u", "v", "u"], x=[1.0, 2.0, 3.0]), Kind.GENERIC)
    second = profile_frame(regular("b", 2, x=[4.0, 5.0], t=[1, 2]), Kind.GENERIC)
    third = profile_frame(regular("c", 2, y=[True, False]), Kind.GENERIC)
    merged = merge_profiles([first, second, third])
    assert [(f.name, f.kind, f.count) for f in merged.fields] == [
        ("t", FieldKind.MIXED, 5),
        ("x", FieldKind.NUMERIC, 5),
        ("y", FieldKind.BOOLEAN, 2),
    ]
    assert merged.fields[1].mean == 3.0
    assert merged.fields[0].mean == 1.5  # from the numeric part only
    assert [s.series_id for s in merged.series] == ["a", "b", "c"]
    assert merged.rows == 7
    assert set(merged.totals.outliers) == {"t", "x"}


def test_merge_of_text_and_absent_field() -> None:
    first = profile_frame(regular("a", 3, t=["u", "v", "u"]), Kind.GENERIC)
    second = profile_frame(regular("b", 2, x=[4.0, 5.0]), Kind.GENERIC)
    merged = merge_profiles([first, second])
    assert [(f.name, f.kind, f.count, f.mean) for f in merged.fields] == [
        ("t", FieldKind.TEXT, 3, None),
        ("x", FieldKind.NUMERIC, 2, 4.5),
    ]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], "at least one"),
        (
            [
                profile_frame(regular("a", 2), Kind.GENERIC),
                profile_frame(regular("b", 2), Kind.OHLCV),
            ],
            "kind and options",
        ),
        (
            [
                profile_frame(regular("a", 2), Kind.GENERIC),
                profile_frame(regular("b", 2), Kind.GENERIC, OPTIONS),
            ],
            "kind and options",
        ),
        (
            [profile_frame(regular("a", 2), Kind.GENERIC)] * 2,
            "more than one profile: a",
        ),
    ],
    ids=["none", "kinds", "options", "shared-series"],
)
def test_merge_refuses_parts_that_do_not_fit(parts: list[DatasetProfile], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        merge_profiles(parts)


def test_attach_ingest_counts_sets_series_and_totals() -> None:
    frame = combine(regular("a", 3), regular("b", 3), regular("c", 3))
    profile = profile_frame(frame, Kind.GENERIC)
    counted = attach_ingest_counts(profile, {"a": (2, 1), "c": (0, 4), "gone": (9, 9)})
    assert [(s.duplicates, s.out_of_order) for s in counted.series] == [(2, 1), (0, 0), (0, 4)]
    assert (counted.totals.duplicates, counted.totals.out_of_order) == (2, 5)
    assert attach_ingest_counts(counted, {}) == profile
    merged = merge_profiles(
        [
            attach_ingest_counts(profile, {"a": (2, 1)}),
            profile_frame(series_frame("d", [0]), Kind.GENERIC),
        ]
    )
    assert (merged.totals.duplicates, merged.totals.out_of_order) == (2, 1)


def test_merge_sums_ohlc_violations() -> None:
    frame = combine(
        regular("a", 3, open=[1.0, 2.0, 3.0], high=[0.5, 3.0, 4.0], volume=[1, -1, -2]),
        regular("b", 2, open=[1.0, 2.0], high=[0.5, 0.5], volume=[1, 1]),
    )
    parts = [profile_frame(frame.filter(pl.col(SERIES) == s), Kind.OHLCV) for s in ("b", "a")]
    merged = merge_profiles(parts)
    assert merged == profile_frame(frame, Kind.OHLCV)
    assert merged.totals.ohlc_violations == {"high < max(open, close)": 3, "volume < 0": 2}
