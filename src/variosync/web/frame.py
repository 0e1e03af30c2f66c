"""The frame every page shares: the sign-in guard, the header with navigation (Admin only for
administrators), who is signed in, the theme, and sign-out — and ``Visit``, what a page knows
about who is looking: the user, their preferences (time zone, theme), their address, and the
actions they may take."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from nicegui import background_tasks, run, ui

from variosync.accounts import Principal
from variosync.api.actions import Actions
from variosync.api.clientip import client_address, trusted_networks
from variosync.api.deps import Services
from variosync.api.ratelimit import client_key
from variosync.api.throttle import UNKNOWN_CLIENT, role_scope
from variosync.catalog.preferences import Preferences, Theme
from variosync.catalog.users import Role, User
from variosync.errors import AuthError, VarioSyncError
from variosync.events import Event
from variosync.service import Variosync
from variosync.web.session import services, sign_out, signed_in

SIGNIN = "/signin"
PAGES = (
    ("Datasets", "/", "storage"),
    ("Upload", "/upload", "upload_file"),
    ("Explore", "/explore", "insights"),
    ("Clean", "/clean", "cleaning_services"),
    ("History", "/history", "history"),
    ("Export", "/export", "download"),
    ("Account", "/account", "person"),
)
ADMIN = ("Admin", "/admin", "admin_panel_settings")
RECHECK_S = 5.0
"""How often an open page checks that its session still signs the user in."""
Budget = Literal["auth", "upload", "query", "export", "other"]


def request_ip(api: FastAPI, request: Request) -> str | None:
    """The client address of a page request, through the trusted proxies as the API sees it."""
    peer = request.client.host if request.client else None
    networks = trusted_networks(services(api).settings.trusted_proxies)
    return client_address(peer, request.headers.raw, networks)


@dataclass(frozen=True)
class Visit:
    """A signed-in user's view of one page."""

    api: FastAPI
    principal: Principal
    preferences: Preferences
    client_ip: str | None

    @property
    def user(self) -> User:
        """Who is signed in."""
        return self.principal.user

    @property
    def shared(self) -> Services:
        """The app's services."""
        return services(self.api)

    @property
    def mine(self) -> Variosync:
        """The facade that sees only this user's datasets (reads)."""
        return self.shared.service.as_owner(self.user.id)

    async def act(self, budget: Budget = "other") -> Actions:
        """What the user may do now, metered, audited and announced like the API's routes —
        after checking again that their session still signs them in (a page stays open after
        a sign-out or a disabled account elsewhere: it must not keep their power) and spending
        one request of ``budget`` from the account's and the address's rate limits, as the
        API would. Signed out: back to the sign-in page, and AuthError."""
        principal = await signed_in(self.api)
        if principal is None or principal.user.id != self.user.id:
            ui.navigate.to(SIGNIN)
            raise AuthError("you are signed out", hint="sign in again")
        limiter = self.shared.limiter
        await limiter.charge("ip", client_key(self.client_ip or UNKNOWN_CLIENT), budget)
        await limiter.charge(role_scope(principal.user), principal.user.id, budget)
        return Actions(self.shared, principal.user, self.client_ip)

    @property
    def zone(self) -> ZoneInfo:
        """The user's display time zone."""
        return ZoneInfo(self.preferences.time_zone)

    def when(self, moment: datetime | None, seconds: bool = False) -> str:
        """A time (stored in UTC) in the user's zone, or an em dash for none."""
        if moment is None:
            return "—"
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        shown = moment.astimezone(self.zone)
        return f"{shown:%Y-%m-%d %H:%M:%S}" if seconds else f"{shown:%Y-%m-%d %H:%M}"

    def follow(self, handler: Callable[[Event], Awaitable[None]]) -> None:
        """Call ``handler`` for each of the user's events (a change made in another tab, the
        CLI or the API) while this page is open; stops when the page's client goes away."""
        client = ui.context.client
        bus = self.shared.events
        owner = self.user.id

        async def listen() -> None:
            async with bus.subscribe(owner) as events:
                async for event in events:
                    if client.id not in client.instances:
                        return
                    with client:
                        await handler(event)

        task = background_tasks.create(listen(), name=f"follow-{client.id}")
        client.on_delete(task.cancel)


def failed(what: str, exc: VarioSyncError) -> None:
    """Tell the user what went wrong doing ``what`` and how to fix it (a notification)."""
    hint = f" ({exc.hint})" if exc.hint else ""
    ui.notify(f"{what}: {exc.message}{hint}", type="negative")


async def enter(api: FastAPI, title: str) -> Visit | RedirectResponse:
    """The page's visit, with the header and title drawn; or, signed out, the redirect to the
    sign-in page (for the page to return)."""
    principal = await signed_in(api)
    if principal is None:
        return RedirectResponse(SIGNIN)
    request = ui.context.client.request
    store = services(api).accounts.preferences
    preferences = await run.io_bound(store.get, principal.user.id) or Preferences()
    visit = Visit(api, principal, preferences, request_ip(api, request))
    dark = {Theme.AUTO: None, Theme.LIGHT: False, Theme.DARK: True}[preferences.theme]
    ui.dark_mode(dark)

    async def leave() -> None:
        await sign_out(api)
        ui.navigate.to(SIGNIN)

    async def recheck() -> None:
        if await signed_in(api) is None:  # signed out, disabled or expired elsewhere
            ui.navigate.to(SIGNIN)

    ui.timer(RECHECK_S, recheck)
    pages = PAGES + ((ADMIN,) if principal.user.role == Role.ADMIN else ())
    with ui.header().classes("items-center gap-4"):
        ui.label("VarioSync").classes("text-lg font-bold")
        for name, path, icon in pages:
            with ui.link(target=path).classes("text-white no-underline flex items-center gap-1"):
                ui.icon(icon)
                ui.label(name)
        ui.space()
        ui.label(principal.user.email)
        ui.button("Sign out", on_click=leave).props("flat color=white")
    ui.label(title).classes("text-2xl")
    return visit
