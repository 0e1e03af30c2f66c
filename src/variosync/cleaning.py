"""Cleaning a stored dataset: preview a recipe, or apply it as one new version.

A dataset is cleaned a group of series at a time (operations never look across series), so
memory is bounded by a group, not by the dataset. Applying rewrites the table in one commit:
the old version stays readable, and ``restore`` brings it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from variosync.clean.fields import Context
from variosync.clean.recipe import Recipe, parse_recipe, recipe_from_text
from variosync.clean.run import StepReport, apply_recipe, duplicate_keys, merge_reports
from variosync.errors import NotFoundError, StorageError, UsageError, VarioSyncError
from variosync.model import SERIES, TS, Kind
from variosync.store import DeltaStore
from variosync.store.commits import one_line

GROUP_ROWS = 2_000_000
"""Rows cleaned at once (whole series; a bigger series is one group on its own)."""
SAMPLE_ROWS = 10


@dataclass
class CleanResult:
    """What a recipe did (or, in a dry run, would do) to a dataset."""

    dataset: str
    recipe: Recipe
    steps: list[StepReport]
    series: int
    rows_before: int
    rows_after: int
    dry_run: bool
    version: int | None = None
    duplicate_keys: int = 0
    before: pl.DataFrame = field(default_factory=pl.DataFrame)
    after: pl.DataFrame = field(default_factory=pl.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (samples as lists of row objects)."""
        return {
            "dataset": self.dataset,
            "dry_run": self.dry_run,
            "version": self.version,
            "series": self.series,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "duplicate_keys": self.duplicate_keys,
            "recipe": self.recipe.to_list(),
            "steps": [s.to_dict() for s in self.steps],
            "sample": {
                "before": _rows(self.before),
                "after": _rows(self.after),
            },
        }


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    if frame.is_empty():
        return []
    text = frame.with_columns(pl.col(TS).dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ"))
    return text.to_dicts()


def series_groups(names: Sequence[str], rows: int, series: int) -> Iterator[list[str]]:
    """The sorted names in groups of about ``GROUP_ROWS`` rows."""
    per_series = max(1, rows // max(1, series))
    step = max(1, GROUP_ROWS // per_series)
    for start in range(0, len(names), step):
        yield list(names[start : start + step])


def read_group(scan: pl.LazyFrame, group: list[str]) -> pl.DataFrame:
    """The rows of a group of sorted series names, sorted by key."""
    # A contiguous range of sorted names prunes row groups by min/max statistics.
    ranged = scan.filter(pl.col(SERIES).is_between(pl.lit(group[0]), pl.lit(group[-1])))
    frame = ranged.filter(pl.col(SERIES).is_in(group)).collect()
    return frame if key_sorted(frame) else frame.sort(SERIES, TS)


def key_sorted(frame: pl.DataFrame) -> bool:
    """Whether rows are in (series, ts) order: one cheap pass (tables are written sorted)."""
    previous = pl.col(SERIES).shift()
    ordered = (pl.col(SERIES) > previous) | (
        (pl.col(SERIES) == previous) & (pl.col(TS) > pl.col(TS).shift())
    )
    return bool(frame.select(ordered.fill_null(True).all()).item())


def target_series(available: list[str], wanted: Sequence[str]) -> list[str]:
    """The series to clean: all, or the named ones (each must exist)."""
    if not wanted:
        return available
    known = set(available)
    missing = [name for name in wanted if name not in known]
    if missing:
        raise NotFoundError(
            f"unknown series: {', '.join(missing[:5])}",
            hint="`variosync info NAME` or a query with --latest lists the series",
        )
    return sorted(set(wanted))


def output_schema(source: pl.Schema, recipe: Recipe, ctx: Context, keeps_others: bool) -> pl.Schema:
    """The rewritten table's schema: the recipe's output, plus untouched series' fields."""
    cleaned, _ = apply_recipe(pl.DataFrame(schema=source), recipe, ctx)
    schema = dict(cleaned.schema)
    if not keeps_others:
        return pl.Schema(schema)
    for name, dtype in source.items():
        if name not in schema:
            schema[name] = dtype
        elif schema[name] != dtype:
            if schema[name].is_numeric() and dtype.is_numeric():
                schema[name] = pl.Float64()
            else:
                raise UsageError(
                    f"field {name!r} would be {schema[name]} in the cleaned series and "
                    f"{dtype} in the others",
                    hint="clean every series (leave out --series) to change a field's type",
                )
    return pl.Schema(schema)


class Cleaner:
    """Previews and applies recipes to one dataset's table."""

    def __init__(self, store: DeltaStore, table_id: str, kind: Kind, dataset: str) -> None:
        self.store = store
        self.table_id = table_id
        self.ctx = Context(kind=kind)
        self.dataset = dataset

    def _names(self, scan: pl.LazyFrame) -> list[str]:
        names = scan.select(pl.col(SERIES).unique()).collect().get_column(SERIES)
        return sorted(names.drop_nulls().to_list())

    def preview(
        self, version: int, recipe: Recipe, series: Sequence[str], rows: int, count: int
    ) -> CleanResult:
        """Run the recipe on every targeted series and report; nothing is written."""
        scan = self.store.scan(self.table_id, version)
        targets = target_series(self._names(scan), series)
        output_schema(scan.collect_schema(), recipe, self.ctx, bool(series))
        result = CleanResult(self.dataset, recipe, [], len(targets), 0, 0, dry_run=True)
        sampled = False
        for group in series_groups(targets, rows, count):
            frame = read_group(scan, group)
            cleaned, reports = apply_recipe(frame, recipe, self.ctx)
            self._account(result, frame, cleaned, reports, duplicate_keys(cleaned).height)
            if not sampled:  # the first group where the recipe changed something
                result.before, result.after, sampled = _sample(frame, cleaned)
        return result

    def apply(self, recipe: Recipe, series: Sequence[str], rows: int, count: int) -> CleanResult:
        """Rewrite the table with the recipe applied to the targeted series, as one commit.

        Groups are cleaned while the writer compresses the previous ones; a step that fails
        midway fails the write, and nothing is committed. The per-step report is complete
        only once every group is written, so it goes to the catalog's version record (and
        ``history`` shows it) rather than into the commit's own metadata.
        """
        result = CleanResult(self.dataset, recipe, [], 0, 0, 0, dry_run=False)
        failure: list[VarioSyncError] = []

        def build(version: int) -> tuple[pa.RecordBatchReader, dict[str, str]]:
            scan = self.store.scan(self.table_id, version)
            names = self._names(scan)
            targets = target_series(names, series)
            result.series = len(targets)
            schema = output_schema(scan.collect_schema(), recipe, self.ctx, bool(series))
            others = sorted(set(names) - set(targets))
            arrow = pl.DataFrame(schema=schema).to_arrow().schema
            frames = self._frames(scan, targets, others, (rows, count), schema, result, failure)
            batches = (b for frame in frames for b in frame.to_arrow().cast(arrow).to_batches())
            metadata = {
                "operation": "clean",
                "steps": "; ".join(recipe.describe())[:1000],
                # whole, or not at all (the catalog's version record always has it)
                **({"recipe": recipe.to_json()} if len(recipe.to_json()) <= 4000 else {}),
                "series": ",".join(series)[:300] if series else "all",
            }
            return pa.RecordBatchReader.from_batches(arrow, batches), metadata

        try:
            result.version = self.store.rewrite(self.table_id, build)
        except (VarioSyncError, OSError, pa.ArrowException, RuntimeError, ValueError) as exc:
            if failure:
                raise failure[0] from None
            if isinstance(exc, VarioSyncError):
                raise
            raise StorageError(f"cleaning {self.dataset!r} failed: {one_line(exc)}") from exc
        return result

    def _frames(
        self,
        scan: pl.LazyFrame,
        targets: list[str],
        others: list[str],
        size: tuple[int, int],
        schema: pl.Schema,
        result: CleanResult,
        failure: list[VarioSyncError],
    ) -> Iterator[pl.DataFrame]:
        try:
            for group in series_groups(targets, *size):
                frame = read_group(scan, group)
                cleaned, reports = apply_recipe(frame, result.recipe, self.ctx)
                repeated = duplicate_keys(cleaned)
                if repeated.height:
                    raise _duplicates_error(repeated)
                self._account(result, frame, cleaned, reports, 0)
                yield _conform(cleaned, schema)
            for group in series_groups(others, *size):
                yield _conform(read_group(scan, group), schema)
        except VarioSyncError as exc:  # raised inside the writer's pull; re-raised by apply
            failure.append(exc)
            raise
        except Exception as exc:  # anything else would reach the user as a Rust traceback
            failure.append(StorageError(f"cleaning {self.dataset!r} failed: {one_line(exc)}"))
            raise

    @staticmethod
    def _account(
        result: CleanResult,
        frame: pl.DataFrame,
        cleaned: pl.DataFrame,
        reports: list[StepReport],
        repeated: int,
    ) -> None:
        result.steps = merge_reports(result.steps, reports)
        result.rows_before += frame.height
        result.rows_after += cleaned.height
        result.duplicate_keys += repeated


def _conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype).alias(n) for n, dtype in schema.items() if n not in frame.columns
    ]
    return frame.with_columns(missing).select(schema.names()).cast(schema)


def _duplicates_error(repeated: pl.DataFrame) -> UsageError:
    series, ts, rows = repeated.row(0)
    return UsageError(
        f"the recipe leaves {repeated.height:,} timestamp(s) held by more than one row "
        f"(e.g. series {series!r} at {ts.isoformat()}: {rows} rows)",
        hint="add a drop_duplicates or resample step after the step that moved timestamps",
    )


def _sample(before: pl.DataFrame, after: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """Rows the recipe changed (before and after, by key) and whether there were any; when
    keys moved (shifted times) or nothing changed, the first rows of each side."""
    keyed = before.join(after, on=[SERIES, TS], how="full", suffix="__after", coalesce=True)
    shared = [c for c in before.columns if c in after.columns and c not in (SERIES, TS)]
    changed = [~pl.col(c).eq_missing(pl.col(f"{c}__after")) for c in shared]
    new_fields = [c for c in after.columns if c not in before.columns]
    differs = pl.any_horizontal(
        [*changed, *(pl.col(c).is_not_null() for c in new_fields), pl.lit(False)]
    )
    keys = keyed.filter(differs).select(SERIES, TS).head(SAMPLE_ROWS)
    was = before.join(keys, on=[SERIES, TS], how="semi")
    now = after.join(keys, on=[SERIES, TS], how="semi")
    if was.is_empty() or now.is_empty():
        return before.head(SAMPLE_ROWS), after.head(SAMPLE_ROWS), not keys.is_empty()
    return was, now, True


def as_recipe(recipe: Recipe | Sequence[dict[str, Any]] | str | Path) -> Recipe:
    """A Recipe from a Recipe, a list of step objects, JSON/YAML text, or a file's Path."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, str):  # text, never a path: a caller may forward a user's string
        return recipe_from_text(recipe)
    if isinstance(recipe, Path):
        path = recipe
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFoundError(f"recipe file {str(path)!r} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read recipe file {path.name!r}: {exc}") from None
        return recipe_from_text(text, f"recipe {path.name}")
    return parse_recipe(list(recipe))


def ingest_transform(
    recipe: Recipe, kind: Kind, steps: list[list[StepReport]]
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """A staging transform applying ``recipe`` and summing its reports into ``steps[0]``."""
    ctx = Context(kind=kind)

    def transform(frame: pl.DataFrame) -> pl.DataFrame:
        cleaned, reports = apply_recipe(frame, recipe, ctx)
        repeated = duplicate_keys(cleaned)
        if repeated.height:
            raise UsageError(
                f"the recipe leaves {repeated.height:,} timestamp(s) held by more than one row",
                hint="add a drop_duplicates or resample step after the step that moved timestamps",
            )
        if frame.height:
            steps[0] = merge_reports(steps[0], reports)
        return cleaned

    return transform


def check_row_local(recipe: Recipe, dataset: str) -> None:
    """Refuse steps that would compute from an upsert's rows without the stored ones."""
    for number, step in enumerate(recipe.steps, start=1):
        if not step.row_local:
            name = type(step).model_fields["op"].default
            raise UsageError(
                f"step {number} ({name}) needs each series' stored points, and dataset "
                f"{dataset!r} already holds data",
                hint=f"ingest without it, then run: variosync clean {dataset} --recipe FILE",
            )
