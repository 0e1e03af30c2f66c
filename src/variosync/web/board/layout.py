"""The board: a 12-column grid of cards, each with a title bar to move (or drag), resize and
close it. The layout — order, width in columns, height, each card's settings — is the user's
``board`` preference in the catalog, so it comes back on the next visit from any browser.

Every change is checked (at most 24 cards, 64 KiB) and written before the page shows it; a
change that cannot be saved is refused with a notification and the page stays as saved. A
change is applied to the board as stored at that moment (another tab may have changed it since
this page opened), and the page then shows the board as saved — the other tab's cards too.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nicegui import run, ui
from nicegui.events import GenericEventArguments, SortableEventArguments

from variosync.catalog.preferences import MAX_CARDS
from variosync.errors import NotFoundError, VarioSyncError
from variosync.web.board.cards import CardKind, off_loop
from variosync.web.frame import Visit, failed

Card = dict[str, Any]
COLUMNS = 12
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 3, COLUMNS, 6
MIN_HEIGHT, MAX_HEIGHT, DEFAULT_HEIGHT, HEIGHT_STEP = 200, 1600, 440, 80
LAYOUT_KEYS = frozenset({"id", "type", "width", "height"})
"""Keys the board owns: a card's own ``save`` cannot change them."""

_RESIZE_START = """(e) => {
  const el = e.currentTarget;
  el.dataset.size = el.offsetWidth + 'x' + el.offsetHeight;
}"""
_RESIZE_END = """(e) => {
  const el = e.currentTarget;
  const size = el.offsetWidth + 'x' + el.offsetHeight;
  if (el.dataset.size === undefined || el.dataset.size === size) return;
  delete el.dataset.size;
  emit({width: el.offsetWidth, height: el.offsetHeight, grid: el.parentElement.clientWidth});
  el.style.width = '';
}"""
"""The native resize handle: a press and release that changed the card's size reports the
final size (and the grid's width); the width is then the grid's again, in whole columns."""


def _clamp(value: object, low: int, high: int, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return max(low, min(high, int(value)))


def new_card(card_type: str, dataset: str | None) -> Card:
    """A card of ``card_type`` on ``dataset`` with a new id and the default size."""
    return {
        "id": uuid.uuid4().hex[:12],
        "type": card_type,
        "dataset": dataset,
        "width": DEFAULT_WIDTH,
        "height": DEFAULT_HEIGHT,
    }


def restored(saved: list[Card]) -> list[Card]:
    """A saved board as the page uses it: ids unique, type and dataset text, sizes in range
    (a layout saved by an older version, or edited, still opens)."""
    cards: list[Card] = []
    seen: set[str] = set()
    for raw in saved[:MAX_CARDS]:
        card = copy.deepcopy(raw)
        if not isinstance(card.get("id"), str) or not card["id"] or card["id"] in seen:
            card["id"] = uuid.uuid4().hex[:12]
        seen.add(card["id"])
        card["type"] = str(card.get("type", ""))
        dataset = card.get("dataset")
        card["dataset"] = dataset if isinstance(dataset, str) and dataset else None
        card["width"] = _clamp(card.get("width"), MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH)
        card["height"] = _clamp(card.get("height"), MIN_HEIGHT, MAX_HEIGHT, DEFAULT_HEIGHT)
        cards.append(card)
    return cards


def moved(cards: list[Card], card_id: str, index: int) -> list[Card]:
    """The board with the card ``card_id`` at ``index`` (clamped to the board)."""
    rest = [c for c in cards if c["id"] != card_id]
    card = next((c for c in cards if c["id"] == card_id), None)
    if card is None:
        return list(cards)
    index = max(0, min(len(rest), index))
    return [*rest[:index], card, *rest[index:]]


def resized(card: Card, width: int | None = None, height: int | None = None) -> Card:
    """The card with a new width (columns) and/or height (pixels), each kept in range."""
    changed = dict(card)
    if width is not None:
        changed["width"] = _clamp(width, MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH)
    if height is not None:
        changed["height"] = _clamp(height, MIN_HEIGHT, MAX_HEIGHT, DEFAULT_HEIGHT)
    return changed


def merged(card: Card, settings: Mapping[str, Any]) -> Card:
    """The card with a card's own saved settings; the layout keys stay the board's."""
    return {**card, **{k: v for k, v in settings.items() if k not in LAYOUT_KEYS}}


def columns_of(width_px: float, grid_px: float) -> int:
    """The whole grid columns nearest to a width in pixels."""
    if grid_px <= 0:
        return DEFAULT_WIDTH
    return _clamp(round(COLUMNS * width_px / grid_px), MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH)


@dataclass
class _View:
    """What the page shows of one card."""

    element: ui.card
    title: ui.label
    body: ui.column
    drawing: asyncio.Lock = field(default_factory=asyncio.Lock)


class Board:
    """One page's board: the cards' layout (as saved) and what the page shows of them."""

    def __init__(self, visit: Visit, kinds: Mapping[str, CardKind]) -> None:
        self.visit = visit
        self.kinds = kinds
        self.cards = restored(visit.preferences.board)
        self._views: dict[str, _View] = {}
        self._writes = asyncio.Lock()
        self._empty = ui.label("Your board is empty: add a card above.").mark("board-empty")
        self._grid = ui.grid(columns=COLUMNS).classes("w-full gap-3").mark("board")
        self._grid.make_sortable(on_end=self._dragged, handle=".board-drag")
        for card in self.cards:
            self._draw(card)
        self._empty.set_visibility(not self.cards)

    # -- changes ---------------------------------------------------------------------------------

    async def add(self, card_type: str, dataset: str | None) -> str | None:
        """Add a card at the end and draw it; its id, or None when it could not be saved (the
        board is full)."""
        card = new_card(card_type, dataset)
        if not await self._change(lambda cards: [*cards, card]):
            return None
        return str(card["id"])

    async def move(self, card_id: str, step: int) -> None:
        """Move a card ``step`` places earlier (negative) or later."""

        def change(cards: list[Card]) -> list[Card]:
            index = next((i for i, c in enumerate(cards) if c["id"] == card_id), None)
            return cards if index is None else moved(cards, card_id, index + step)

        await self._change(change)

    async def resize(
        self, card_id: str, width: int | None = None, height: int | None = None
    ) -> None:
        """Give a card a new width (grid columns) and/or height (pixels)."""

        def change(cards: list[Card]) -> list[Card]:
            return [resized(c, width, height) if c["id"] == card_id else c for c in cards]

        await self._change(change)

    async def grow(self, card_id: str, columns: int = 0, pixels: int = 0) -> None:
        """Make a card wider or narrower by ``columns``, taller or shorter by ``pixels``."""
        card = self._card(card_id)
        if card is not None:
            await self.resize(card_id, card["width"] + columns, card["height"] + pixels)

    async def close(self, card_id: str) -> None:
        """Take a card off the board."""
        await self._change(lambda cards: [c for c in cards if c["id"] != card_id])

    async def save(self, card_id: str, settings: Mapping[str, Any]) -> None:
        """Store a card's own settings (a card calls this through its ``save``); a card that
        changes its dataset redraws itself."""
        await self._change(
            lambda cards: [merged(c, settings) if c["id"] == card_id else c for c in cards]
        )

    async def _change(self, change: Callable[[list[Card]], list[Card]]) -> bool:
        """Apply ``change`` to the board as stored now, save it and show the board as saved;
        False (the user told why) if refused. The store applies it inside its compare-and-swap,
        so a change made meanwhile in another tab is kept, not overwritten."""
        store = self.visit.shared.accounts.preferences
        user_id = self.visit.user.id
        async with self._writes:
            try:
                saved = await run.io_bound(
                    store.update_board, user_id, lambda cards: change(restored(cards))
                )
            except VarioSyncError as exc:
                failed("The board was not saved", exc)
                self._arrange()  # a refused drag: the cards go back to their saved places
                return False
            if saved is None:  # the server is shutting down
                return False
            new = self._show(restored(saved.board))
        # outside the lock: a card's content may take a while, and may save its settings
        await asyncio.gather(*(self.render(card_id) for card_id in new))
        return True

    def _show(self, cards: list[Card]) -> list[str]:
        """Show ``cards`` (the board as saved): cards new to this page are drawn (their ids
        returned, for their content), those gone are taken off, and every card gets its saved
        place, size and title."""
        self.cards = cards
        kept = {c["id"] for c in cards}
        for card_id in [i for i in self._views if i not in kept]:
            self._views.pop(card_id).element.delete()
        new = [c["id"] for c in cards if c["id"] not in self._views]
        for card in cards:
            view = self._views.get(card["id"])
            if view is None:
                self._draw(card)
            else:
                view.element.style(self._size(card))
                view.title.set_text(self._title(card))
        self._arrange()
        self._empty.set_visibility(not cards)
        return new

    async def _dragged(self, event: SortableEventArguments) -> None:
        card_id = next((i for i, v in self._views.items() if v.element is event.item), None)
        if card_id is None:
            self._arrange()
            return
        await self._change(lambda cards: moved(cards, card_id, event.new_index))

    async def _resized(self, card_id: str, event: GenericEventArguments) -> None:
        """The native resize handle was let go: keep the final size."""
        size = event.args if isinstance(event.args, dict) else {}
        found = [size.get(k) for k in ("width", "height", "grid")]
        numbers = [float(v) for v in found if isinstance(v, int | float)]
        if len(numbers) == len(found):
            width, height, grid = numbers
            await self.resize(card_id, columns_of(width, grid), round(height))

    def _arrange(self) -> None:
        """Put the cards' elements in the saved order."""
        for index, card in enumerate(self.cards):
            view = self._views.get(card["id"])
            if view is not None:
                view.element.move(self._grid, target_index=index)

    # -- drawing ---------------------------------------------------------------------------------

    def _card(self, card_id: str) -> Card | None:
        return next((c for c in self.cards if c["id"] == card_id), None)

    def _title(self, card: Card) -> str:
        kind = self.kinds.get(card["type"])
        title = kind.title if kind is not None else card["type"] or "Card"
        return f"{title} · {card['dataset']}" if card["dataset"] else title

    @staticmethod
    def _size(card: Card) -> str:
        span = card["width"]
        return f"grid-column: span {span} / span {span}; height: {card['height']}px"

    def _draw(self, card: Card) -> None:
        """The card's frame — title bar and an empty body — at the end of the grid."""
        card_id = card["id"]
        with self._grid:
            element = ui.card().classes("p-2 gap-1 min-w-0")
            element.style(f"{self._size(card)}; resize: both; overflow: hidden")
            element.mark(f"card-{card_id}")
        element.on("mousedown", js_handler=_RESIZE_START)
        element.on("mouseup", lambda e: self._resized(card_id, e), js_handler=_RESIZE_END)
        with element:
            with ui.row().classes("w-full items-center no-wrap gap-1"):
                ui.icon("drag_indicator").classes("board-drag cursor-move").tooltip("Drag")
                title = ui.label(self._title(card)).classes("font-medium truncate")
                ui.space()
                self._button("arrow_back", "Earlier", f"earlier-{card_id}", self.move, card_id, -1)
                self._button("arrow_forward", "Later", f"later-{card_id}", self.move, card_id, 1)
                sizes = ui.button(icon="aspect_ratio").props("flat dense round size=sm")
                with sizes.tooltip("Size"), ui.menu():
                    for label, name, columns, pixels in (
                        ("Wider", "wider", 1, 0),
                        ("Narrower", "narrower", -1, 0),
                        ("Taller", "taller", 0, HEIGHT_STEP),
                        ("Shorter", "shorter", 0, -HEIGHT_STEP),
                    ):
                        ui.menu_item(
                            label,
                            lambda c=columns, p=pixels: self.grow(card_id, c, p),
                            auto_close=False,
                        ).mark(f"{name}-{card_id}")
                self._button("close", "Close", f"close-{card_id}", self.close, card_id)
            body = ui.column().classes("w-full grow overflow-auto gap-2 min-h-0")
            with body:
                ui.spinner()
        self._views[card_id] = _View(element, title, body)

    @staticmethod
    def _button(
        icon: str, tip: str, marker: str, action: Callable[..., Any], *args: object
    ) -> None:
        button = ui.button(icon=icon, on_click=lambda: action(*args))
        button.props("flat dense round size=sm").tooltip(tip).mark(marker)

    async def render_all(self) -> None:
        """Draw every card's content."""
        await asyncio.gather(*(self.render(c["id"]) for c in self.cards))

    async def render_dataset(self, name: str) -> None:
        """Draw again the cards of dataset ``name`` (it changed)."""
        await asyncio.gather(*(self.render(c["id"]) for c in self.cards if c["dataset"] == name))

    async def render(self, card_id: str) -> None:
        """Draw a card's content from scratch (one drawing at a time per card)."""
        view = self._views.get(card_id)
        if view is None:
            return
        async with view.drawing:
            card = self._card(card_id)
            if card is None or view.body.is_deleted:
                return
            view.body.clear()
            with view.body:
                try:
                    await self._content(card)
                except VarioSyncError as exc:
                    view.body.clear()
                    with view.body:
                        hint = f" — {exc.hint}" if exc.hint else ""
                        problem = ui.label(f"{exc.message}{hint}").classes("text-negative")
                        problem.mark("card-problem")

    async def _content(self, card: Card) -> None:
        kind = self.kinds.get(card["type"])
        if kind is None:
            ui.label(f"There is no {card['type']!r} card (any more): close this one.")
            return
        name = card["dataset"]
        if name is None:
            ui.label("This card has no dataset: close it and add one on a dataset.")
            return
        try:
            await off_loop(self.visit.mine.catalog.get, name)
        except NotFoundError:
            ui.label(f"dataset {name} no longer exists").classes("text-negative").mark("card-gone")
            return
        card_id = card["id"]

        async def save(settings: dict[str, Any]) -> None:
            await self.save(card_id, settings)

        await kind.render(self.visit, copy.deepcopy(card), save)
