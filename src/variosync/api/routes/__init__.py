"""Route modules, one per resource; ``ROUTERS`` are mounted under ``/api/v1``."""

from fastapi import APIRouter

from variosync.api.routes import auth

ROUTERS: tuple[APIRouter, ...] = (auth.router,)

__all__ = ["ROUTERS"]
