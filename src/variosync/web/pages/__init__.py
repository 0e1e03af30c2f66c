"""The dashboard's pages, one module each; ``register`` adds them all to NiceGUI."""

from __future__ import annotations

from fastapi import FastAPI

from variosync.web.pages import (
    account,
    admin,
    clean,
    datasets,
    explore,
    export,
    history,
    signin,
    upload,
)


def register(api: FastAPI) -> None:
    """Register every page; they reach the app's services through ``api``."""
    signin.register(api)
    datasets.register(api)
    upload.register(api)
    explore.register(api)
    clean.register(api)
    history.register(api)
    export.register(api)
    account.register(api)
    admin.register(api)


__all__ = ["register"]
