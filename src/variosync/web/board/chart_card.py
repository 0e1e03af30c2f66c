"""The chart card: series and fields of the card's dataset as overlaid lines — or, for OHLCV
data, candles or OHLC bars with a volume panel — thinned on the server to about a point per
pixel (``chart_data``), refined when the user zooms or pans, downloadable as a PNG.

A zoom or pan arrives as Plotly's ``plotly_relayout`` event: the card asks the server for that
window again at full resolution and swaps the figure's data, keeping ``layout.uirevision`` so
the view the user chose stays put. Times are shown on the user's wall clock (the x values are
moved to their zone: Plotly's date axes know no zones).

Each drawing (the first paint, each zoom) checks the session again and spends a request of the
user's ``query`` rate limit; a read that misses the cache is metered like the REST query of
the same window (``chart_data``). Refused (out of hours, too many requests), the plot is
emptied and the card says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from nicegui import ui
from nicegui.events import GenericEventArguments

from variosync.api.actions import REFUSED, refusal
from variosync.catalog import Dataset
from variosync.catalog.preferences import Theme
from variosync.errors import VarioSyncError
from variosync.model import Kind
from variosync.service import Variosync
from variosync.web.board.cards import Save, off_loop
from variosync.web.chart_data import (
    DEFAULT_WIDTH_PX,
    STYLES,
    VOLUME,
    Chart,
    ChartSpec,
    Style,
    candle_style,
    chart_traces,
    from_wall_clock,
    numeric_fields,
)
from variosync.web.frame import Visit, failed

TYPE = "chart"
TITLE = "Chart"
STYLE_NAMES = {"line": "Line", "candlestick": "Candles", "ohlc": "OHLC"}
REFETCH_WIDER = 1.25
"""A plot this much wider than the width its points were thinned for is drawn again."""
GRID_COLUMNS = 12
"""The board's grid: a card's ``width`` is in its columns."""
MIN_PLOT_PX = 260
DOWNLOAD_S = 30.0
"""How long the browser may take to draw and save the PNG."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class _View:
    """What the card shows now: the window (None: all), the plot's width, and the number of
    the latest request (an older answer arriving late is dropped)."""

    start: datetime | None = None
    end: datetime | None = None
    width_px: int = DEFAULT_WIDTH_PX
    asked: int = 0


def relayout_window(args: object) -> tuple[object, object] | Literal["all"] | None:
    """The x window a ``plotly_relayout`` event asks for: its two bounds as Plotly sends them,
    ``"all"`` when the axis went back to autorange, None when the event is not about x."""
    if not isinstance(args, dict):
        return None
    if args.get("xaxis.autorange") is True:
        return "all"
    if "xaxis.range[0]" in args and "xaxis.range[1]" in args:
        return args["xaxis.range[0]"], args["xaxis.range[1]"]
    both = args.get("xaxis.range")
    if isinstance(both, list) and len(both) == 2:
        return both[0], both[1]
    return None


def _width_px(card: dict[str, Any]) -> int:
    """The plot's width before the browser tells it: the card's share of a
    ``DEFAULT_WIDTH_PX`` grid (its ``width`` in columns), or the whole of it."""
    columns = card.get("width")
    if isinstance(columns, int) and 0 < columns < GRID_COLUMNS:
        return max(MIN_PLOT_PX, DEFAULT_WIDTH_PX * columns // GRID_COLUMNS)
    return DEFAULT_WIDTH_PX


DARK = {"paper_bgcolor": "#1d1d1d", "plot_bgcolor": "#1d1d1d", "font": {"color": "#e0e0e0"}}
DARK_AXIS = {"gridcolor": "#3a3a3a", "zerolinecolor": "#555555", "linecolor": "#555555"}


def _describe(mine: Variosync, dataset: str) -> tuple[Dataset, list[str]]:
    return mine.catalog.get(dataset), mine.series(dataset)


def _saved(card: dict[str, Any], key: str, allowed: list[str], default: list[str]) -> list[str]:
    """The card's saved choice of ``key`` that still exists, else ``default``."""
    saved = card.get(key)
    kept = [v for v in saved if v in allowed] if isinstance(saved, list) else []
    return kept or default


def _figure(
    chart: Chart | None, revision: str, config: dict[str, Any], dark: bool = False
) -> dict[str, Any]:
    """The plot's figure: the chart's traces and axes in the card's frame (dark colours with
    the dark theme: Plotly does not follow the page's)."""
    layout: dict[str, Any] = {
        "uirevision": revision,
        "margin": {"l": 56, "r": 16, "t": 32, "b": 48},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "xaxis": {"type": "date"},
    }
    if chart is not None:
        layout |= chart.layout
    if dark:
        layout |= DARK
        for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
            layout[name] = {**layout[name], **DARK_AXIS}
    return {"data": chart.data if chart is not None else [], "layout": layout, "config": config}


def _status(chart: Chart) -> str:
    if chart.read == 0:
        return "No points in this window."
    text = f"{chart.shown:,} of {chart.read:,} points shown"
    return text + " — zoom in for detail" if chart.shown < chart.read else text


async def render(visit: Visit, card: dict[str, Any], save: Save) -> None:
    """Draw the chart of ``card["dataset"]`` with the card's saved choices."""
    dataset = card.get("dataset")
    if not isinstance(dataset, str) or not dataset:
        ui.label("Choose a dataset to chart.").classes("text-gray-500")
        return
    mine = visit.mine
    try:
        record, series_ids = await off_loop(_describe, mine, dataset)
    except VarioSyncError as exc:
        failed(f"Chart of {dataset}", exc)
        ui.label(exc.message).classes("text-gray-500")
        return
    numeric = numeric_fields(record)
    if record.version < 0 or not numeric:
        why = "holds no data yet" if record.version < 0 else "has no numeric field to chart"
        ui.label(f"Dataset {dataset} {why}.").classes("text-gray-500").mark("chart-empty")
        return
    ohlcv = record.kind == Kind.OHLCV.value
    default: Style = "candlestick" if ohlcv else "line"
    style = next((s for s in STYLES if ohlcv and s == card.get("style")), default)
    view = _View(width_px=_width_px(card))
    revision = f"chart-{card.get('id', dataset)}"
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": f"{dataset}-chart", "scale": 2},
    }

    with ui.row().classes("items-end gap-2 w-full"):
        series_box = ui.select(
            series_ids,
            multiple=True,
            with_input=True,
            label="Series",
            value=_saved(card, "series", series_ids, series_ids[:1]),
        )
        series_box.props("use-chips dense").classes("min-w-48").mark("chart-series")
        first = ["close"] if ohlcv and "close" in numeric else numeric[:1]
        fields_box = ui.select(
            numeric, multiple=True, label="Fields", value=_saved(card, "fields", numeric, first)
        )
        fields_box.props("use-chips dense").classes("min-w-40").mark("chart-fields")
        style_box = ui.toggle({s: STYLE_NAMES[s] for s in STYLES}, value=style).props(
            "dense no-caps"
        )
        style_box.mark("chart-style").set_visibility(ohlcv)
        volume_box = ui.switch("Volume", value=bool(card.get("volume", True))).mark("chart-volume")
        volume_box.set_visibility(ohlcv and VOLUME in numeric)
        png = ui.button(icon="download", on_click=lambda: download())
        png.props("flat dense").tooltip("Download as PNG").mark("chart-png")
    status = ui.label("").classes("text-xs text-gray-500").mark("chart-status")
    dark = visit.preferences.theme == Theme.DARK
    plot = ui.plotly(_figure(None, revision, config, dark)).classes("w-full grow")
    plot.style(f"min-height: {MIN_PLOT_PX}px").mark("chart-plot")  # the card's height, or this

    def spec() -> ChartSpec:
        return ChartSpec(
            dataset,
            tuple(series_box.value or ()),
            tuple(fields_box.value or ()),
            style_box.value if ohlcv else "line",
            bool(volume_box.value),
            view.start,
            view.end,
            view.width_px,
            visit.preferences.time_zone,
        )

    def arrange() -> None:
        candles = candle_style(record, style_box.value)
        fields_box.set_visibility(not candles)
        volume_box.set_visibility(candles and VOLUME in numeric)

    async def draw() -> None:
        asked = spec()
        view.asked += 1
        number = view.asked
        if not asked.series or (not candle_style(record, asked.style) and not asked.fields):
            plot.update_figure(_figure(None, revision, config, dark))
            status.text = "Choose a series and a field to chart."
            return
        try:
            actions = await visit.act("query")
            chart = await off_loop(chart_traces, mine, visit.shared.cache, asked, actions)
        except REFUSED as exc:
            if number == view.asked:
                plot.update_figure(_figure(None, revision, config, dark))
                status.text = refusal(exc)
            failed("Chart", exc)
            return
        except VarioSyncError as exc:
            failed("Chart", exc)
            return
        if number != view.asked:  # a newer window was asked for meanwhile
            return
        plot.update_figure(_figure(chart, revision, config, dark))
        status.text = _status(chart)

    async def chosen() -> None:
        arrange()
        choices = {
            "series": list(series_box.value or ()),
            "fields": list(fields_box.value or ()),
            "style": style_box.value,
            "volume": bool(volume_box.value),
        }
        try:
            await save(choices)
        except VarioSyncError as exc:  # the chart still changes; only keeping it failed
            failed("Saving the chart's settings", exc)
        await draw()

    async def relayout(event: GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        measured = args.get("plot_width")
        wider = isinstance(measured, int | float) and measured > REFETCH_WIDER * view.width_px
        if isinstance(measured, int | float) and measured > 0:
            view.width_px = int(measured)
        window = relayout_window(args)
        if window is None:
            if wider:
                await draw()
            return
        if window == "all":
            view.start = view.end = None
        else:
            try:
                bounds = sorted(from_wall_clock(b, visit.preferences.time_zone) for b in window)
            except VarioSyncError as exc:
                failed("Chart", exc)
                return
            view.start, view.end = bounds
        await draw()

    async def download() -> None:
        chosen_series = "-".join(series_box.value or ())[:60]
        name = _UNSAFE.sub("_", f"{dataset}-{chosen_series}" if chosen_series else dataset)
        image = {"format": "png", "filename": name, "scale": 2}
        try:  # Plotly renders the image in the browser and answers once it is saved
            await plot.run_plot_method("downloadImage", image, timeout=DOWNLOAD_S)
        except TimeoutError:
            ui.notify("The browser did not make the image in time: try again", type="warning")

    for box in (series_box, fields_box, style_box, volume_box):
        box.on_value_change(chosen)
    # the browser adds the plot's width, so a zoom is thinned for the pixels it has
    width_js = f"(e) => emit({{...e, plot_width: getHtmlElement({plot.id})?.clientWidth}})"
    plot.on("plotly_relayout", relayout, js_handler=width_js)
    arrange()
    await draw()
