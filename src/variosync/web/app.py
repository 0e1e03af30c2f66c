"""``create_web_app(settings)``: the REST API with the dashboard's pages mounted at ``/``.

NiceGUI keeps its pages and middleware on one global app, so this is called once per process
(``variosync serve``); ``create_app`` stays the REST API alone. Per-user state lives in the
signed-in user's storage (``app.storage.user``: only their session token, sealed) and the catalog —
never in module globals.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from fastapi import FastAPI

from variosync.api import create_app
from variosync.settings import Settings
from variosync.web.upload_limit import UploadLimit

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


def token_cipher(secret: str) -> Fernet:
    """The key that seals the session token in the user's dashboard storage (a file under the
    home, or wherever NiceGUI keeps it): without the secret, a copy of that file signs no one
    in."""
    digest = hashlib.sha256(b"variosync dashboard session token\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def create_web_app(settings: Settings | None = None) -> FastAPI:
    """The REST API (``/api/v1``, ``/docs``) and the dashboard on one app."""
    settings = settings or Settings()
    from nicegui import ui
    from nicegui.storage import Storage

    # per-user storage (the sealed session token) in the home, readable by its owner only
    folder = Path(settings.home) / "dashboard"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    Storage.path = folder

    from variosync.web.pages import register

    api = create_app(settings)
    secret = storage_secret(settings)
    api.state.dashboard_cipher = token_cipher(secret)
    api.add_middleware(UploadLimit, limit=settings.upload_max_bytes)
    register(api)
    ui.run_with(
        api,
        mount_path="/",
        storage_secret=secret,
        title="VarioSync",
        show_welcome_message=False,
    )
    return api
