"""``create_app(settings)``: the FastAPI application of ``variosync serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from variosync import __version__
from variosync.accounts import Accounts
from variosync.accounts.supabase import SupabaseVerifier
from variosync.api import errors
from variosync.api.clientip import trusted_networks
from variosync.api.deps import Services
from variosync.api.ratelimit import Policy, RateLimiter
from variosync.api.routes import ROUTERS, health
from variosync.api.throttle import RateLimitMiddleware
from variosync.billing import Meter
from variosync.cache import ResultCache
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.events import EventBus
from variosync.redis_link import RedisLink
from variosync.service import Variosync
from variosync.settings import Settings

API_PREFIX = "/api/v1"


def build_services(settings: Settings) -> Services:
    """Open the catalog (refusing an unmigrated PostgreSQL schema) and the store."""
    engine = Variosync(settings)
    link = RedisLink(settings.redis_url, settings.redis_retry_s)
    accounts = Accounts(
        engine.engine,
        timedelta(hours=settings.session_hours),
        round(settings.signup_hours * MS_PER_HOUR),
        link,
    )
    return Services(
        settings=settings,
        service=engine,
        accounts=accounts,
        meter=Meter(accounts.ledger, accounts.audit, settings.enforce_payment),
        supabase=SupabaseVerifier(settings),
        redis=link,
        events=EventBus(link),
        cache=ResultCache(link, settings),
        limiter=RateLimiter(Policy.from_settings(settings), link, settings.rate_limits_enabled),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The REST API over one settings object; nothing connects until the app starts."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        shared = await run_in_threadpool(build_services, settings)
        app.state.services = shared
        try:
            yield
        finally:
            shared.service.close()
            await shared.redis.aclose()
            shared.redis.close()

    app = FastAPI(
        title="VarioSync",
        version=__version__,
        summary="Time-series datasets: upload, query, aggregate, export; accounts and hours.",
        lifespan=lifespan,
    )
    errors.install(app)
    # bad limits or proxy ranges fail here, before `serve` binds its port
    Policy.from_settings(settings)
    app.add_middleware(
        RateLimitMiddleware, prefix=API_PREFIX, proxies=trusted_networks(settings.trusted_proxies)
    )
    app.include_router(health.router)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    return app
