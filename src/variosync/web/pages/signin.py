"""Sign-in with a built-in account (email and password)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from nicegui import ui

from variosync.errors import VarioSyncError
from variosync.web.frame import SIGNIN, request_ip
from variosync.web.session import sign_in


def register(api: FastAPI) -> None:
    """The sign-in page."""

    @ui.page(SIGNIN, title="Sign in · VarioSync")
    def page(request: Request) -> None:
        client_ip = request_ip(api, request)
        with ui.card().classes("absolute-center w-96"):
            ui.label("Welcome to VarioSync").classes("text-xl")
            email = ui.input("Email").props("autocomplete=username").classes("w-full")
            password = ui.input("Password", password=True).props("autocomplete=current-password")
            password.classes("w-full")

            async def submit() -> None:
                try:
                    await sign_in(api, email.value or "", password.value or "", client_ip)
                except VarioSyncError as exc:
                    ui.notify(f"Sign-in failed: {exc.message}", type="negative")
                    return
                ui.navigate.to("/")

            password.on("keydown.enter", submit)
            ui.button("Sign in", on_click=submit).classes("w-full").mark("sign-in")
