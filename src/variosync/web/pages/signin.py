"""Sign-in with a built-in account (email and password)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from nicegui import ui

from variosync.errors import VarioSyncError
from variosync.web.frame import SIGNIN, request_ip
from variosync.web.session import sign_in, sign_in_supabase, supabase_enabled


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

            via = None
            if supabase_enabled(api):
                via = ui.toggle({"local": "VarioSync account", "supabase": "Supabase account"})
                via.value = "local"
                via.classes("w-full").mark("account-kind")

            async def submit() -> None:
                how = sign_in_supabase if via is not None and via.value == "supabase" else sign_in
                try:
                    await how(api, email.value or "", password.value or "", client_ip)
                except VarioSyncError as exc:
                    ui.notify(f"Sign-in failed: {exc.message}", type="negative")
                    return
                ui.navigate.to("/")

            password.on("keydown.enter", submit)
            ui.button("Sign in", on_click=submit).classes("w-full").mark("sign-in")
