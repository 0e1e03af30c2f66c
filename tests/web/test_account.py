"""The account page: balance and ledger, API keys (created with the secret shown once, then
revoked) and the rate limits the account has left."""

from __future__ import annotations

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import SAMPLE, _signed_in
from variosync.api.deps import Services
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.errors import AuthError
from variosync.model import IngestOptions

pytestmark = pytest.mark.asyncio


async def _table(user: User, marker: str) -> ui.table:
    await user.should_see(marker=marker, retries=SEEN)
    (table,) = user.find(marker=marker).elements
    assert isinstance(table, ui.table)
    return table


async def _range(user: User) -> str:
    """The time range the datasets table shows for its one dataset."""
    await user.should_see(kind=ui.table, retries=SEEN)
    for _ in range(SEEN):
        rows = [row for table in user.find(ui.table).elements for row in table.rows]
        if rows:
            return str(rows[0]["range"])
        await asyncio.sleep(0.1)
    return ""


async def test_the_account_page_needs_a_sign_in(web: tuple[User, Services]) -> None:
    user, _ = web
    await user.open("/account")
    await user.should_see("Welcome to VarioSync")


async def test_balance_keys_and_limits(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.accounts.grant(None, ada.id, 2 * MS_PER_HOUR)
    await _signed_in(user, "ada@example.com")
    await user.open("/account")
    await user.should_see("Balance: 2.000 hours", retries=SEEN)
    ledger = await _table(user, "ledger")
    assert ledger.rows[0]["hours"] == 2.0 and ledger.rows[0]["kind"] == "grant"

    user.find(marker="key-name").type("laptop")
    user.find(marker="create-key").click()
    await user.should_see(marker="new-secret", retries=SEEN)
    (shown,) = user.find(marker="new-secret").elements
    secret = str(shown.value)
    assert shared.accounts.authenticate(secret).user.id == ada.id
    keys = await _table(user, "keys")
    for _ in range(SEEN):
        if keys.rows:
            break
        await asyncio.sleep(0.1)
    (row,) = keys.rows
    assert row["name"] == "laptop" and row["state"] == "active"
    assert secret not in str(keys.rows)  # only the prefix is listed

    user.find(marker="keys").trigger("revoke", row["id"])
    await user.should_see("Key revoked", retries=SEEN)
    assert keys.rows[0]["state"] == "revoked"
    with pytest.raises(AuthError):
        shared.accounts.authenticate(secret)

    limits = await _table(user, "limits")
    budgets = {r["budget"]: r for r in limits.rows}
    assert set(budgets) == {"auth", "upload", "query", "export", "other"}
    assert budgets["query"]["limit"] == "600 per 60 s"
    assert budgets["auth"]["left"] == 9  # this sign-in was one attempt of ten


async def test_theme_and_time_zone_are_saved_with_the_account(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    shared.service.as_owner(ada.id).ingest([SAMPLE], "sensors", IngestOptions())
    await _signed_in(user, "ada@example.com")
    assert await _range(user) == "2024-01-15 06:00 → 2024-01-15 11:59"  # UTC at first

    await user.open("/account")
    await user.should_see(marker="time-zone", retries=SEEN)
    user.find(marker="time-zone").elements.pop().set_value("Asia/Tokyo")
    user.find(marker="theme").elements.pop().set_value("dark")
    await user.should_see("Saved — pages show it from now on", retries=SEEN)
    for _ in range(SEEN):
        found = shared.accounts.preferences.get(ada.id)
        if found.theme == "dark" and found.time_zone == "Asia/Tokyo":
            break
        await asyncio.sleep(0.1)
    assert (found.theme, found.time_zone) == ("dark", "Asia/Tokyo")

    await user.open("/")
    assert await _range(user) == "2024-01-15 15:00 → 2024-01-15 20:59"  # UTC+9
    (dark,) = user.find(ui.dark_mode).elements
    assert dark.value is True


async def test_keys_are_audited_with_the_address_and_a_double_click_makes_one(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "ada@example.com")
    await user.open("/account")
    await user.should_see(marker="create-key", retries=SEEN)
    user.find(marker="key-name").type("ci")
    user.find(marker="create-key").trigger("click").trigger("click")  # a double click
    await user.should_see(marker="new-secret", retries=SEEN)
    await asyncio.sleep(0.5)
    assert len(user.find(marker="new-secret").elements) == 1
    (key,) = shared.accounts.keys(ada)
    (made,) = shared.accounts.audit.list(action="key_created")
    assert (made.user_id, made.target, made.client_ip) == (ada.id, key.prefix, "127.0.0.1")
    user.find(marker="done").click()

    user.find(marker="keys").trigger("revoke", key.id)
    await user.should_see("Key revoked", retries=SEEN)
    (revoked,) = shared.accounts.audit.list(action="key_revoked")
    assert (revoked.user_id, revoked.target, revoked.client_ip) == (ada.id, key.prefix, "127.0.0.1")
