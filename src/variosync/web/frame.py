"""The frame every page shares: the sign-in guard, the header with navigation, who is signed
in, and sign-out."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui

from variosync.accounts import Principal
from variosync.web.session import sign_out, signed_in

SIGNIN = "/signin"
PAGES = (("Datasets", "/"), ("Account", "/account"))


async def enter(api: FastAPI, title: str) -> Principal | RedirectResponse:
    """The page's principal, with the header and title drawn; or, signed out, the redirect
    to the sign-in page (for the page to return)."""
    principal = await signed_in(api)
    if principal is None:
        return RedirectResponse(SIGNIN)

    async def leave() -> None:
        await sign_out(api)
        ui.navigate.to(SIGNIN)

    with ui.header().classes("items-center gap-4"):
        ui.label("VarioSync").classes("text-lg font-bold")
        for name, path in PAGES:
            ui.link(name, path).classes("text-white")
        ui.space()
        ui.label(principal.user.email)
        ui.button("Sign out", on_click=leave).props("flat color=white")
    ui.label(title).classes("text-2xl")
    return principal
