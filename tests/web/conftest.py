"""The whole app (REST API and dashboard) driven by NiceGUI's simulated browser (``User``), its
lifespan included, over a fresh home per test."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import pytest_asyncio
from nicegui import ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing import User
from nicegui.testing.general import nicegui_reset_globals

from variosync.api.deps import Services
from variosync.settings import Settings
from variosync.web import create_web_app

PASSWORD = "correct horse battery"
SEEN = 40
"""Retries of ``should_see`` (0.1 s each): a sign-in hashes with argon2 off the event loop."""


@contextmanager
def _restored(modules: dict[str, ModuleType]) -> Iterator[None]:
    """Put our modules back afterwards: NiceGUI's reset drops the modules of every page from
    ``sys.modules``, and a later import would make second copies of them (and of their
    parents, the whole ``variosync`` package) — other exception classes, other globals."""
    try:
        yield
    finally:
        sys.modules.update(modules)


@pytest.fixture
def web_settings() -> dict[str, Any]:
    """Settings of the app under test beyond the defaults (a test module overrides this)."""
    return {}


@pytest_asyncio.fixture
async def web(tmp_path: Path, web_settings: dict[str, Any]) -> AsyncIterator[tuple[User, Services]]:
    """A simulated browser on a new app, and the app's services (to arrange accounts)."""
    ours = {name: module for name, module in sys.modules.items() if name.startswith("variosync")}
    with _restored(ours), nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            api = create_web_app(Settings(home=tmp_path / "home", signup_hours=0.0, **web_settings))
            async with api.router.lifespan_context(api):
                transport = httpx.ASGITransport(api)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                    yield User(http), api.state.services
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate, ui.notify, ui.download = Navigate(), notify, download
