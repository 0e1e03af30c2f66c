"""Outlier tests: IQR, z-score and rolling MAD, each within its series."""

from __future__ import annotations

import random

import polars as pl
import pytest

from tests.quality.frames import at, combine, regular
from variosync.model import SERIES, Kind
from variosync.quality import OUTLIER_METHODS, ProfileOptions, profile_frame

SAWTOOTH = [float(i % 5) for i in range(200)]
"""Clean data: no test should flag any of it."""


def _counts(values: list[float | None], options: ProfileOptions | None = None) -> dict[str, int]:
    profile = profile_frame(regular("a", len(values), x=values), Kind.GENERIC, options)
    outliers = profile.series[0].fields[0].outliers
    assert outliers is not None
    return outliers.counts()


@pytest.mark.parametrize(
    "values",
    [SAWTOOTH, [i * 0.5 for i in range(100)], [3.0] * 50, [1.0, 2.0], [5.0]],
    ids=["sawtooth", "ramp", "constant", "two-points", "one-point"],
)
def test_clean_data_has_no_outliers(values: list[float]) -> None:
    assert _counts(values) == {"iqr": 0, "zscore": 0, "mad": 0}


@pytest.mark.parametrize("where", [0, 3, 100, 196, 199], ids=lambda i: f"at-{i}")
@pytest.mark.parametrize("method", OUTLIER_METHODS)
def test_each_method_finds_a_planted_spike(method: str, where: int) -> None:
    values = list(SAWTOOTH)
    values[where] = 50.0
    profile = profile_frame(regular("a", len(values), x=values), Kind.GENERIC)
    outliers = profile.series[0].fields[0].outliers
    assert outliers is not None
    found = getattr(outliers, method)
    assert found.count == 1
    assert [(e.ts, e.value) for e in found.examples] == [(at(where * 60), 50.0)]
    assert profile.totals.outliers == {"x": {m: 1 for m in OUTLIER_METHODS}}


def test_examples_are_the_most_extreme_first_and_capped() -> None:
    values = list(SAWTOOTH)
    for index, spike in [(20, 50.0), (60, -80.0), (100, 30.0), (140, 40.0)]:
        values[index] = spike
    options = ProfileOptions(examples=3)
    profile = profile_frame(regular("a", len(values), x=values), Kind.GENERIC, options)
    outliers = profile.series[0].fields[0].outliers
    assert outliers is not None
    for method in OUTLIER_METHODS:
        found = getattr(outliers, method)
        assert found.count == 4, method
        assert [e.value for e in found.examples] == [-80.0, 50.0, 40.0], method


@pytest.mark.parametrize(
    ("options", "counts"),
    [
        (ProfileOptions(), {"iqr": 1, "zscore": 1, "mad": 1}),
        (ProfileOptions(iqr_k=5.0), {"iqr": 0, "zscore": 1, "mad": 1}),
        (ProfileOptions(z_threshold=7.0), {"iqr": 1, "zscore": 0, "mad": 1}),
        (ProfileOptions(mad_threshold=7.0), {"iqr": 1, "zscore": 1, "mad": 0}),
    ],
)
def test_thresholds_are_options(options: ProfileOptions, counts: dict[str, int]) -> None:
    values = list(SAWTOOTH)
    values[100] = 12.0  # 4.5 IQRs above p75, 6.3 standard deviations, 6.7 scaled MADs
    assert _counts(values, options) == counts


def test_nulls_are_skipped_by_every_test() -> None:
    values: list[float | None] = list(SAWTOOTH)
    values[100] = 50.0
    for index in range(90, 100):
        values[index] = None
    assert _counts(values) == {"iqr": 1, "zscore": 1, "mad": 1}


def test_outliers_are_judged_within_their_series() -> None:
    # b's ordinary values would be outliers in a, and the other way round.
    frame = combine(
        regular("a", 200, x=SAWTOOTH),
        regular("b", 200, x=[v * 1000 + 10_000 for v in SAWTOOTH]),
    )
    profile = profile_frame(frame, Kind.GENERIC)
    assert profile.totals.outliers == {"x": {"iqr": 0, "zscore": 0, "mad": 0}}


def _reference_mad_counts(frame: pl.DataFrame, options: ProfileOptions) -> dict[str, int]:
    """The rolling-MAD test the slow, obvious way: polars' centred windows per series."""
    window, half = options.mad_window, options.mad_window // 2

    def median(column: str) -> pl.Expr:
        return pl.col(column).rolling_median(window, center=True, min_samples=half + 1)

    flagged = (
        frame.drop_nulls("x")
        .with_columns(median("x").over(SERIES).alias("m"))
        .with_columns((pl.col("x") - pl.col("m")).abs().alias("d"))
        .with_columns(median("d").over(SERIES).alias("mad"))
        .group_by(SERIES)
        .agg(
            # a window whose MAD is 0 (mostly one value) tests nothing
            (
                (pl.col("d") > options.mad_threshold * 1.4826 * pl.col("mad")) & (pl.col("mad") > 0)
            ).sum()
        )
    )
    return dict(flagged.iter_rows())


@pytest.mark.parametrize("window", [3, 5, 21])
def test_rolling_mad_matches_centred_windows_per_series(window: int) -> None:
    rng = random.Random(window)
    lengths = [1, 2, 5, 10, 11, 12, 20, 21, 22, 40, 41, 42, 43, 44, 45, 90, 300]
    frames = []
    for number, length in enumerate(lengths):
        values = [
            None if rng.random() < 0.1 else rng.gauss(0, 1) * (8 if rng.random() < 0.05 else 1)
            for _ in range(length)
        ]
        frames.append(regular(f"s{number:02d}", length, x=values))
    frame = combine(*frames)
    options = ProfileOptions(mad_window=window)
    profile = profile_frame(frame, Kind.GENERIC, options)
    found = {s.series_id: s.fields[0].outliers.mad.count for s in profile.series}  # type: ignore[union-attr]
    reference = _reference_mad_counts(frame, options)
    assert found == {sid: reference.get(sid, 0) for sid in found}
    assert sum(found.values()) > 0
