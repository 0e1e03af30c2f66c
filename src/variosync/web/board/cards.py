"""What a card of the board is, and the kinds of card there are.

A card module exposes ``TYPE`` (its name in a saved layout), ``TITLE`` (shown in its title bar
and the add menu) and ``async def render(visit, card, save)``, which draws the card's content
into the current NiceGUI container. ``card`` is the card's saved settings — a JSON-able dict
with at least ``id``, ``type`` and ``dataset`` (str or None), plus keys of the card's own —
and ``save(settings)`` stores changed settings in the user's board (the board merges them,
keeping the id, type and layout keys). The board calls ``render`` again, into an emptied
container, whenever the card's dataset changes: it must draw from scratch each time.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

from nicegui import run

from variosync.web.frame import Visit

Save = Callable[[dict[str, Any]], Awaitable[None]]


class CardRender(Protocol):
    """Draws a card's content into the current container."""

    async def __call__(self, visit: Visit, card: dict[str, Any], save: Save) -> None: ...


@dataclass(frozen=True)
class CardKind:
    """One kind of card: its saved name, its title, how it draws."""

    type: str
    title: str
    render: CardRender


CHART_MODULE = "variosync.web.board.chart_card"
"""The chart card, loaded by name: the board works (without charts) while it is missing."""


def kinds() -> dict[str, CardKind]:
    """The kinds of card, by type, in the order the add menu offers them (chart first).

    The card modules import this one's interface, so they are loaded here, on first use.
    """
    from variosync.web.board import aggregates_card, quality_card, table_card

    found: dict[str, CardKind] = {}
    try:
        chart = importlib.import_module(CHART_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != CHART_MODULE:  # the chart card is there but something it needs is not
            raise
    else:
        found[chart.TYPE] = CardKind(chart.TYPE, chart.TITLE, chart.render)
    for module in (table_card, aggregates_card, quality_card):
        found[module.TYPE] = CardKind(module.TYPE, module.TITLE, module.render)
    return found


P = ParamSpec("P")
R = TypeVar("R")


async def off_loop(callback: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``callback``'s result, computed in a worker thread. For callbacks that return a value:
    NiceGUI answers None when the app shuts down meanwhile, and this then cancels the caller."""
    result = await run.io_bound(callback, *args, **kwargs)
    if result is None:
        raise asyncio.CancelledError
    return result
