"""A dataset's quality profile as the dashboard shows it: the issues in total, each field, each
series and the largest gaps, as tables (times in the user's zone) under a one-line summary —
what ``variosync profile`` prints, on a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from variosync.catalog import Dataset
from variosync.quality import OUTLIER_METHODS, DatasetProfile
from variosync.quality.durations import duration_text

SERIES_SHOWN = 500
"""Series rows in the profile's table (those with the most issues)."""

When = Callable[..., str]
"""``Visit.when``: a UTC time as text in the user's zone."""


def columns(*names: str) -> list[dict[str, Any]]:
    """Table columns from ``key:Label`` pairs; a ``<`` before the key aligns text left."""
    found = []
    for pair in names:
        key, label = pair.split(":")
        name = key.lstrip("<")
        align = "left" if key.startswith("<") else "right"
        found.append(
            {"name": name, "label": label, "field": name, "sortable": True, "align": align}
        )
    return found


FIELD_COLUMNS = columns(
    "<field:Field",
    "<kind:Kind",
    "count:Count",
    "nulls:Nulls",
    "non_finite:Non-finite",
    "mean:Mean",
    "std:Std",
    "min:Min",
    "max:Max",
)
ISSUE_COLUMNS = columns("<issue:Issue", "count:Count", "<detail:Detail")
SERIES_COLUMNS = columns(
    "<series:Series",
    "rows:Rows",
    "start:From",
    "end:To",
    "<frequency:Frequency",
    "gaps:Gaps",
    "missing:Missing points",
    "nulls:Nulls",
    "stuck:Constant runs",
    "outliers:Outliers",
    "ohlc:OHLC violations",
)
GAP_COLUMNS = columns(
    "<series:Series", "<after:After", "<before:Before", "<length:Length", "missing:Missing"
)


def number_text(value: float | int | None) -> str:
    """A statistic for people: integers whole, others to six significant digits."""
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def frequency_text(step: Any) -> str:
    """A time step as ``15m``, or 'irregular' when there is none."""
    return duration_text(step) if step is not None else "irregular"


def issue_rows(profile: DatasetProfile) -> list[dict[str, Any]]:
    """The profile's totals, one row per kind of issue (zeros too: 'none' is news)."""
    totals = profile.totals
    nulls = {f.name: f.nulls for f in profile.fields if f.nulls}
    rows: list[tuple[str, int | str, str]] = [
        ("gaps", totals.gaps, f"{totals.missing_points:,} missing points"),
        ("nulls", sum(nulls.values()), ", ".join(f"{k} {v:,}" for k, v in nulls.items())),
        ("duplicates at ingest", totals.duplicates, "dropped when ingested: the last row won"),
        ("out of order at ingest", totals.out_of_order, "sorted when stored"),
        ("stuck values (constant runs)", totals.constant_runs, ""),
    ]
    for name, counts in totals.outliers.items():
        found = " / ".join(str(counts.get(m, 0)) for m in OUTLIER_METHODS)
        rows.append((f"outliers in {name}", found, " / ".join(OUTLIER_METHODS)))
    rows += [(f"OHLC rule {rule}", n, "") for rule, n in totals.ohlc_violations.items()]
    return [{"issue": issue, "count": count, "detail": detail} for issue, count, detail in rows]


def field_rows(profile: DatasetProfile) -> list[dict[str, Any]]:
    """One row per field over all series."""
    return [
        {
            "field": f.name,
            "kind": str(f.kind),
            "count": f.count,
            "nulls": f.nulls,
            "non_finite": f.non_finite,
            **{k: number_text(getattr(f, k)) for k in ("mean", "std", "min", "max")},
        }
        for f in profile.fields
    ]


def series_rows(profile: DatasetProfile, when: When) -> list[dict[str, Any]]:
    """One row per series, those with the most issues first when there are too many."""
    chosen = sorted(profile.series, key=lambda s: (-s.issues, s.series_id))[:SERIES_SHOWN]
    return [
        {
            "series": s.series_id,
            "rows": s.rows,
            "start": when(s.start),
            "end": when(s.end),
            "frequency": frequency_text(s.frequency),
            "gaps": s.gaps,
            "missing": s.missing_points,
            "nulls": sum(f.nulls for f in s.fields),
            "stuck": s.constant_runs,
            "outliers": s.outliers,
            "ohlc": sum(s.ohlc_violations.values()),
        }
        for s in sorted(chosen, key=lambda s: s.series_id)
    ]


def gap_rows(profile: DatasetProfile, when: When) -> list[dict[str, Any]]:
    """The largest gaps over all series, longest first."""
    return [
        {
            "series": g.series_id,
            "after": when(g.after, seconds=True),
            "before": when(g.before, seconds=True),
            "length": duration_text(g.length),
            "missing": g.missing,
        }
        for g in profile.largest_gaps
    ]


def show_profile(record: Dataset, profile: DatasetProfile | None, when: When) -> None:
    """Draw the profile of ``record``'s current version (or say it holds no data yet)."""
    head = f"{record.name} · version {record.version} · {record.kind}"
    if profile is None:
        ui.label(f"{head}: no data yet.").mark("profile-summary")
        return
    span = f"{when(profile.start)} → {when(profile.end)}" if profile.start else "empty"
    ui.label(
        f"{head}: {profile.rows:,} rows in {profile.series_count} series, {span}, "
        f"frequency {frequency_text(profile.frequency)} (most common among series)"
    ).mark("profile-summary")
    with ui.row().classes("w-full items-start gap-4"):
        issues = ui.table(columns=ISSUE_COLUMNS, rows=issue_rows(profile), row_key="issue")
        issues.props("dense flat bordered").mark("profile-issues")
        fields = ui.table(columns=FIELD_COLUMNS, rows=field_rows(profile), row_key="field")
        fields.props("dense flat bordered").mark("profile-fields")
    rows = series_rows(profile, when)
    if len(profile.series) > len(rows):
        ui.label(f"The {len(rows)} series with the most issues of {len(profile.series)}")
    table = ui.table(columns=SERIES_COLUMNS, rows=rows, row_key="series", pagination=10)
    table.classes("w-full").props("dense flat bordered").mark("profile-series")
    if profile.largest_gaps:
        with ui.expansion(f"Largest gaps ({len(profile.largest_gaps)})").classes("w-full"):
            gaps = ui.table(columns=GAP_COLUMNS, rows=gap_rows(profile, when), row_key="after")
            gaps.props("dense flat").mark("profile-gaps")
