"""The upload page (being built)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui

from variosync.web.frame import enter


def register(api: FastAPI) -> None:
    """The upload page."""

    @ui.page("/upload", title="Upload · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Upload")
        if isinstance(visit, RedirectResponse):
            return visit
        return None
