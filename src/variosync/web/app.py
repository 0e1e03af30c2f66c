"""``create_web_app(settings)``: the REST API with the dashboard's pages mounted at ``/``.

NiceGUI keeps its pages and middleware on one global app, so this is called once per process
(``variosync serve``); ``create_app`` stays the REST API alone. Per-user state lives in the
signed-in user's storage (``app.storage.user``: only their session token) and the catalog —
never in module globals.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI

from variosync.api import create_app
from variosync.settings import Settings

SECRET_FILE = "dashboard.secret"  # noqa: S105 - a file name, not a secret


def storage_secret(settings: Settings) -> str:
    """The key that signs dashboard session cookies: ``VARIOSYNC_SESSION_SECRET`` (give every
    replica the same), else one made once and kept (0600) in the home folder."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = Path(settings.home) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def create_web_app(settings: Settings | None = None) -> FastAPI:
    """The REST API (``/api/v1``, ``/docs``) and the dashboard on one app."""
    settings = settings or Settings()
    # NiceGUI reads where to keep per-user storage when it is first imported
    os.environ.setdefault("NICEGUI_STORAGE_PATH", str(Path(settings.home) / "dashboard"))
    from nicegui import ui

    from variosync.web.pages import register

    api = create_app(settings)
    register(api)
    ui.run_with(
        api,
        mount_path="/",
        storage_secret=storage_secret(settings),
        title="VarioSync",
        show_welcome_message=False,
    )
    return api
