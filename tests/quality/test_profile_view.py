"""The terminal rendering of a profile."""

from __future__ import annotations

import polars as pl

from tests.quality.frames import combine, regular, series_frame
from variosync.cli.profile_view import render_profile
from variosync.model import Kind
from variosync.quality import attach_ingest_counts, profile_frame


def _spiky(series_id: str, spikes: int) -> pl.DataFrame:
    values = [float(i % 5) for i in range(100)]
    for k in range(spikes):
        values[10 + k * 20] = 60.0 + k
    return regular(series_id, 100, x=values)


def test_render_shows_the_key_numbers() -> None:
    frame = combine(
        series_frame("alpha", [0, 60, 120, 600, 660], x=[1.0, 2.0, None, 2.0, 1.0], s=["u"] * 5),
        _spiky("beta", 2),
    )
    profile = attach_ingest_counts(profile_frame(frame, Kind.GENERIC), {"alpha": (4, 0)})
    text = render_profile(profile)
    for needed in [
        "105 rows in 2 series",
        "2024-01-01T00:00:00Z .. 2024-01-01T01:39:00Z",
        "frequency: 1m",
        "gaps                  1 (7 missing points)",
        "duplicates at ingest  4",
        "outliers in x         iqr 2, zscore 2, mad 2",
        "series alpha: 5 rows",
        "series beta: 100 rows",
        "outliers by mad: 2 (e.g. 61 at 2024-01-01T00:30:00Z, 60 at 2024-01-01T00:10:00Z)",
        "most common 'u' ×5",
    ]:
        assert needed in text, needed
    lines = text.splitlines()
    table = lines[lines.index("fields:") + 1 : lines.index("fields:") + 4]
    x = frame["x"].drop_nulls()
    assert [row.split() for row in table] == [
        ["field", "kind", "count", "nulls", "non-finite", "mean", "std", "min", "max"],
        ["x", "numeric", "104", "1", "0", f"{x.mean():.6g}", f"{x.std():.6g}", "0", "61"],
        ["s", "text", "5", "100", "0", "-", "-", "-", "-"],
    ]
    # numbers end under their header
    assert table[0].index("count") + len("count") == table[1].index("104") + len("104")


def test_render_leaves_out_empty_lists() -> None:
    text = render_profile(profile_frame(regular("a", 1, x=[1.0]), Kind.GENERIC))
    assert "issues: none found" in text
    for noise in ("largest gaps", "steps:", "constant runs", "outliers", "OHLC", "at ingest"):
        assert noise not in text, noise


def test_render_only_the_series_asked_for() -> None:
    frame = combine(*(regular(f"s{i}", 3, x=[1.0, 2.0, 3.0]) for i in range(4)))
    text = render_profile(profile_frame(frame, Kind.GENERIC), series=["s2", "nope"])
    assert "series s2:" in text
    assert "series s0:" not in text and "series s3:" not in text
    assert "no series named 'nope'" in text
    assert "12 rows in 4 series" in text


def test_render_shows_the_series_with_most_issues_when_there_are_many() -> None:
    frame = combine(*(_spiky(f"s{i:02d}", 2 if i in (5, 17, 23) else 0) for i in range(25)))
    text = render_profile(profile_frame(frame, Kind.GENERIC))
    shown = [line.split(":")[0] for line in text.splitlines() if line.startswith("series ")]
    assert len(shown) == 20
    assert shown[:3] == ["series s05", "series s17", "series s23"]
    assert "5 more not shown" in text
    assert "series s24" not in shown
