"""The explore page: the user's board of cards — charts, tables of raw points, aggregates and
quality profiles of their datasets — added, moved, resized and closed at will, and there again
on the next visit from any browser. A card redraws when its dataset changes elsewhere.

``/explore?dataset=NAME`` opens a chart card on that dataset when the board is empty.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.client import ClientConnectionTimeout

from variosync.errors import VarioSyncError
from variosync.events import Event
from variosync.web.board.cards import CardKind, kinds, off_loop
from variosync.web.board.layout import Board
from variosync.web.frame import Visit, enter, failed

CONNECT_S = 30.0
"""How long the page waits for its browser before drawing the cards' content."""


def register(api: FastAPI) -> None:
    """The explore page."""

    @ui.page("/explore", title="Explore · VarioSync")
    async def page(dataset: str | None = None) -> RedirectResponse | None:
        visit = await enter(api, "Explore")
        if isinstance(visit, RedirectResponse):
            return visit
        await _explore(visit, dataset)
        return None


def opening_kind(available: dict[str, CardKind]) -> str:
    """The card ``?dataset=`` opens: a chart, or a table where there is no chart card."""
    return "chart" if "chart" in available else "table"


async def _explore(visit: Visit, opened: str | None) -> None:
    available = kinds()
    names = [record.name for record in await off_loop(visit.mine.datasets)]
    with ui.row().classes("items-end gap-2"):
        card_type = ui.select(
            {t: kind.title for t, kind in available.items()},
            value=next(iter(available)),
            label="Card",
        ).classes("w-36")
        card_type.mark("add-type")
        first = names[0] if names else None
        chosen = ui.select(names, value=first, label="Dataset", with_input=True)
        chosen.classes("w-56").mark("add-dataset")
        add = ui.button("Add card", icon="add").mark("add-card")
    board = Board(visit, available)

    async def added() -> None:
        if not chosen.value:
            ui.notify("Choose a dataset for the card first", type="warning")
            return
        await board.add(str(card_type.value), str(chosen.value))

    async def changed(event: Event) -> None:
        records = await off_loop(visit.mine.datasets)
        fresh = [record.name for record in records]
        keep = chosen.value if chosen.value in fresh else (fresh[0] if fresh else None)
        chosen.set_options(fresh, value=keep)
        name = event.data.get("dataset")
        if isinstance(name, str):
            await board.render_dataset(name)

    add.on_click(added)
    visit.follow(changed)
    try:
        # the cards' content may take a while (a profile, a large scan): the page goes first
        await ui.context.client.connected(timeout=CONNECT_S)
    except ClientConnectionTimeout:
        return
    await board.render_all()
    if opened and not board.cards:
        try:
            await off_loop(visit.mine.catalog.get, opened)
        except VarioSyncError as exc:
            failed(f"Cannot open {opened}", exc)
            return
        await board.add(opening_kind(available), opened)
