"""The frame every page shares: the header with navigation, who is signed in, sign-out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from variosync.accounts import Principal

PAGES = (("Datasets", "/"),)


def frame(title: str, principal: Principal, on_sign_out: Callable[[], Awaitable[None]]) -> None:
    """The header and the page's title."""
    with ui.header().classes("items-center gap-4"):
        ui.label("VarioSync").classes("text-lg font-bold")
        for name, path in PAGES:
            ui.link(name, path).classes("text-white")
        ui.space()
        ui.label(principal.user.email)
        ui.button("Sign out", on_click=on_sign_out).props("flat color=white")
    ui.label(title).classes("text-2xl")
