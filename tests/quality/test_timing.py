"""The time axis of a series: frequency inference, step distribution and gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.quality.frames import at, combine, series_frame
from variosync.model import Kind
from variosync.quality import ProfileOptions, profile_frame
from variosync.quality.durations import duration_text, parse_duration_text

S, M, H, D = 1, 60, 3600, 86400


@pytest.mark.parametrize(
    ("offsets", "frequency"),
    [
        ([0, 1, 2, 3, 4], "1s"),
        ([i * 15 * M for i in range(6)], "15m"),
        ([i * H for i in range(3)], "1h"),
        ([i * D for i in range(10)], "1d"),
        ([i * 7 * D for i in range(4)], "1w"),
        ([0, 90, 180], "1m30s"),
        ([0, 0.25, 0.5], "250ms"),
        ([0, 60], "1m"),  # one step is all the steps
        ([0, 60, 120, 130, 140], "10s"),  # 1m and 10s tie at half the steps: the shorter wins
        ([0, 300, 600, 900, 1500], "5m"),  # a gap does not hide the frequency
        ([0, 1, 3, 6, 10, 15], None),  # every step differs
        ([0, 1, 2, 4, 7, 11], None),  # the commonest step holds 2 of 5: under half
        ([0, 1, 2, 4, 7], "1s"),  # 2 of 4 steps: exactly half is enough
        ([0], None),  # one point has no steps
    ],
)
def test_frequency_inference(offsets: list[float], frequency: str | None) -> None:
    profile = profile_frame(series_frame("a", offsets, x=[1.0] * len(offsets)), Kind.GENERIC)
    found = profile.series[0].frequency
    assert (duration_text(found) if found else None) == frequency


def test_step_distribution_lists_top_steps_with_shares() -> None:
    offsets = [0, 60, 120, 180, 190, 250, 850]  # steps: 60 ×4, 10, 600
    profile = profile_frame(series_frame("a", offsets), Kind.GENERIC, ProfileOptions(top_steps=2))
    steps = profile.series[0].steps
    assert [(duration_text(s.step), s.count, s.share) for s in steps] == [
        ("1m", 4, 4 / 6),
        ("10s", 1, 1 / 6),
    ]


@pytest.mark.parametrize(
    ("offsets", "gaps", "missing", "largest"),
    [
        (list(range(0, 600, 60)), 0, 0, []),
        # one hole of 3 points: a 4-minute step
        ([0, 60, 120, 360, 420, 480], 1, 3, [(120, 360, 3)]),
        # holes of 1, 5 and 2 points; listed longest first
        (
            [0, 60, 180, 240, 300, 660, 720, 780, 960, 1020],
            3,
            8,
            [(300, 660, 5), (780, 960, 2), (60, 180, 1)],
        ),
        # a step 1.4 times the frequency is clock jitter, not a gap
        ([0, 10, 20, 30, 44, 54], 0, 0, []),
        # 1.5 periods: one point missing (the rule fill_gaps inserts by)
        ([0, 10, 20, 30, 45, 55], 1, 1, [(30, 45, 1)]),
        # 2.5 periods: two points fit, each at least half a period from the next point
        ([0, 10, 20, 30, 55, 65], 1, 2, [(30, 55, 2)]),
    ],
)
def test_gaps_are_counted_exactly(
    offsets: list[float], gaps: int, missing: int, largest: list[tuple[int, int, int]]
) -> None:
    profile = profile_frame(series_frame("a", offsets), Kind.GENERIC)
    series = profile.series[0]
    assert (series.gaps, series.missing_points) == (gaps, missing)
    assert [(g.after, g.before, g.missing) for g in series.largest_gaps] == [
        (at(a), at(b), n) for a, b, n in largest
    ]
    assert all(g.length == g.before - g.after and g.series_id == "a" for g in series.largest_gaps)
    assert (profile.totals.gaps, profile.totals.missing_points) == (gaps, missing)


def test_largest_gaps_are_cut_to_the_option_and_ties_go_to_the_earliest() -> None:
    offsets = [0, 60, 120, 240, 300, 360, 480, 540, 600, 1000]  # two 2-minute steps, one long
    options = ProfileOptions(largest_gaps=2)
    series = profile_frame(series_frame("a", offsets), Kind.GENERIC, options).series[0]
    assert series.gaps == 3
    assert [(g.after, g.before) for g in series.largest_gaps] == [
        (at(600), at(1000)),
        (at(120), at(240)),
    ]


def test_irregular_series_has_no_gaps() -> None:
    series = profile_frame(series_frame("a", [0, 1, 3, 6, 10, 15]), Kind.GENERIC).series[0]
    assert (series.frequency, series.gaps, series.missing_points, series.largest_gaps) == (
        None,
        0,
        0,
        (),
    )


def test_dataset_frequency_and_largest_gaps_across_series() -> None:
    frame = combine(
        series_frame("a", [0, 60, 120, 600]),  # 1m, a gap of 7 missing
        series_frame("b", [0, 60, 120, 180, 300]),  # 1m, a gap of 1
        series_frame("c", [0, 3600, 7200]),  # 1h
    )
    profile = profile_frame(frame, Kind.GENERIC, ProfileOptions(largest_gaps=5))
    assert profile.frequency == timedelta(minutes=1)
    assert [(g.series_id, g.missing) for g in profile.largest_gaps] == [("a", 7), ("b", 1)]
    assert (profile.start, profile.end) == (at(0), at(7200))
    assert (profile.totals.gaps, profile.totals.missing_points) == (2, 8)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=1), "1s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=1), "1d"),
        (timedelta(weeks=1), "1w"),
        (timedelta(days=9, hours=3), "1w2d3h"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(milliseconds=30), "30ms"),
        (timedelta(microseconds=1500), "1ms500us"),
        (timedelta(0), "0s"),
        (-timedelta(minutes=5), "-5m"),
    ],
)
def test_duration_text_round_trips(delta: timedelta, text: str) -> None:
    assert duration_text(delta) == text
    assert parse_duration_text(text) == delta


@pytest.mark.parametrize("text", ["", "5", "m", "1x", "1m 2s", "1.5h", "--1s"])
def test_duration_text_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration_text(text)
