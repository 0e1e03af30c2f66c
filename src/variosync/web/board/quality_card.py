"""The quality card: a dataset's stored quality profile — rows, series, time range, the
typical time step, duplicates, gaps and missing points; per field its count, nulls and
statistics; the largest gaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nicegui import ui

from variosync.quality import DatasetProfile
from variosync.web.board.cards import Save, off_loop
from variosync.web.frame import Visit
from variosync.web.quality_tables import FIELD_COLUMNS, field_rows

TYPE = "quality"
TITLE = "Quality"
_UNITS = (
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("min", timedelta(minutes=1)),
    ("s", timedelta(seconds=1)),
    ("ms", timedelta(milliseconds=1)),
    ("µs", timedelta(microseconds=1)),
)


def step_text(step: timedelta | None) -> str:
    """A time step for people: ``1 min``, ``1 h 30 min``; ``irregular`` for none."""
    if step is None:
        return "irregular"
    parts, rest = [], step
    for unit, length in _UNITS:
        count, rest = divmod(rest, length)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def summary_rows(visit: Visit, profile: DatasetProfile) -> list[dict[str, Any]]:
    """The profile's headline numbers, one row each."""
    totals = profile.totals
    found: list[tuple[str, object]] = [
        ("Rows", profile.rows),
        ("Series", profile.series_count),
        ("From", visit.when(profile.start, seconds=True)),
        ("To", visit.when(profile.end, seconds=True)),
        ("Typical step", step_text(profile.frequency)),
        ("Duplicates", totals.duplicates),
        ("Gaps", totals.gaps),
        ("Missing points", totals.missing_points),
        ("Out of order", totals.out_of_order),
        ("Constant runs", totals.constant_runs),
    ]
    return [{"what": what, "value": value} for what, value in found]


def gap_rows(visit: Visit, profile: DatasetProfile) -> list[dict[str, Any]]:
    """The largest gaps, longest first."""
    return [
        {
            "n": number,
            "series": gap.series_id,
            "after": visit.when(gap.after, seconds=True),
            "before": visit.when(gap.before, seconds=True),
            "length": step_text(gap.length),
            "missing": gap.missing,
        }
        for number, gap in enumerate(profile.largest_gaps, start=1)
    ]


def _columns(*names: str) -> list[dict[str, Any]]:
    labels = {"what": "", "n": "#"}
    return [
        {"name": n, "label": labels.get(n, n.capitalize()), "field": n, "align": "left"}
        for n in names
    ]


async def render(visit: Visit, card: dict[str, Any], save: Save) -> None:
    """Draw the card from the profile stored with the dataset's current version."""
    profile = await off_loop(visit.mine.profile, str(card["dataset"]))
    summary = ui.table(
        columns=_columns("what", "value"), rows=summary_rows(visit, profile), row_key="what"
    )
    summary.props("dense flat hide-header").mark("quality-summary")
    fields = ui.table(
        columns=FIELD_COLUMNS,
        rows=field_rows(profile),
        row_key="field",
    )
    fields.props("dense flat").classes("w-full").mark("quality-fields")
    if profile.largest_gaps:
        ui.label("Largest gaps").classes("font-medium")
        gaps = ui.table(
            columns=_columns("n", "series", "after", "before", "length", "missing"),
            rows=gap_rows(visit, profile),
            row_key="n",
        )
        gaps.props("dense flat").classes("w-full").mark("quality-gaps")
