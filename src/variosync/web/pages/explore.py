"""The explore page (being built)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui

from variosync.web.frame import enter


def register(api: FastAPI) -> None:
    """The explore page."""

    @ui.page("/explore", title="Explore · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Explore")
        if isinstance(visit, RedirectResponse):
            return visit
        return None
