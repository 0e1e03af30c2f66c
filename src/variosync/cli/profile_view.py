"""The data-quality profile as terminal text: summary, field table, issues, then each series."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from variosync.quality import (
    OUTLIER_METHODS,
    DatasetProfile,
    FieldProfile,
    Gap,
    SeriesProfile,
)
from variosync.quality.durations import duration_text

MAX_SERIES = 20
"""Series sections shown when none are asked for: those with the most issues."""


def render_profile(profile: DatasetProfile, series: Sequence[str] | None = None) -> str:
    """The profile as readable text; ``series`` limits the per-series sections to those ids."""
    lines = [*_summary(profile), *_fields(profile), *_issues(profile)]
    for chosen in _chosen(profile, series, lines):
        lines += ["", *_series(chosen)]
    return "\n".join(lines) + "\n"


def _time(value: datetime | None) -> str:
    # As cli.render prints times; importing it would pull in the whole ingest stack.
    return "-" if value is None else value.isoformat().replace("+00:00", "Z")


def _number(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell == "-"
    return True


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], indent: str = "  ") -> list[str]:
    """Aligned columns: numbers to the right, text to the left."""
    body = [list(row) for row in rows]
    table = [list(header), *body]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    right = [bool(body) and all(_is_number(row[i]) for row in body) for i in range(len(header))]
    return [
        indent
        + "  ".join(
            cell.rjust(width) if flush else cell.ljust(width)
            for cell, width, flush in zip(row, widths, right, strict=True)
        ).rstrip()
        for row in table
    ]


def _summary(profile: DatasetProfile) -> list[str]:
    frequency = duration_text(profile.frequency) if profile.frequency else "irregular"
    lines = [
        f"{profile.kind} dataset: {_plural(profile.rows, 'row')} in {profile.series_count} series"
    ]
    if profile.start is not None:
        lines.append(f"time range: {_time(profile.start)} .. {_time(profile.end)}")
        lines.append(f"frequency: {frequency} (most common among series)")
    return lines


def _fields(profile: DatasetProfile) -> list[str]:
    if not profile.fields:
        return []
    header = ("field", "kind", "count", "nulls", "non-finite", "mean", "std", "min", "max")
    rows = [
        (
            f.name,
            str(f.kind),
            str(f.count),
            str(f.nulls),
            str(f.non_finite),
            *(_number(v) for v in (f.mean, f.std, f.min, f.max)),
        )
        for f in profile.fields
    ]
    return ["", "fields:", *_table(header, rows)]


def _issues(profile: DatasetProfile) -> list[str]:
    totals = profile.totals
    rows = []
    if totals.gaps:
        rows.append(("gaps", f"{totals.gaps} ({totals.missing_points} missing points)"))
    for label, count in (
        ("duplicates at ingest", totals.duplicates),
        ("out of order at ingest", totals.out_of_order),
        ("constant runs", totals.constant_runs),
    ):
        if count:
            rows.append((label, str(count)))
    for name, counts in totals.outliers.items():
        if any(counts.values()):
            rows.append((f"outliers in {name}", _by_method(counts)))
    rows += [(f"OHLC {rule}", str(n)) for rule, n in totals.ohlc_violations.items() if n]
    if not rows:
        return ["", "issues: none found"]
    width = max(len(label) for label, _ in rows)
    lines = ["", "issues:", *(f"  {label.ljust(width)}  {text}" for label, text in rows)]
    if profile.largest_gaps:
        lines += ["", "largest gaps:", *_gap_table(profile.largest_gaps, with_series=True)]
    return lines


def _by_method(counts: dict[str, int]) -> str:
    return ", ".join(f"{method} {counts.get(method, 0)}" for method in OUTLIER_METHODS)


def _gap_table(gaps: Sequence[Gap], with_series: bool) -> list[str]:
    header = ["after", "before", "length", "missing"]
    rows = [
        [_time(g.after), _time(g.before), duration_text(g.length), str(g.missing)] for g in gaps
    ]
    if with_series:
        named = ([g.series_id, *row] for g, row in zip(gaps, rows, strict=True))
        return _table(["series", *header], named)
    return _table(header, rows, indent="    ")


def _chosen(
    profile: DatasetProfile, wanted: Sequence[str] | None, lines: list[str]
) -> list[SeriesProfile]:
    """The series to show; notes on unknown or left-out series go into ``lines``."""
    if wanted is not None:
        known = {s.series_id: s for s in profile.series}
        missing = [sid for sid in wanted if sid not in known]
        if missing:
            lines += ["", *(f"no series named {sid!r} in this profile" for sid in missing)]
        return [known[sid] for sid in dict.fromkeys(wanted) if sid in known]
    if len(profile.series) <= MAX_SERIES:
        return list(profile.series)
    ranked = sorted(profile.series, key=lambda s: (-s.issues, s.series_id))[:MAX_SERIES]
    left = len(profile.series) - MAX_SERIES
    lines += ["", f"showing the {MAX_SERIES} series with the most issues; {left} more not shown"]
    return ranked


def _series(profile: SeriesProfile) -> list[str]:
    frequency = duration_text(profile.frequency) if profile.frequency else "irregular"
    lines = [
        f"series {profile.series_id}: {_plural(profile.rows, 'row')}, "
        f"{_time(profile.start)} .. {_time(profile.end)}, frequency {frequency}"
    ]
    if profile.steps:
        steps = ", ".join(
            f"{duration_text(s.step)} ×{s.count} ({s.share:.1%})" for s in profile.steps
        )
        lines.append(f"  steps: {steps}")
    if profile.gaps:
        lines.append(f"  gaps: {profile.gaps} ({profile.missing_points} missing points)")
        lines += _gap_table(profile.largest_gaps, with_series=False)
    if profile.duplicates or profile.out_of_order:
        lines.append(
            f"  at ingest: {profile.duplicates} duplicates, {profile.out_of_order} out of order"
        )
    violations = [f"{rule} {n}" for rule, n in profile.ohlc_violations.items() if n]
    if violations:
        lines.append(f"  OHLC violations: {', '.join(violations)}")
    for field in profile.fields:
        lines += _field(field)
    return lines


def _field(field: FieldProfile) -> list[str]:
    head = f"  {field.name} ({field.kind}): count {field.count}, nulls {field.nulls}"
    if field.non_finite:
        head += f", non-finite {field.non_finite}"
    if field.numeric and field.numeric.count:
        n = field.numeric
        stats = [("mean", n.mean), ("std", n.std), ("min", n.min), ("p25", n.p25)]
        stats += [("median", n.median), ("p75", n.p75), ("max", n.max)]
        head += ", " + ", ".join(f"{label} {_number(value)}" for label, value in stats)
    elif field.text and field.text.count:
        t = field.text
        head += f", distinct {t.distinct}, most common {t.most_common!r} ×{t.most_common_count}"
    elif field.boolean and field.boolean.count:
        head += f", true {field.boolean.true_count}"
    lines = [head]
    runs = field.constant_runs
    if runs.runs and runs.longest:
        run = runs.longest
        lines.append(
            f"    constant runs: {runs.runs}, longest {run.length} × {run.value!r} "
            f"from {_time(run.start)} to {_time(run.end)}"
        )
    if field.outliers:
        for method in OUTLIER_METHODS:
            found = getattr(field.outliers, method)
            if found.count:
                examples = ", ".join(f"{_number(e.value)} at {_time(e.ts)}" for e in found.examples)
                line = f"    outliers by {method}: {found.count}"
                lines.append(f"{line} (e.g. {examples})" if examples else line)
    return lines


def quality_line(profile: DatasetProfile) -> str:
    """One line for ``info``: frequency and the issues the profile counted."""
    totals = profile.totals
    nulls = sum(f.nulls for f in profile.fields)
    outliers = {
        method: sum(by_method.get(method, 0) for by_method in totals.outliers.values())
        for method in ("iqr", "zscore", "mad")
    }
    parts = [
        f"frequency {duration_text(profile.frequency) if profile.frequency else 'irregular'}",
        f"{totals.gaps} gaps ({totals.missing_points} missing points)",
        f"{nulls} nulls",
        "outliers " + ", ".join(f"{m} {n}" for m, n in outliers.items()),
        f"{totals.constant_runs} constant runs",
    ]
    if totals.duplicates or totals.out_of_order:
        parts.append(
            f"ingest saw {totals.duplicates} duplicates, {totals.out_of_order} out of order"
        )
    if totals.ohlc_violations:
        parts.append(f"{sum(totals.ohlc_violations.values())} OHLC violations")
    return "; ".join(parts)
