"""The dashboard as a user meets it: every page behind sign-in, sign-in and sign-out, and the
datasets browser — only the user's own datasets, search, delete after confirming."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from variosync.api.actions import Actions
from variosync.api.deps import Services
from variosync.model import IngestOptions
from variosync.service import Variosync
from variosync.settings import Settings
from variosync.web.pages.datasets import matching

pytestmark = pytest.mark.asyncio
SAMPLES = Path(__file__).parents[2] / "src" / "variosync" / "samples"
SAMPLE = SAMPLES / "sensors.csv"
PRICES = SAMPLES / "financial_sample.json"


async def _sign_in(user: User, email: str, password: str = PASSWORD) -> None:
    await user.open("/signin")
    user.find("Email").type(email)
    user.find("Password").type(password)
    user.find(marker="sign-in").click()


async def _signed_in(user: User, email: str) -> None:
    """Sign in and wait for the first page behind it."""
    await _sign_in(user, email)
    await user.should_see("Sign out", retries=SEEN)


async def _names(user: User, expected: set[str]) -> set[str]:
    """The dataset names the browser's table shows, once they are ``expected`` (or after
    waiting for them)."""
    await user.should_see(kind=ui.table, retries=SEEN)
    found: set[str] = set()
    for _ in range(SEEN):
        tables = user.find(ui.table).elements
        found = {row["name"] for table in tables for row in table.rows}
        if found == expected:
            break
        await asyncio.sleep(0.1)
    return found


async def test_every_page_needs_a_sign_in(web: tuple[User, Services]) -> None:
    user, _ = web
    await user.open("/")
    await user.should_see("Welcome to VarioSync")
    await user.should_not_see("Datasets")


async def test_a_wrong_password_says_so(web: tuple[User, Services]) -> None:
    user, shared = web
    shared.accounts.register("ada@example.com", PASSWORD)
    await _sign_in(user, "ada@example.com", "not it")
    await user.should_see("Sign-in failed: wrong email or password", retries=SEEN)


async def test_the_sign_in_page_has_the_apis_brute_force_budget(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    shared.accounts.register("ada@example.com", PASSWORD)
    for _ in range(10):
        await _sign_in(user, "ada@example.com", "guess")
        await user.should_see("Sign-in failed: wrong email or password", retries=SEEN)
        user.notify.messages.clear()
    await _sign_in(user, "ada@example.com")  # the right password, too late
    await user.should_see("Sign-in failed: too many sign-in attempts", retries=SEEN)


async def test_sign_in_shows_only_my_datasets_and_sign_out_ends_the_session(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    bob = shared.accounts.register("bob@example.com", PASSWORD)
    shared.service.as_owner(ada.id).ingest([SAMPLE], "ada-sensors", IngestOptions())
    shared.service.as_owner(bob.id).ingest([SAMPLE], "bob-sensors", IngestOptions())

    await _signed_in(user, "ada@example.com")
    assert await _names(user, {"ada-sensors"}) == {"ada-sensors"}
    # the session token is kept sealed: the dashboard's storage files never hold it in clear
    await asyncio.sleep(1.2)  # NiceGUI writes its storage files in the background
    stored = [p.read_text() for p in (shared.settings.home / "dashboard").rglob("*.json")]
    assert any('"token"' in text for text in stored)
    assert not any("vss_" in text for text in stored)
    (table,) = user.find(ui.table).elements
    assert table.rows[0]["rows"] == 1080 and table.rows[0]["series"] == 3

    user.find("Sign out").click()
    await user.should_see("Welcome to VarioSync", retries=SEEN)
    await user.open("/")
    await user.should_see("Welcome to VarioSync")  # the session is over, not just forgotten
    assert shared.accounts.audit.list(action="logout")


async def test_search_and_delete_after_confirming(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    for name in ("alpha", "beta"):
        mine.ingest([SAMPLE], name, IngestOptions())
    await _signed_in(user, "ada@example.com")
    assert await _names(user, {"alpha", "beta"}) == {"alpha", "beta"}

    user.find(marker="search-name").type("bet")
    assert await _names(user, {"beta"}) == {"beta"}

    # the row's delete button lives in a table slot: send its event as the browser does
    user.find(ui.table).trigger("delete", "beta")
    await user.should_see("Delete dataset beta and all its versions? This cannot be undone.")
    user.find(marker="cancel-delete").click()
    await asyncio.sleep(0.3)
    assert {d.name for d in mine.datasets()} == {"alpha", "beta"}

    user.find(ui.table).trigger("delete", "beta")
    await user.should_see(marker="confirm-delete")
    user.find(marker="confirm-delete").click()
    await user.should_see("Deleted beta", retries=SEEN)  # said once the table shows it
    assert {d.name for d in mine.datasets()} == {"alpha"}
    assert {row["name"] for row in user.find(ui.table).elements.pop().rows} == set()
    (event,) = shared.accounts.audit.list(action="delete")  # audited like the API's delete
    assert event.user_id == ada.id and event.target == "beta"


async def test_search_by_series_field_and_date_range(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    mine.ingest([SAMPLE], "sensors", IngestOptions())
    mine.ingest([PRICES], "prices", IngestOptions())
    await _signed_in(user, "ada@example.com")
    assert await _names(user, {"sensors", "prices"}) == {"sensors", "prices"}

    user.find(marker="search-series").type("greenhouse-2")
    assert await _names(user, {"sensors"}) == {"sensors"}
    user.find(marker="search-series").clear()
    user.find(marker="search-field").type("vol")
    assert await _names(user, {"prices"}) == {"prices"}
    user.find(marker="search-field").clear()
    user.find(marker="search-from").type("2099-01-01")
    assert await _names(user, set()) == set()
    user.find(marker="search-from").clear()
    assert await _names(user, {"sensors", "prices"}) == {"sensors", "prices"}


async def test_a_change_made_elsewhere_appears_without_a_reload(
    web: tuple[User, Services],
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    bob = shared.accounts.register("bob@example.com", PASSWORD)
    await _signed_in(user, "ada@example.com")
    assert await _names(user, set()) == set()
    # made through the API's actions (what POST /datasets does), as from another tab
    Actions(shared, bob, None).create("bobs")
    Actions(shared, ada, None).create("fresh")
    assert await _names(user, {"fresh"}) == {"fresh"}
    Actions(shared, ada, None).delete("fresh")
    assert await _names(user, set()) == set()


async def test_only_the_latest_search_is_shown(web: tuple[User, Services]) -> None:
    """A search by series reads every dataset's series (slow); a search by name that follows
    at once answers first. The older one's rows, arriving later, must not replace it."""
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    names = {f"set-{i}" for i in range(20)} | {"beta"}
    for dataset in names:
        mine.ingest([SAMPLE], dataset, IngestOptions())
    await _signed_in(user, "ada@example.com")
    assert await _names(user, names) == names
    (box,) = user.find(marker="search-series").elements
    assert box.props["debounce"] == "300"  # the browser waits for typing to pause

    for _ in range(3):
        user.find(marker="search-series").type("greenhouse")  # every dataset's series
        await asyncio.sleep(0.005)  # under way (it takes a while longer)
        user.find(marker="search-name").type("beta")  # then: beta's only
        assert await _names(user, {"beta"}) == {"beta"}
        await asyncio.sleep(1.0)  # the slow search has long finished
        assert {row["name"] for row in user.find(ui.table).elements.pop().rows} == {"beta"}
        user.find(marker="search-series").clear()
        user.find(marker="search-name").clear()
        assert await _names(user, names) == names


async def test_a_dataset_deleted_during_a_search_is_left_out(tmp_path: Path) -> None:
    """The search lists the datasets, then reads their series: one deleted in between is
    left out, not a NotFoundError out of the page's event handler."""
    service = Variosync(Settings(home=tmp_path / "home"))
    mine = service.as_owner("ada")
    for dataset in ("alpha", "beta"):
        mine.ingest([SAMPLE], dataset, IngestOptions())
    listed = mine.datasets()
    mine.delete("beta")
    found = matching(mine, listed, "", "greenhouse", "", None, None)
    assert [record.name for record in found] == ["alpha"]


async def test_a_double_click_on_delete_asks_once(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    for dataset in ("alpha", "beta"):
        mine.ingest([SAMPLE], dataset, IngestOptions())
    await _signed_in(user, "ada@example.com")
    assert await _names(user, {"alpha", "beta"}) == {"alpha", "beta"}
    user.find(ui.table).trigger("delete", "beta").trigger("delete", "beta")
    await user.should_see(marker="confirm-delete")
    await asyncio.sleep(0.3)
    assert len(user.find(marker="confirm-delete").elements) == 1
    user.find(ui.table).trigger("delete", "alpha")  # not while one is asked
    user.find(marker="confirm-delete").click()
    await user.should_see("Deleted beta", retries=SEEN)
    await asyncio.sleep(0.3)
    await user.should_not_see(marker="confirm-delete")
    assert {d.name for d in mine.datasets()} == {"alpha"}
    assert len(shared.accounts.audit.list(action="delete")) == 1
