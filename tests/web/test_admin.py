"""The admin page: administrators only; every account with its balance; hour grants, disabling
and enabling after a confirmation — through the same accounts methods as the REST routes,
audited with the admin as actor; the audit log, filtered and paged, in the admin's zone."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import _signed_in
from variosync.api.deps import Services
from variosync.catalog.ledger import EntryKind
from variosync.catalog.users import Role
from variosync.errors import AuthError

pytestmark = pytest.mark.asyncio


async def _rows(user: User, marker: str, ready: Any = None) -> list[dict[str, Any]]:
    """The rows of the table marked ``marker``, once ``ready(rows)`` holds (or after waiting)."""
    await user.should_see(marker=marker, retries=SEEN)
    rows: list[dict[str, Any]] = []
    for _ in range(SEEN):
        (table,) = user.find(marker=marker).elements
        assert isinstance(table, ui.table)
        rows = list(table.rows)
        if ready is None or ready(rows):
            break
        await asyncio.sleep(0.1)
    return rows


def _by_email(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["email"]: row for row in rows}


async def test_a_user_is_told_administrators_only_and_sees_no_data(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "ada@example.com")
    await user.should_not_see("Admin")  # not in the navigation
    await user.open("/admin")
    await user.should_see("Administrators only", retries=SEEN)
    await user.should_not_see("root@example.com")
    await user.should_not_see(marker="users")
    await user.should_not_see(marker="audit")


async def test_an_admin_sees_every_account_with_its_balance(web: tuple[User, Services]) -> None:
    user, shared = web
    root = shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.accounts.grant(None, ada.id, 9_000_000)  # 2.5 h
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    rows = _by_email(await _rows(user, "users", lambda r: len(r) == 2))
    assert set(rows) == {"root@example.com", "ada@example.com"}
    assert rows["ada@example.com"]["balance"] == 2.5
    assert rows["ada@example.com"]["role"] == "user" and rows["root@example.com"]["role"] == "admin"
    assert rows["ada@example.com"]["state"] == "active"
    assert rows["root@example.com"]["self"] and not rows["ada@example.com"]["self"]
    assert rows["ada@example.com"]["id"] == ada.id and rows["root@example.com"]["id"] == root.id


async def test_grant_a_package_and_an_amount(web: tuple[User, Services]) -> None:
    user, shared = web
    root = shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    await _rows(user, "users", lambda r: len(r) == 2)

    user.find(marker="users").trigger("grant", ada.id)
    await user.should_see("Grant hours to ada@example.com")
    (package,) = user.find(marker="grant-package").elements
    assert isinstance(package, ui.toggle)
    package.value = 10
    user.find(marker="confirm-grant").click()
    await user.should_see("Granted 10 h to ada@example.com", retries=SEEN)
    assert shared.accounts.ledger.balance_ms(ada.id) == 36_000_000
    rows = await _rows(user, "users", lambda r: _by_email(r)["ada@example.com"]["balance"] == 10)
    assert _by_email(rows)["ada@example.com"]["balance"] == 10

    user.find(marker="users").trigger("grant", ada.id)
    await user.should_see(marker="grant-amount")
    user.find(marker="grant-amount").type("0.5")
    user.find(marker="confirm-grant").click()
    await user.should_see("Granted 0.5 h to ada@example.com", retries=SEEN)
    assert shared.accounts.ledger.balance_ms(ada.id) == 37_800_000

    grants = [e for e in shared.accounts.ledger.entries(ada.id) if e.kind is EntryKind.GRANT]
    assert sorted(e.amount_ms for e in grants) == [1_800_000, 36_000_000]
    events = shared.accounts.audit.list(action="grant")
    assert [(e.user_id, e.target, e.detail) for e in events] == [
        (root.id, ada.id, {"ms": 1_800_000}),
        (root.id, ada.id, {"ms": 36_000_000}),
    ]
    audit = await _rows(user, "audit", lambda r: len(r) >= 2)
    assert audit[0]["action"] == "grant" and audit[0]["who"] == "root@example.com"
    assert audit[0]["target"] == "ada@example.com"


async def test_a_cancelled_or_empty_grant_grants_nothing(web: tuple[User, Services]) -> None:
    user, shared = web
    shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    await _rows(user, "users", lambda r: len(r) == 2)
    user.find(marker="users").trigger("grant", ada.id)
    await user.should_see(marker="cancel-grant")
    user.find(marker="cancel-grant").click()
    await asyncio.sleep(0.3)
    user.find(marker="users").trigger("grant", ada.id)
    await user.should_see(marker="grant-amount")
    user.find(marker="grant-amount").type("-3")
    user.find(marker="confirm-grant").click()
    await user.should_see("Not granted: hours are more than 0", retries=SEEN)
    assert shared.accounts.ledger.balance_ms(ada.id) == 0
    assert not shared.accounts.audit.list(action="grant")


async def test_disable_ends_the_users_sessions_and_enable_lets_them_back(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    root = shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    _, token = shared.accounts.login("ada@example.com", PASSWORD)
    assert shared.accounts.authenticate(token).user.id == ada.id
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    await _rows(user, "users", lambda r: len(r) == 2)

    user.find(marker="users").trigger("disable", ada.id)
    await user.should_see("Disable ada@example.com?")
    user.find(marker="cancel-disable").click()
    await asyncio.sleep(0.3)
    assert shared.accounts.authenticate(token).user.id == ada.id  # cancelled: nothing changed

    user.find(marker="users").trigger("disable", ada.id)
    await user.should_see(marker="confirm-disable")
    user.find(marker="confirm-disable").click()
    await user.should_see("Disabled ada@example.com", retries=SEEN)
    with pytest.raises(AuthError):
        shared.accounts.authenticate(token)  # the session ended
    assert shared.accounts.users.get(ada.id).disabled
    rows = await _rows(user, "users", lambda r: _by_email(r)["ada@example.com"]["disabled"])
    assert _by_email(rows)["ada@example.com"]["state"] == "disabled"

    user.find(marker="users").trigger("enable", ada.id)
    await user.should_see(marker="confirm-enable")
    user.find(marker="confirm-enable").click()
    await user.should_see("Enabled ada@example.com", retries=SEEN)
    assert not shared.accounts.users.get(ada.id).disabled
    _, fresh = shared.accounts.login("ada@example.com", PASSWORD)
    assert shared.accounts.authenticate(fresh).user.id == ada.id

    events = shared.accounts.audit.list(user_id=root.id)
    assert [(e.action, e.target) for e in events[:2]] == [
        ("user_enabled", ada.id),
        ("user_disabled", ada.id),
    ]
    audit = await _rows(user, "audit", lambda r: r and r[0]["action"] == "user_enabled")
    assert [row["action"] for row in audit[:2]] == ["user_enabled", "user_disabled"]


async def test_an_admin_cannot_disable_themselves(web: tuple[User, Services]) -> None:
    user, shared = web
    root = shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    await _rows(user, "users", lambda r: len(r) == 1)
    user.find(marker="users").trigger("disable", root.id)
    await user.should_see(marker="confirm-disable")
    user.find(marker="confirm-disable").click()
    await user.should_see("Not disabled: you cannot disable your own account", retries=SEEN)
    assert not shared.accounts.users.get(root.id).disabled


async def test_the_audit_log_filters_and_pages_in_my_zone(web: tuple[User, Services]) -> None:
    user, shared = web
    root = shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.accounts.preferences.update(root.id, time_zone="Asia/Kolkata")
    for _ in range(30):
        shared.accounts.audit.record("probe", user_id=ada.id, target="x", client_ip="10.0.0.9")
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    await _rows(user, "users", lambda r: len(r) == 2)

    user.find(marker="audit-action").type("probe")
    first = await _rows(user, "audit", lambda r: {row["action"] for row in r} == {"probe"})
    assert len(first) == 25 and first[0]["who"] == "ada@example.com"
    assert first[0]["ip"] == "10.0.0.9"
    (newest,) = shared.accounts.audit.list(action="probe", limit=1)
    in_kolkata = newest.at.astimezone(ZoneInfo("Asia/Kolkata"))  # UTC+05:30
    assert first[0]["at"] == f"{in_kolkata:%Y-%m-%d %H:%M:%S}"
    user.find(marker="audit-older").click()
    await user.should_see("Page 2", retries=SEEN)
    second = await _rows(user, "audit", lambda r: len(r) == 5)
    assert len(second) == 5
    assert not {row["id"] for row in first} & {row["id"] for row in second}

    (who,) = user.find(marker="audit-user").elements
    assert isinstance(who, ui.select)
    who.value = root.id
    await user.should_see("Page 1", retries=SEEN)
    assert await _rows(user, "audit", lambda r: not r) == []  # root made no probes


async def test_a_double_click_opens_one_dialog_and_changes_once(
    web: tuple[User, Services],
) -> None:
    """The second click of a double click (sent whatever the browser shows) does nothing while
    the first one's dialog is open or its change runs; a grant carries an idempotency key."""
    user, shared = web
    shared.accounts.register("root@example.com", PASSWORD, Role.ADMIN)
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "root@example.com")
    await user.open("/admin")
    await _rows(user, "users", lambda r: len(r) == 2)

    user.find(marker="users").trigger("grant", ada.id).trigger("grant", ada.id)
    await user.should_see(marker="confirm-grant")
    await asyncio.sleep(0.3)
    assert len(user.find(marker="confirm-grant").elements) == 1
    user.find(marker="users").trigger("disable", ada.id)  # another change: not while open
    user.find(marker="confirm-grant").click()
    await user.should_see("Granted 5 h to ada@example.com", retries=SEEN)
    await asyncio.sleep(0.3)
    await user.should_not_see(marker="confirm-disable")
    assert shared.accounts.ledger.balance_ms(ada.id) == 5 * 3_600_000
    (entry,) = shared.accounts.ledger.entries(ada.id)
    assert entry.idempotency_key is not None and entry.idempotency_key.startswith("grant:")
    assert len(shared.accounts.audit.list(action="grant")) == 1

    user.find(marker="users").trigger("disable", ada.id).trigger("disable", ada.id)
    await user.should_see(marker="confirm-disable")
    await asyncio.sleep(0.3)
    assert len(user.find(marker="confirm-disable").elements) == 1
    user.find(marker="confirm-disable").click()
    await user.should_see("Disabled ada@example.com", retries=SEEN)
    assert len(shared.accounts.audit.list(action="user_disabled")) == 1

    user.find(marker="users").trigger("enable", ada.id)  # free again once done
    await user.should_see(marker="confirm-enable")
    user.find(marker="cancel-enable").click()
    await asyncio.sleep(0.3)
    assert shared.accounts.users.get(ada.id).disabled
