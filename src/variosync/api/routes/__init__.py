"""Route modules, one per resource; ``ROUTERS`` are mounted under ``/api/v1``."""

from fastapi import APIRouter

from variosync.api.routes import account, admin, auth, data, datasets, events, upload

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    account.router,
    datasets.router,
    upload.router,
    data.router,
    admin.router,
    events.router,
)

__all__ = ["ROUTERS"]
