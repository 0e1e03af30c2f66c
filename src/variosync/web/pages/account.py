"""The account: hour balance and ledger, the hour packages, API keys (create — the secret
shown once —, revoke) and the rate limits with what is left of them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from variosync.accounts import Principal
from variosync.api.ratelimit import signin_key
from variosync.api.throttle import role_scope
from variosync.billing import HOUR_PACKAGES, hours
from variosync.catalog.credentials import Credential
from variosync.web.frame import enter
from variosync.web.session import services


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "never"


def key_row(key: Credential) -> dict[str, Any]:
    """One row of the keys table (never the secret: it is not stored)."""
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix + "…",
        "created": _when(key.created_at),
        "used": _when(key.last_used_at),
        "state": "revoked" if key.revoked_at is not None else "active",
    }


def register(api: FastAPI) -> None:
    """The account page."""

    @ui.page("/account", title="Account · VarioSync")
    async def page() -> RedirectResponse | None:
        principal = await enter(api, "Account")
        if isinstance(principal, RedirectResponse):
            return principal
        await _hours(api, principal)
        await _keys(api, principal)
        await _limits(api, principal)
        return None


async def _hours(api: FastAPI, principal: Principal) -> None:
    ledger = services(api).accounts.ledger
    balance = await run.io_bound(ledger.balance_ms, principal.user.id) or 0
    entries = await run.io_bound(ledger.entries, principal.user.id, limit=20) or []
    ui.label(f"Balance: {hours(balance):.3f} hours").classes("text-lg").mark("balance")
    packages = ", ".join(f"{h} h" for h in HOUR_PACKAGES)
    ui.label(f"Hour packages: {packages} — ask an administrator for hours (no payment yet)")
    columns = [
        {"name": "at", "label": "When (UTC)", "field": "at", "align": "left"},
        {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
        {"name": "hours", "label": "Hours", "field": "hours"},
        {"name": "what", "label": "Operation", "field": "what", "align": "left"},
    ]
    rows = [
        {
            "at": _when(e.created_at),
            "kind": e.kind.value,
            "hours": round(hours(e.amount_ms), 4),
            "what": f"{e.operation} {e.target}".strip(),
        }
        for e in entries
    ]
    ui.table(columns=columns, rows=rows, title="Ledger (newest first)").classes("w-full").mark(
        "ledger"
    )


async def _keys(api: FastAPI, principal: Principal) -> None:
    accounts = services(api).accounts
    columns = [
        {"name": "name", "label": "Name", "field": "name", "align": "left"},
        {"name": "prefix", "label": "Key", "field": "prefix", "align": "left"},
        {"name": "created", "label": "Created (UTC)", "field": "created", "align": "left"},
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
        table.rows = [key_row(k) for k in found]
        table.update()

    async def create() -> None:
        made = await run.io_bound(accounts.create_key, principal.user, name.value or "dashboard")
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
        await run.io_bound(accounts.revoke_key, principal.user, key_id)
        await refresh()
        ui.notify("Key revoked")

    with ui.row().classes("items-center"):
        name = ui.input("New key's name").mark("key-name")
        ui.button("Create API key", on_click=create).mark("create-key")
    table.on("revoke", lambda event: revoke(str(event.args)))
    await refresh()


async def _limits(api: FastAPI, principal: Principal) -> None:
    limiter = services(api).limiter
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
