"""Health checks: ``/healthz`` (the process answers) and ``/readyz`` (catalog and store
reachable, with the reason when not)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from variosync.api.deps import ServicesDep
from variosync.catalog.migrate import check
from variosync.errors import VarioSyncError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the process serves requests."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Catalog and store are reachable",
    responses={503: {"description": "Not ready; `checks` says which part and why"}},
)
def readyz(shared: ServicesDep) -> JSONResponse:
    """200 when the catalog database and the store answer; 503 with the reasons otherwise."""
    checks: dict[str, Any] = {}
    try:
        check(shared.service.engine)  # reachable, and migrated to this version's schema
        checks["catalog"] = "ok"
    except VarioSyncError as exc:
        checks["catalog"] = exc.message
    try:
        shared.service.store.check_reachable()
        checks["store"] = "ok"
    except VarioSyncError as exc:
        checks["store"] = exc.message
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )
