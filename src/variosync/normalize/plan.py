"""The normalisation plan: decided once from a file's first batch, applied to every batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from variosync.errors import InputError, UsageError
from variosync.formats.base import RawSource
from variosync.model import OHLCV_FIELDS, SERIES, TS, TS_DTYPE, IngestOptions, Kind
from variosync.normalize import columns as cols
from variosync.normalize.fields import field_dtype, field_expr, field_rejects, needs_care
from variosync.normalize.numbers import parse_numbers
from variosync.normalize.timecolumn import find_time, time_raw
from variosync.normalize.timestamps import (
    TimeSpec,
    check_tz,
    missing,
    parse,
    sample_of,
    to_utc,
)
from variosync.validate import REJECTS_SCHEMA, validate

_ROW = "__vs_row"


@dataclass(frozen=True)
class FieldPlan:
    """One output field: the source column, its canonical name and its target dtype."""

    source: str
    name: str
    dtype: pl.DataType


@dataclass(frozen=True)
class Plan:
    """How every batch of one file becomes canonical rows (see ``plan_frame``)."""

    time_columns: tuple[str, ...]
    time_spec: TimeSpec
    tz: str
    series_col: str | None
    default_series: str
    fields: tuple[FieldPlan, ...]
    kind: Kind
    units: dict[str, str] = field(default_factory=dict)
    decimal_comma: bool = False
    clock_digits: bool = False

    @property
    def schema(self) -> pl.Schema:
        """The canonical output schema: series_id, ts, then the fields."""
        out: dict[str, pl.DataType] = {SERIES: pl.String(), TS: TS_DTYPE}
        out.update({f.name: f.dtype for f in self.fields})
        return pl.Schema(out)

    @property
    def time_label(self) -> str:
        """The time column(s) as named in reject lines."""
        return " + ".join(self.time_columns)


def _series_col(
    names: list[str], source: RawSource, options: IngestOptions, exclude: set[str]
) -> str | None:
    if options.series_col is not None:
        column = cols.resolve(names, options.series_col, "series column")
        if column in exclude:
            raise UsageError(f"column {column!r} cannot be both the time and the series column")
        return column
    if source.series_col is not None and source.series_col in names:
        return source.series_col
    return cols.find_named([c for c in names if c not in exclude], cols.SERIES_NAMES)


def _pick_fields(names: dict[str, str], wanted: tuple[str, ...] | None) -> list[str]:
    if wanted is None:
        return list(names)
    by_name = {out: src for src, out in names.items()}
    by_key = {cols.key(out): src for src, out in names.items()}
    by_key.update({cols.key(src): src for src in names})
    picked: list[str] = []
    for want in wanted:
        source = (
            by_name.get(want) or (want if want in names else None) or by_key.get(cols.key(want))
        )
        if source is None:
            raise UsageError(
                f"no field {want!r}; available fields: {', '.join(names.values())}",
                hint="pass --fields with names from the list",
            )
        if source not in picked:
            picked.append(source)
    return picked


def plan_frame(
    first_batch: pl.DataFrame, source: RawSource, options: IngestOptions, default_series: str
) -> Plan:
    """Decide time, series and field handling for a whole file from its first batch."""
    tz = check_tz(options.tz)
    names = list(first_batch.columns)
    hinted = options.time_col or source.time_col
    pre_series = _series_col(names, source, options, {hinted} if hinted else set())
    time_columns, spec, clock_digits = find_time(first_batch, source, options, pre_series)
    series_col = _series_col(names, source, options, set(time_columns))
    used = {*time_columns, series_col}
    rest = [c for c in names if c not in used and not cols.is_helper(c)]
    canonical = cols.canonical_names(rest)
    picked = _pick_fields(canonical, options.fields)
    out_names = {canonical[c] for c in picked}
    kind = options.kind or (
        Kind.OHLCV if {"open", "high", "low", "close"} <= out_names else Kind.GENERIC
    )
    if kind == Kind.OHLCV:
        absent = [f for f in ("open", "high", "low", "close") if f not in out_names]
        if absent:
            raise UsageError(
                f"kind ohlcv needs columns {', '.join(absent)}; fields are: "
                f"{', '.join(sorted(out_names)) or 'none'}",
                hint="rename the columns or ingest as kind generic",
            )
    fields = tuple(
        FieldPlan(
            c,
            canonical[c],
            field_dtype(
                sample_of(first_batch[c]),
                source.decimal_comma,
                numeric=kind == Kind.OHLCV and canonical[c] in OHLCV_FIELDS,
            ),
        )
        for c in picked
    )
    units = {
        f.name: source.units.get(f.source) or source.units[f.name]
        for f in fields
        if f.source in source.units or f.name in source.units
    }
    return Plan(
        time_columns=time_columns,
        time_spec=spec,
        tz=tz,
        series_col=series_col,
        default_series=default_series,
        fields=fields,
        kind=kind,
        units=units,
        decimal_comma=source.decimal_comma,
        clock_digits=clock_digits,
    )


def _quoted(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.slice(0, 80)


def _time_rejects(plan: Plan, bad: pl.DataFrame) -> pl.DataFrame:
    raw, dtype = time_raw(plan.time_columns, bad.schema, plan.clock_digits)
    spec = plan.time_spec
    parsed = parse(spec, raw, dtype)
    earliest = parsed.dt.replace_time_zone(plan.tz, ambiguous="earliest", non_existent="null")
    text = _quoted(raw)
    reason = (
        pl.when(missing(spec, raw, dtype))
        .then(pl.lit("missing timestamp"))
        .when(parsed.is_null())
        .then(pl.format("cannot parse '{}' as a timestamp with {}", text, pl.lit(spec.describe())))
        .when(earliest.is_null())
        .then(pl.format("local time '{}' does not exist in {} (DST gap)", text, pl.lit(plan.tz)))
        .otherwise(
            pl.format("local time '{}' is ambiguous in {} (DST overlap)", text, pl.lit(plan.tz))
        )
    )
    return bad.select(row=pl.col(_ROW), column=pl.lit(plan.time_label, pl.String), reason=reason)


def _series_expr(plan: Plan) -> pl.Expr:
    if plan.series_col is None:
        return pl.lit(plan.default_series, pl.String)
    text = pl.col(plan.series_col).cast(pl.String)
    return pl.when(text.str.strip_chars() != "").then(text)


def _careful_time(plan: Plan, batch: pl.DataFrame, fast: pl.Series) -> bool:
    """Whether the fast time parse left nulls beyond the empty cells of the batch."""
    if fast.null_count() == 0:
        return False
    if len(plan.time_columns) == 1:
        return fast.null_count() > batch[plan.time_columns[0]].null_count()
    return True


def apply_plan(
    plan: Plan, batch: pl.DataFrame, row_offset: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn one batch into (canonical valid rows, rejects); ``row_offset``: rows before it."""
    needed = [*plan.time_columns, *([plan.series_col] if plan.series_col else [])]
    needed += [f.source for f in plan.fields]
    absent = [c for c in needed if c not in batch.columns]
    if absent:
        raise InputError(
            f"rows {row_offset + 1}+ lack columns {', '.join(absent)} seen earlier in the file"
        )
    schema = batch.schema
    raw, dtype = time_raw(plan.time_columns, schema, plan.clock_digits)

    def ts_expr(careful: bool) -> pl.Expr:
        parsed = parse(plan.time_spec, raw, dtype, careful=careful)
        return to_utc(parsed, plan.time_spec, dtype, plan.tz).alias(TS)

    values = [
        field_expr(f.source, schema[f.source], f.dtype, plan.decimal_comma, careful=False)
        for f in plan.fields
    ]
    rows = pl.int_range(row_offset + 1, row_offset + batch.height + 1, dtype=pl.Int64)
    frame = batch.select(
        rows.alias(_ROW),
        _series_expr(plan).alias(SERIES),
        ts_expr(careful=False),
        *[v.alias(f.name) for (v, _), f in zip(values, plan.fields, strict=True)],
    )
    if _careful_time(plan, batch, frame[TS]):
        frame = frame.with_columns(batch.select(ts_expr(careful=True)).to_series())
    bad_masks: dict[int, pl.Series] = {}
    for i, ((_, bad), f) in enumerate(zip(values, plan.fields, strict=True)):
        if bad is not None:
            bad_masks[i] = batch.select(bad.fill_null(False)).to_series()
        elif needs_care(schema[f.source], f.dtype) and (
            frame[f.name].null_count() > batch[f.source].null_count()
        ):
            value, careful_bad = parse_numbers(batch[f.source], f.dtype, plan.decimal_comma)
            frame = frame.with_columns(value.alias(f.name))
            bad_masks[i] = careful_bad.fill_null(False)
    bad_ts = frame[TS].is_null()
    bad_series = frame[SERIES].is_null()
    any_bad = bad_ts | bad_series
    for mask in bad_masks.values():
        any_bad = any_bad | mask
    parts: list[pl.DataFrame] = []
    if bool(any_bad.any()):
        indexed = batch.with_columns(frame[_ROW])
        if bool(bad_ts.any()):
            parts.append(_time_rejects(plan, indexed.filter(bad_ts)))
        if bool(bad_series.any()):
            parts.append(
                frame.filter(bad_series).select(
                    row=pl.col(_ROW),
                    column=pl.lit(plan.series_col, pl.String),
                    reason=pl.lit("missing series id"),
                )
            )
        for i, mask in bad_masks.items():
            if bool(mask.any()):
                f = plan.fields[i]
                rejected = indexed.filter(mask)
                parts.append(field_rejects(f.source, rejected, f.dtype, plan.decimal_comma, _ROW))
        frame = frame.filter(~any_bad)
    canonical = frame.select(list(plan.schema))
    valid, invalid = validate(canonical, plan.kind, frame[_ROW])
    parts.append(invalid)
    rejects = pl.concat([p.cast(REJECTS_SCHEMA) for p in parts])
    return valid, rejects.sort("row", maintain_order=True)
