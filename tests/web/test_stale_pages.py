"""A page that stays open after its session ended elsewhere (a sign-out in another tab, an
account disabled by an administrator) keeps none of the user's power: every action checks the
session again, and the page itself goes back to the sign-in page within seconds."""

from __future__ import annotations

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import SAMPLE, _names, _signed_in
from variosync.api.deps import Services
from variosync.catalog.credentials import CredentialKind
from variosync.model import IngestOptions
from variosync.web.frame import RECHECK_S

pytestmark = pytest.mark.asyncio


async def test_an_open_page_cannot_delete_after_a_sign_out_elsewhere(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    mine.ingest([SAMPLE], "sensors", IngestOptions())
    await _signed_in(user, "ada@example.com")
    assert await _names(user, {"sensors"}) == {"sensors"}

    shared.accounts.credentials.revoke_all(ada.id, CredentialKind.SESSION)  # "sign out everywhere"
    user.find(ui.table).trigger("delete", "sensors")
    await user.should_see(marker="confirm-delete", retries=SEEN)
    user.find(marker="confirm-delete").click()
    await user.should_see("Not deleted: you are signed out", retries=SEEN)
    assert [d.name for d in mine.datasets()] == ["sensors"]
    assert not shared.accounts.audit.list(action="delete")


async def test_a_disabled_users_open_account_page_makes_no_key_and_leaves(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "ada@example.com")
    await user.open("/account")
    await user.should_see(marker="create-key", retries=SEEN)

    shared.accounts.set_disabled(None, ada.id, True)
    user.find(marker="key-name").type("after")
    user.find(marker="create-key").click()
    await user.should_see("No key made: you are signed out", retries=SEEN)
    assert shared.accounts.keys(ada) == []
    await user.should_see("Welcome to VarioSync", retries=SEEN)


async def test_an_open_page_goes_to_the_sign_in_page_by_itself(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    await _signed_in(user, "ada@example.com")
    await user.open("/explore")
    await user.should_see("Sign out", retries=SEEN)
    shared.accounts.credentials.revoke_all(ada.id, CredentialKind.SESSION)
    await asyncio.sleep(RECHECK_S + 0.5)  # no click: the page checks its session itself
    await user.should_see("Welcome to VarioSync", retries=SEEN)


@pytest.mark.parametrize("web_settings", [{"rate_limits_user": "other=1/day"}])
async def test_dashboard_actions_spend_the_apis_rate_limits(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    for name in ("one", "two"):
        mine.create(name)
    await _signed_in(user, "ada@example.com")
    assert await _names(user, {"one", "two"}) == {"one", "two"}
    for name in ("one", "two"):
        user.find(ui.table).trigger("delete", name)
        await user.should_see(marker="confirm-delete", retries=SEEN)
        user.find(marker="confirm-delete").click()
        await asyncio.sleep(0.5)
    await user.should_see(
        "Not deleted: too many other requests: this account may make 1 per day", retries=SEEN
    )
    assert [d.name for d in mine.datasets()] == ["two"]
