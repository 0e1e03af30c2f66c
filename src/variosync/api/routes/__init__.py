"""Route modules, one per resource; ``ROUTERS`` are mounted under ``/api/v1``."""

from fastapi import APIRouter

from variosync.api.routes import account, admin, auth, data, datasets, upload

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    account.router,
    datasets.router,
    upload.router,
    data.router,
    admin.router,
)

__all__ = ["ROUTERS"]
