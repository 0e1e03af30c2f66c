"""Health checks: ``/healthz`` (the process answers) and ``/readyz`` (catalog and store
reachable, with the reason when not)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from variosync.api.deps import ServicesDep
from variosync.catalog.migrate import check
from variosync.errors import ConfigError, VarioSyncError

log = logging.getLogger("variosync.api")

router = APIRouter(tags=["health"])


def _unreachable(part: str, exc: VarioSyncError) -> str:
    # /readyz answers anyone: hosts, database names, buckets and paths go to the log only
    log.warning("readyz: the %s is not ready: %s", part, exc.message)
    return f"unreachable ({exc.code}); the server log has the details"


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
    """200 when the catalog database and the store answer; 503 with the reasons otherwise.
    A configured Redis that does not answer makes the status ``degraded: redis``, still 200."""
    checks: dict[str, Any] = {}
    try:
        check(shared.service.engine)  # reachable, and migrated to this version's schema
        checks["catalog"] = "ok"
    except ConfigError as exc:  # the schema's revision: says what to run, names no host
        checks["catalog"] = f"{exc.message}: {exc.hint}"
    except VarioSyncError as exc:
        checks["catalog"] = _unreachable("catalog", exc)
    try:
        shared.service.store.check_reachable()
        checks["store"] = "ok"
    except VarioSyncError as exc:
        checks["store"] = _unreachable("store", exc)
    ready = all(v == "ok" for v in checks.values())
    status = "ready" if ready else "not ready"
    if shared.redis.configured:
        # optional: without Redis every request still succeeds, so the server stays ready
        up = shared.redis.ping()
        checks["redis"] = "ok" if up else "unreachable; working without it (per-process)"
        if ready and not up:
            status = "degraded: redis"
    return JSONResponse(
        {"status": status, "checks": checks},
        status_code=200 if ready else 503,
    )
