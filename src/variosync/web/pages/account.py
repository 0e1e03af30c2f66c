"""The account: hour balance and ledger, the hour packages, API keys (create — the secret
shown once —, revoke; audited with the client's address) and the rate limits with what is
left of them."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.api.ratelimit import signin_key
from variosync.api.throttle import role_scope
from variosync.billing import HOUR_PACKAGES, hours
from variosync.catalog.credentials import Credential
from variosync.catalog.preferences import Theme
from variosync.errors import VarioSyncError
from variosync.web.frame import Visit, enter, failed


def key_row(key: Credential, visit: Visit) -> dict[str, Any]:
    """One row of the keys table (never the secret: it is not stored)."""
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix + "…",
        "created": visit.when(key.created_at),
        "used": visit.when(key.last_used_at) if key.last_used_at else "never",
        "state": "revoked" if key.revoked_at is not None else "active",
    }


def register(api: FastAPI) -> None:
    """The account page."""

    @ui.page("/account", title="Account · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Account")
        if isinstance(visit, RedirectResponse):
            return visit
        _preferences(visit)
        await _hours(visit)
        await _keys(visit)
        await _limits(visit)
        return None


def _preferences(visit: Visit) -> None:
    """Theme and display time zone, saved with the account (every browser, every replica)."""
    store = visit.shared.accounts.preferences
    user_id = visit.user.id

    async def save(theme: str | None = None, time_zone: str | None = None) -> None:
        try:
            await run.io_bound(lambda: store.update(user_id, theme=theme, time_zone=time_zone))
        except VarioSyncError as exc:
            ui.notify(f"Not saved: {exc.message}", type="negative")
            return
        ui.notify("Saved — pages show it from now on")

    async def theme(value: str) -> None:
        await save(theme=value)
        ui.dark_mode({"light": False, "dark": True}.get(value))

    with ui.row().classes("items-center gap-4"):
        ui.select(
            {t.value: t.value.capitalize() for t in Theme},
            value=visit.preferences.theme.value,
            label="Theme",
            on_change=lambda event: theme(str(event.value)),
        ).classes("w-40").mark("theme")
        ui.select(
            sorted(available_timezones()),
            value=visit.preferences.time_zone,
            label="Time zone (times are stored in UTC)",
            with_input=True,
            on_change=lambda event: save(time_zone=str(event.value)),
        ).classes("w-72").mark("time-zone")


async def _hours(visit: Visit) -> None:
    principal = visit.principal
    ledger = visit.shared.accounts.ledger
    balance = await run.io_bound(ledger.balance_ms, principal.user.id) or 0
    entries = await run.io_bound(ledger.entries, principal.user.id, limit=20) or []
    ui.label(f"Balance: {hours(balance):.3f} hours").classes("text-lg").mark("balance")
    packages = ", ".join(f"{h} h" for h in HOUR_PACKAGES)
    ui.label(f"Hour packages: {packages} — ask an administrator for hours (no payment yet)")
    columns = [
        {"name": "at", "label": "When", "field": "at", "align": "left"},
        {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
        {"name": "hours", "label": "Hours", "field": "hours"},
        {"name": "what", "label": "Operation", "field": "what", "align": "left"},
    ]
    rows = [
        {
            "at": visit.when(e.created_at),
            "kind": e.kind.value,
            "hours": round(hours(e.amount_ms), 4),
            "what": f"{e.operation} {e.target}".strip(),
        }
        for e in entries
    ]
    ui.table(columns=columns, rows=rows, title="Ledger (newest first)").classes("w-full").mark(
        "ledger"
    )


async def _keys(visit: Visit) -> None:
    principal = visit.principal
    accounts = visit.shared.accounts
    columns = [
        {"name": "name", "label": "Name", "field": "name", "align": "left"},
        {"name": "prefix", "label": "Key", "field": "prefix", "align": "left"},
        {"name": "created", "label": "Created", "field": "created", "align": "left"},
        {"name": "used", "label": "Last used", "field": "used", "align": "left"},
        {"name": "state", "label": "State", "field": "state", "align": "left"},
        {"name": "actions", "label": "", "field": "id"},
    ]
    table = ui.table(columns=columns, rows=[], row_key="id", title="API keys").classes("w-full")
    table.mark("keys")
    table.add_slot(
        "body-cell-actions",
        '<q-td :props="props"><q-btn v-if="props.row.state === \'active\'" flat dense '
        'icon="block" @click="$parent.$emit(\'revoke\', props.row.id)" /></q-td>',
    )

    async def refresh() -> None:
        found = await run.io_bound(accounts.keys, principal.user) or []
        table.rows = [key_row(k, visit) for k in found]
        table.update()

    making = [False]  # a key is being made: a double click's second click makes none

    async def create() -> None:
        if making[0]:
            return
        making[0] = True
        try:
            await _create()
        finally:
            making[0] = False

    async def _create() -> None:
        try:
            actions = await visit.act()
            made = await run.io_bound(
                accounts.create_key, actions.user, name.value or "dashboard", visit.client_ip
            )
        except VarioSyncError as exc:
            failed("No key made", exc)
            return
        if made is None:
            return
        secret = made[1]
        with ui.dialog() as dialog, ui.card():
            ui.label("Your new API key — copy it now, it is not shown again:")
            ui.input(value=secret).props("readonly").classes("w-96").mark("new-secret")
            with ui.row():
                ui.button("Copy", on_click=lambda: ui.clipboard.write(secret))
                ui.button("Done", on_click=dialog.close).mark("done")
        dialog.open()
        name.value = ""
        await refresh()

    async def revoke(key_id: str) -> None:
        try:
            actions = await visit.act()
            await run.io_bound(accounts.revoke_key, actions.user, key_id, visit.client_ip)
        except VarioSyncError as exc:
            failed("Not revoked", exc)
            return
        await refresh()
        ui.notify("Key revoked")

    with ui.row().classes("items-center"):
        name = ui.input("New key's name").mark("key-name")
        ui.button("Create API key", on_click=create).mark("create-key")
    table.on("revoke", lambda event: revoke(str(event.args)))
    await refresh()


async def _limits(visit: Visit) -> None:
    principal = visit.principal
    limiter = visit.shared.limiter
    budgets = await limiter.status(role_scope(principal.user), principal.user.id)
    signin = await limiter.left("user", signin_key(principal.user.email), "auth")
    rows = [
        {"budget": b.name, "limit": f"{b.limit} per {b.window_s} s", "left": b.remaining}
        for b in ([signin] if signin else []) + budgets
    ]
    where = "shared by every server (Redis)" if limiter.backend() == "redis" else "this server"
    columns = [
        {"name": "budget", "label": "Budget", "field": "budget", "align": "left"},
        {"name": "limit", "label": "Limit", "field": "limit", "align": "left"},
        {"name": "left", "label": "Left now", "field": "left"},
    ]
    title = f"Rate limits of this account ({where})"
    if not limiter.enabled:
        title = "Rate limits are off on this server"
        rows = []
    ui.table(columns=columns, rows=rows, title=title).classes("w-full").mark("limits")
