"""The dashboard's pages, one module each; ``register`` adds them all to NiceGUI."""

from __future__ import annotations

from fastapi import FastAPI

from variosync.web.pages import account, datasets, signin


def register(api: FastAPI) -> None:
    """Register every page; they reach the app's services through ``api``."""
    signin.register(api)
    datasets.register(api)
    account.register(api)


__all__ = ["register"]
