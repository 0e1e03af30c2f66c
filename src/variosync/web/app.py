"""``create_web_app(settings)``: the REST API with the dashboard's pages mounted at ``/``.

NiceGUI keeps its pages and middleware on one global app, so this is called once per process
(``variosync serve``); ``create_app`` stays the REST API alone. Per-user state lives in the
signed-in user's storage (``app.storage.user``: only their session token, sealed) and the catalog —
never in module globals.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from variosync.api import create_app
from variosync.errors import ConfigError
from variosync.settings import Settings
from variosync.web.download import PREFIX as DOWNLOADS
from variosync.web.upload_limit import UploadLimit

SECRET_FILE = "dashboard.secret"  # noqa: S105 - a file name, not a secret
MIN_SECRET = 32


def storage_secret(settings: Settings) -> str:
    """The key that signs dashboard session cookies (and seals their tokens):
    ``VARIOSYNC_SESSION_SECRET`` (give every replica the same; at least 32 characters), else one
    made once and kept (0600) in the home folder. The file appears whole or not at all (written
    aside, then linked into place), so workers starting together agree on one secret."""
    if settings.session_secret is not None:
        given = settings.session_secret.get_secret_value()
        if len(given) < MIN_SECRET:
            raise ConfigError(
                f"VARIOSYNC_SESSION_SECRET is shorter than {MIN_SECRET} characters",
                hint="python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        return given
    path = Path(settings.home) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            kept = path.read_text().strip()
        except FileNotFoundError:
            kept = ""
        if len(kept) >= MIN_SECRET:
            return kept
        _write_secret(path, replace=path.exists())  # missing, or left empty by a crash
    raise ConfigError(f"cannot keep the dashboard's secret in {path}", hint="check the folder")


def _write_secret(path: Path, replace: bool) -> None:
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            aside.replace(path)
        else:
            with contextlib.suppress(FileExistsError):  # another worker's came first: keep it
                os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def token_cipher(secret: str) -> Fernet:
    """The key that seals the session token in the user's dashboard storage (a file under the
    home, or wherever NiceGUI keeps it): without the secret, a copy of that file signs no one
    in."""
    digest = hashlib.sha256(b"variosync dashboard session token\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class PagesGzip(GZipMiddleware):
    """NiceGUI's compression of its pages, minus the export downloads: a file is sent as it
    is written (already compressed when asked, or Parquet/Arrow that hardly shrinks)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(DOWNLOADS):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


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
        gzip_middleware_factory=PagesGzip,
    )
    return api
