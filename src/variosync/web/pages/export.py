"""The export page (being built)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui

from variosync.web.frame import enter


def register(api: FastAPI) -> None:
    """The export page."""

    @ui.page("/export", title="Export · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Export")
        if isinstance(visit, RedirectResponse):
            return visit
        return None
