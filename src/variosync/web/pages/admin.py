"""Administration (administrators only; others are told so and shown nothing): every account
with its role, state, creation time and hour balance — what ``GET /api/v1/admin/users`` lists —
hour grants (a package or an amount), disabling and enabling accounts after a confirmation, the
audit log (newest first, by user and action, a page at a time) and the query cache's counters.
Every change goes through the same ``Accounts`` methods as the REST routes, audited with the
administrator as the actor. One change at a time: while a change's dialog is open or it runs,
further clicks (a double click) do nothing; a grant carries an idempotency key made once, when
it is confirmed, so it is never added twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from pydantic import ValidationError

from variosync.api.accounts_schemas import Grant, UserBalanceOut
from variosync.billing import HOUR_PACKAGES
from variosync.catalog.audit import AuditEvent
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.catalog.users import User
from variosync.errors import VarioSyncError
from variosync.web.frame import Visit, enter, failed

AUDIT_PAGE = 25
"""Audit events shown at once."""
ANYONE = ""

USER_COLUMNS: list[dict[str, Any]] = [
    {"name": "email", "label": "Email", "field": "email", "sortable": True, "align": "left"},
    {"name": "role", "label": "Role", "field": "role", "sortable": True, "align": "left"},
    {"name": "state", "label": "State", "field": "state", "align": "left"},
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "balance", "label": "Balance (h)", "field": "balance", "sortable": True},
    {"name": "actions", "label": "", "field": "id"},
]
AUDIT_COLUMNS: list[dict[str, Any]] = [
    {"name": "at", "label": "When", "field": "at", "align": "left"},
    {"name": "who", "label": "Who", "field": "who", "align": "left"},
    {"name": "action", "label": "Action", "field": "action", "align": "left"},
    {"name": "target", "label": "Target", "field": "target", "align": "left"},
    {"name": "ip", "label": "Client IP", "field": "ip", "align": "left"},
    {"name": "detail", "label": "Detail", "field": "detail", "align": "left"},
]
_ACTIONS_SLOT = (
    '<q-td :props="props">'
    '<q-btn flat dense icon="add_card" @click="$parent.$emit(\'grant\', props.row.id)" />'
    '<q-btn v-if="!props.row.self && !props.row.disabled" flat dense icon="block" '
    "@click=\"$parent.$emit('disable', props.row.id)\" />"
    '<q-btn v-if="props.row.disabled" flat dense icon="check_circle" '
    "@click=\"$parent.$emit('enable', props.row.id)\" />"
    "</q-td>"
)


def roster(visit: Visit) -> list[UserBalanceOut]:
    """Every account, oldest first, with its balance: the API's ``GET /admin/users``."""
    accounts = visit.shared.accounts
    balances = accounts.ledger.balances()
    return [UserBalanceOut.with_balance(u, balances.get(u.id, 0)) for u in accounts.users.list()]


def user_row(account: UserBalanceOut, visit: Visit) -> dict[str, Any]:
    """One row of the accounts table, its creation time in the admin's zone."""
    return {
        "id": account.id,
        "email": account.email,
        "role": account.role.value,
        "state": "disabled" if account.disabled else "active",
        "disabled": account.disabled,
        "created": visit.when(account.created_at),
        "balance": round(account.balance_hours, 3),
        "self": account.id == visit.user.id,
    }


def audit_row(event: AuditEvent, emails: dict[str, str], visit: Visit) -> dict[str, Any]:
    """One row of the audit table: accounts by email where known, the time in the admin's
    zone."""
    who = "system" if event.user_id is None else emails.get(event.user_id, event.user_id)
    return {
        "id": event.id,
        "at": visit.when(event.at, seconds=True),
        "who": who,
        "action": event.action,
        "target": emails.get(event.target, event.target),
        "ip": event.client_ip or "",
        "detail": json.dumps(event.detail, sort_keys=True) if event.detail else "",
    }


def register(api: FastAPI) -> None:
    """The admin page."""

    @ui.page("/admin", title="Admin · VarioSync")
    async def page() -> RedirectResponse | None:
        visit = await enter(api, "Admin")
        if isinstance(visit, RedirectResponse):
            return visit
        if not visit.user.is_admin:
            ui.label("Administrators only: this page needs an administrator account.").mark(
                "admins-only"
            )
            return None
        await _admin(visit)
        return None


async def _confirmed(question: str, action: str, marker: str) -> bool:
    with ui.dialog() as dialog, ui.card():
        ui.label(question)
        with ui.row():
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).mark(f"cancel-{marker}")
            confirm = ui.button(action, on_click=lambda: dialog.submit(True))
            confirm.props("color=negative").mark(f"confirm-{marker}")
    answer = await dialog
    dialog.delete()
    return answer is True


async def _hours_to_grant(email: str) -> float | None:
    """The hours the admin chose for ``email`` (a package, or an amount typed), or None."""
    with ui.dialog() as dialog, ui.card():
        ui.label(f"Grant hours to {email}")
        package = ui.toggle({h: f"{h} h" for h in HOUR_PACKAGES}, value=HOUR_PACKAGES[0])
        package.mark("grant-package")
        amount = ui.number("…or an amount of hours", min=0).mark("grant-amount")
        with ui.row():
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).mark("cancel-grant")
            ui.button("Grant", on_click=lambda: dialog.submit(amount.value or package.value)).mark(
                "confirm-grant"
            )
    chosen = await dialog
    dialog.delete()
    return None if chosen is None else float(chosen)


async def _admin(visit: Visit) -> None:
    accounts = visit.shared.accounts
    ip = visit.client_ip
    emails: dict[str, str] = {}

    users = ui.table(columns=USER_COLUMNS, rows=[], row_key="id", title="Accounts")
    users.classes("w-full").mark("users")
    users.add_slot("body-cell-actions", _ACTIONS_SLOT)

    ui.label("Audit log (newest first)").classes("text-lg")
    with ui.row().classes("items-end gap-2"):
        who = ui.select({ANYONE: "anyone"}, value=ANYONE, label="User", with_input=True)
        who.classes("w-64").mark("audit-user")
        action = ui.input("Action (e.g. grant, login, export)").props("clearable debounce=300")
        action.classes("w-64").mark("audit-action")
        earlier = ui.button("Newer", icon="chevron_left").props("flat").mark("audit-newer")
        shown = ui.label("").mark("audit-page")
        later = ui.button("Older", icon="chevron_right").props("flat").mark("audit-older")
    log = ui.table(columns=AUDIT_COLUMNS, rows=[], row_key="id").classes("w-full").mark("audit")
    cache = ui.label("").classes("text-sm").mark("cache")
    offset = [0]
    busy = [False]  # a change's dialog is open or it runs

    async def alone(change: Callable[[], Awaitable[None]]) -> None:
        """Make ``change`` unless another is open or running (the second click of a double
        click): the flag is set before the first ``await``, so that click finds it set."""
        if busy[0]:
            return
        busy[0] = True
        try:
            await change()
        finally:
            busy[0] = False

    async def listed() -> None:
        found = await run.io_bound(roster, visit) or []
        emails.clear()
        emails.update({a.id: a.email for a in found})
        users.rows = [user_row(a, visit) for a in found]
        users.update()
        who.set_options({ANYONE: "anyone", **{a.id: a.email for a in found}})

    async def audited() -> None:
        filters: dict[str, Any] = {
            "user_id": who.value or None,
            "action": (action.value or "").strip() or None,
            "limit": AUDIT_PAGE + 1,  # one more tells whether an older page exists
            "offset": offset[0],
        }
        events = await run.io_bound(lambda: accounts.audit.list(**filters)) or []
        log.rows = [audit_row(e, emails, visit) for e in events[:AUDIT_PAGE]]
        log.update()
        shown.text = f"Page {offset[0] // AUDIT_PAGE + 1}"
        earlier.set_enabled(offset[0] > 0)
        later.set_enabled(len(events) > AUDIT_PAGE)
        stats = visit.shared.cache.stats()
        cache.text = "Query cache (this process): " + " · ".join(
            f"{key} {value}" for key, value in stats.items()
        )

    async def refilter() -> None:
        offset[0] = 0
        await audited()

    async def page_by(step: int) -> None:
        offset[0] = max(0, offset[0] + step * AUDIT_PAGE)
        await audited()

    async def grant(user_id: str) -> None:
        email = emails.get(user_id, user_id)
        chosen = await _hours_to_grant(email)
        if chosen is None:
            return
        try:
            amount = Grant(hours=chosen).hours
        except ValidationError:
            ui.notify("Not granted: hours are more than 0 and at most 100,000", type="negative")
            return
        key = uuid.uuid4().hex  # one per confirmed grant: sent twice, it is added once

        def granted(acting: User) -> None:
            ms = round(amount * MS_PER_HOUR)
            accounts.grant(acting, user_id, ms, client_ip=ip, idempotency_key=key)

        try:
            acting = (await visit.act()).user
            await run.io_bound(granted, acting)
        except VarioSyncError as error:
            failed("Not granted", error)
            return
        await listed()
        await refilter()
        ui.notify(f"Granted {amount:g} h to {email}", type="positive")

    async def switch(user_id: str, disabled: bool) -> None:
        email = emails.get(user_id, user_id)
        question = (
            f"Disable {email}? Their sessions end and their API keys stop working until enabled."
            if disabled
            else f"Enable {email} again? Their API keys work again; they sign in anew."
        )
        verb = "Disable" if disabled else "Enable"
        if not await _confirmed(question, verb, verb.lower()):
            return
        try:
            acting = (await visit.act()).user
            await run.io_bound(accounts.set_disabled, acting, user_id, disabled, ip)
        except VarioSyncError as error:
            failed(f"Not {verb.lower()}d", error)
            return
        await listed()
        await refilter()
        ui.notify(f"{verb}d {email}", type="positive")

    users.on("grant", lambda event: alone(lambda: grant(str(event.args))))
    users.on("disable", lambda event: alone(lambda: switch(str(event.args), True)))
    users.on("enable", lambda event: alone(lambda: switch(str(event.args), False)))
    who.on_value_change(refilter)
    action.on_value_change(refilter)
    earlier.on_click(lambda: page_by(-1))
    later.on_click(lambda: page_by(1))
    await listed()
    await audited()
