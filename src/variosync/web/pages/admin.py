"""The admin page (being built)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui

from variosync.web.frame import enter


def register(api: FastAPI) -> None:
    """The admin page."""

    @ui.page("/admin", title="Admin · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Admin")
        if isinstance(visit, RedirectResponse):
            return visit
        return None
