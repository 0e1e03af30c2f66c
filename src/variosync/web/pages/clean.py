"""The clean page: a dataset's quality profile (the stored one; profiling again is metered), a
recipe built from the cleaning operations or loaded as JSON, a dry run that shows what each step
would do and draws the sample it changed before and after, and the apply — one new version,
after a confirmation — with a link to the dataset's history.

One action at a time: while a confirmation is open or a run is under way, further clicks (a
double click) do nothing, so nothing is run — or metered — twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import polars as pl
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.api.actions import Actions
from variosync.catalog import Dataset
from variosync.clean.run import StepReport
from variosync.cleaning import CleanResult
from variosync.errors import UsageError, VarioSyncError
from variosync.events import Event
from variosync.model import SERIES, TS
from variosync.quality import DatasetProfile
from variosync.service import Variosync
from variosync.web.frame import Visit, enter, failed
from variosync.web.quality_tables import columns, show_profile
from variosync.web.recipe_form import RecipeForm

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
"""One colour per series of a sample: its before solid, its after dotted."""


STEP_COLUMNS = columns(
    "<description:Step",
    "rows_before:Rows before",
    "rows_after:Rows after",
    "removed:Removed",
    "added:Added",
    "filled:Filled",
    "changed:Changed",
    "nulled:Nulled",
    "flagged:Flagged",
    "moved:Times moved",
    "<effect:Effect",
)


def step_rows(steps: Sequence[StepReport]) -> list[dict[str, Any]]:
    """What each step did (or would do)."""
    return [
        {
            "step": s.step,
            "description": f"{s.step}. {s.description}",
            "rows_before": s.rows_before,
            "rows_after": s.rows_after,
            "removed": s.rows_removed,
            "added": s.rows_added,
            "filled": s.values_filled,
            "changed": s.values_changed,
            "nulled": s.values_nulled,
            "flagged": s.flagged,
            "moved": s.timestamps_changed,
            "effect": s.summary(),
        }
        for s in steps
    ]


def chart_fields(before: pl.DataFrame, after: pl.DataFrame) -> list[str]:
    """The numeric fields of a sample, those the recipe changed first."""
    names = [c for c in dict.fromkeys([*after.columns, *before.columns]) if c not in (SERIES, TS)]
    numeric = [
        c
        for c in names
        if (after.schema.get(c) or before.schema.get(c) or pl.String()).is_numeric()
    ]

    def unchanged(name: str) -> bool:
        if name not in before.columns or name not in after.columns:
            return False
        if before.height != after.height:
            return False
        return bool(
            before[name]
            .cast(pl.Float64, strict=False)
            .equals(after[name].cast(pl.Float64, strict=False))
        )

    return sorted(numeric, key=unchanged)


def sample_figure(
    before: pl.DataFrame, after: pl.DataFrame, field: str, when: Callable[..., str]
) -> dict[str, Any]:
    """Before and after of one field as Plotly traces (a dry run's sample holds a few rows,
    so plain lists); one pair per series when the sample spans several."""
    keys = [frame.get_column(SERIES) for frame in (before, after) if SERIES in frame.columns]
    series = pl.concat(keys).unique(maintain_order=True).to_list() if keys else []
    traces = []
    for label, frame, dash in (("before", before, "solid"), ("after", after, "dot")):
        if field not in frame.columns:
            continue
        for number, name in enumerate(series):
            part = frame.filter(pl.col(SERIES) == name)
            if part.is_empty():
                continue
            color = PALETTE[number % len(PALETTE)]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{name} {label}" if len(series) > 1 else label,
                    "x": [when(moment, seconds=True) for moment in part[TS].to_list()],
                    "y": part[field].cast(pl.Float64, strict=False).to_list(),
                    "line": {"dash": dash, "color": color},
                    "marker": {"symbol": "circle" if label == "before" else "x", "size": 9},
                    "connectgaps": False,
                }
            )
    layout = {
        "height": 340,
        "margin": {"l": 50, "r": 20, "t": 20, "b": 60},
        "yaxis": {"title": {"text": field}},
        "legend": {"orientation": "h"},
    }
    return {"data": traces, "layout": layout}


@dataclass(frozen=True)
class Chosen:
    """A dataset picked on the page: its entry, series and stored profile (none while empty)."""

    record: Dataset
    series: list[str]
    profile: DatasetProfile | None


def load(mine: Variosync, name: str) -> Chosen:
    """The dataset, its series and its stored profile (made now if it was never made)."""
    record = mine.catalog.get(name)
    if record.version < 0:
        return Chosen(record, [], None)
    return Chosen(record, mine.series(name), mine.profile(name))


def register(api: FastAPI) -> None:
    """The clean page; ``?dataset=NAME`` picks the dataset."""

    @ui.page("/clean", title="Clean · VarioSync")
    async def page(dataset: str | None = None) -> RedirectResponse | None:
        visit = await enter(api, "Clean")
        if isinstance(visit, RedirectResponse):
            return visit
        await CleanPage(visit).draw(dataset)
        return None


class CleanPage:
    """One visit's clean page."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self.name: str | None = None
        self.version = -1
        self.busy = False
        """An action's confirmation is open or it runs: other clicks are ignored."""

    async def draw(self, wanted: str | None) -> None:
        """The page, with ``wanted`` picked when it is one of the user's datasets."""
        names = [d.name for d in await run.io_bound(self.visit.mine.datasets) or []]
        picked = wanted if wanted in names else None
        self.picker = ui.select(names, value=picked, label="Dataset").classes("w-64")
        self.picker.mark("dataset")
        self.missing = ui.label().classes("text-negative").mark("missing")
        self.missing.set_visibility(False)
        with ui.row().classes("items-center gap-4"):
            ui.label("Quality profile").classes("text-xl")
            self.again = ui.button("Profile again", icon="refresh", on_click=self.profile_again)
            self.again.props("outline").mark("profile-again")
            self.again.tooltip("Reads every row again (metered on large datasets)")
        self.profile_box = ui.column().classes("w-full gap-2").mark("profile")
        ui.label("Recipe").classes("text-xl")
        self.series = ui.select([], value=[], label="Series (all when empty)", multiple=True)
        self.series.props("use-chips clearable").classes("w-96").mark("series")
        self.form = RecipeForm()
        with ui.row().classes("gap-2"):
            self.preview_button = ui.button("Preview", icon="visibility", on_click=self.preview)
            self.preview_button.mark("preview")
            self.apply_button = ui.button("Apply", icon="done_all", on_click=self.apply)
            self.apply_button.props("color=positive").mark("apply")
        self.result_box = ui.column().classes("w-full gap-2").mark("result")
        self.picker.on_value_change(lambda e: self.choose(e.value))
        self.visit.follow(self.changed)
        if wanted and picked is None:
            self._missing(f"No dataset named {wanted!r} among your datasets: pick one above.")
        elif picked is not None:
            await self.choose(picked)

    def _missing(self, text: str) -> None:
        self.missing.text = text
        self.missing.set_visibility(True)
        ui.notify(text, type="negative")

    async def choose(self, name: str | None) -> None:
        """Show a dataset's profile and offer its series and fields to the recipe."""
        self.name = name
        self.result_box.clear()
        self.profile_box.clear()
        if name:
            self.missing.set_visibility(False)
            await self._load(name)

    async def _load(self, name: str) -> None:
        try:
            chosen = await run.io_bound(load, self.visit.mine, name)
        except VarioSyncError as exc:
            failed("Dataset", exc)
            return
        if chosen is None or name != self.name:  # the page went away, or another was picked
            return
        self.version = chosen.record.version
        self.form.fields = [f.name for f in chosen.record.fields]
        self.form.series = chosen.series
        self.form.draw()
        kept = [s for s in self.series.value or [] if s in chosen.series]
        self.series.set_options(chosen.series, value=kept)
        self._profile(chosen.record, chosen.profile)

    def _profile(self, record: Dataset, profile: DatasetProfile | None) -> None:
        self.profile_box.clear()
        with self.profile_box:
            show_profile(record, profile, self.visit.when)

    async def profile_again(self) -> None:
        """Profile every row of the current version again (metered on large datasets)."""
        name = self.name
        if not name:
            ui.notify("Pick a dataset first", type="warning")
            return
        if not self._claim():
            return
        try:
            actions = await self.visit.act("query")
            record, profile = await run.io_bound(self._profile_again, actions, name) or (
                None,
                None,
            )
        except VarioSyncError as exc:
            failed("Profile failed", exc)
            return
        finally:
            self._release()
        if record is not None and name == self.name:
            self._profile(record, profile)
            ui.notify(f"Profiled {name} again")

    def _profile_again(self, actions: Actions, name: str) -> tuple[Dataset, DatasetProfile]:
        profile = actions.profile(name, (), True, uuid.uuid4().hex)
        return self.visit.mine.catalog.get(name), profile

    def _claim(self) -> bool:
        """Whether a click may start an action — none is waiting for its confirmation or
        running; if so, the page is busy (its buttons disabled) until ``_release``. Set before
        the first ``await``, so the second click of a double click finds it set."""
        if self.busy:
            return False
        self.busy = True
        for button in (self.again, self.preview_button, self.apply_button):
            button.disable()
        return True

    def _release(self) -> None:
        self.busy = False
        for button in (self.again, self.preview_button, self.apply_button):
            button.enable()

    def _recipe(self) -> list[dict[str, Any]] | None:
        """The form's recipe as data, checked; None (said) when there is none to run."""
        if not self.name:
            ui.notify("Pick a dataset first", type="warning")
            return None
        try:
            return self.form.recipe().to_list()
        except UsageError as exc:
            failed("Recipe", exc)
            return None

    async def _clean(
        self, name: str, recipe: list[dict[str, Any]], dry_run: bool, key: str
    ) -> CleanResult | None:
        series = list(self.series.value or [])
        try:
            actions = await self.visit.act()
            return await run.io_bound(actions.clean, name, recipe, series, dry_run, key)
        except VarioSyncError as exc:
            failed("Preview failed" if dry_run else "Clean failed", exc)
            return None

    async def preview(self) -> None:
        """A dry run: what each step would do, and the changed sample before and after."""
        if not self._claim():
            return
        try:
            await self._preview()
        finally:
            self._release()

    async def _preview(self) -> None:
        recipe = self._recipe()
        if recipe is None or self.name is None:
            return
        result = await self._clean(self.name, recipe, dry_run=True, key=uuid.uuid4().hex)
        if result is None:
            return
        self.result_box.clear()
        with self.result_box:
            self._report(result)
            self._chart(result)

    async def apply(self) -> None:
        """Write the recipe's result as one new version, after a confirmation."""
        if not self._claim():
            return
        try:
            await self._apply()
        finally:
            self._release()

    async def _apply(self) -> None:
        recipe = self._recipe()
        name = self.name
        if recipe is None or name is None:
            return
        chosen = ", ".join(self.series.value or []) or "every series"
        with ui.dialog() as dialog, ui.card():
            ui.label(
                f"Apply {len(recipe)} step(s) to {name} ({chosen}) as a new version? "
                "The current version stays in the history, and History can restore it."
            )
            with ui.row():
                ui.button("Cancel", on_click=lambda: dialog.submit(False)).mark("cancel-apply")
                confirm = ui.button("Apply", on_click=lambda: dialog.submit(True))
                confirm.props("color=positive").mark("confirm-apply")
        confirmed = await dialog
        dialog.delete()
        if not confirmed:
            return
        # one key per confirmed apply: should it reach the server twice, it runs once
        result = await self._clean(name, recipe, dry_run=False, key=uuid.uuid4().hex)
        if result is None:
            return
        self.result_box.clear()
        with self.result_box:
            self._report(result)
            target = f"/history?dataset={quote(name, safe='')}"
            ui.link(f"See version {result.version} in History", target).mark("history-link")
        ui.notify(f"Cleaned {name}: version {result.version}", type="positive")
        if name == self.name:
            await self._load(name)

    def _report(self, result: CleanResult) -> None:
        mode = "dry run, nothing written" if result.dry_run else f"version {result.version} written"
        ui.label(
            f"{result.dataset}: {len(result.steps)} step(s) on {result.series} series ({mode}); "
            f"rows {result.rows_before:,} → {result.rows_after:,}"
        ).classes("text-lg").mark("result-summary")
        if result.duplicate_keys:
            ui.label(
                f"{result.duplicate_keys:,} timestamp(s) would be held by more than one row: "
                "applying fails until a drop_duplicates or resample step follows"
            ).classes("text-warning").mark("duplicate-keys")
        table = ui.table(columns=STEP_COLUMNS, rows=step_rows(result.steps), row_key="step")
        table.props("dense flat bordered").classes("w-full").mark("result-steps")

    def _chart(self, result: CleanResult) -> None:
        fields = chart_fields(result.before, result.after)
        if not fields:
            ui.label("The sample has no numeric field to draw.").mark("no-chart")
            return
        ui.label("Sample before and after").classes("text-lg")
        pick = ui.select(fields, value=fields[0], label="Field").classes("w-48").mark("chart-field")
        when = self.visit.when
        chart = ui.plotly(sample_figure(result.before, result.after, fields[0], when))
        chart.classes("w-full").mark("chart")
        pick.on_value_change(
            lambda e: chart.update_figure(sample_figure(result.before, result.after, e.value, when))
        )

    async def changed(self, event: Event) -> None:
        """Another tab, the CLI or the API changed a dataset: follow it."""
        try:
            names = [d.name for d in await run.io_bound(self.visit.mine.datasets) or []]
        except VarioSyncError as exc:
            failed("Datasets", exc)
            return
        name = event.data.get("dataset")
        # the picked one may be gone though this event is another's (its own did not come)
        gone = self.name is not None and self.name not in names
        picked = self.name
        self.picker.set_options(names, value=None if gone else self.picker.value)
        if gone:
            self._missing(f"Dataset {picked!r} was deleted.")
        elif name == self.name and event.data.get("version") != self.version and name:
            await self._load(name)
