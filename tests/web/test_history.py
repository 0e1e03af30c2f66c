"""The history page as a user meets it: the versions newest first with their details, the data
as of an old version a page at a time (the current version unchanged), restore after a
confirmation (audited), changes made elsewhere, and another user's dataset not found."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_clean import _dataset, _only, _open, _rows
from variosync.api.actions import Actions
from variosync.api.deps import Services
from variosync.catalog.users import User as Account
from variosync.errors import ConflictError
from variosync.model import IngestOptions
from variosync.query import Query
from variosync.web.pages.history import PAGE_ROWS

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
RECIPE = [{"op": "drop_duplicates"}, {"op": "fill_nulls", "method": "linear"}]
ZONE = ZoneInfo("Asia/Tokyo")


def _cleaned(shared: Services, tmp_path: Path, email: str = "ada@example.com") -> Account:
    """A user whose dataset ``d`` has version 0 (ingested, with nulls) and 1 (cleaned)."""
    account = _dataset(shared, tmp_path, email)
    shared.service.as_owner(account.id).clean("d", RECIPE)
    return account


def _temps(rows: list[dict[str, Any]]) -> list[Any]:
    return [r["temp"] for r in rows if r["series_id"] == "a"]


@pytest.mark.asyncio
async def test_the_versions_and_the_data_as_of_an_old_one(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _cleaned(shared, tmp_path)
    shared.accounts.preferences.update(ada.id, time_zone="Asia/Tokyo")
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/history?dataset=d")

    versions = await _rows(user, "versions", lambda rows: len(rows) == 2)
    assert [(v["version"], v["operation"], v["rows"]) for v in versions] == [
        (1, "clean", 7),
        (0, "ingest", 7),
    ]
    assert "fill_nulls" in versions[0]["details"]
    assert "1: no change; 2: filled 2 values" in versions[0]["details"]
    assert "files: d.csv" in versions[1]["details"]
    stamp = mine.history("d")[0].timestamp.astimezone(ZONE)
    assert versions[0]["time"] == f"{stamp:%Y-%m-%d %H:%M:%S}"  # in the user's zone
    # the current version is shown first
    current = await _rows(user, "points", lambda rows: len(rows) == 7)
    assert _temps(current) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert current[0]["ts"] == "2024-01-01 09:00:00"  # 00:00 UTC in Tokyo

    user.find(marker="versions").trigger("view", 0)
    await user.should_see("d as of version 0", retries=SEEN)
    old = await _rows(user, "points", lambda rows: _temps(rows)[1:2] == [None])
    assert _temps(old) == [1, None, 3, None, 5]
    await user.should_see("current is version 1")
    assert mine.catalog.get("d").version == 1  # viewing changes nothing


@pytest.mark.asyncio
async def test_restore_after_confirming_makes_a_new_version_equal_to_the_old(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _cleaned(shared, tmp_path)
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/history?dataset=d")
    await _rows(user, "versions", lambda rows: len(rows) == 2)

    user.find(marker="versions").trigger("restore", 0)
    await user.should_see("Restore version 0 of d?")
    user.find(marker="cancel-restore").click()
    await asyncio.sleep(0.3)
    assert mine.catalog.get("d").version == 1

    user.find(marker="versions").trigger("restore", 0)
    await user.should_see(marker="confirm-restore")
    user.find(marker="confirm-restore").click()
    await user.should_see("Restored version 0 of d as version 2", retries=SEEN)
    assert mine.catalog.get("d").version == 2
    assert mine.query("d").equals(mine.query("d", as_of=0))
    (event,) = shared.accounts.audit.list(action="restore")
    assert event.user_id == ada.id and event.target == "d"
    versions = _only(user, "versions").rows
    assert (versions[0]["version"], versions[0]["operation"]) == (2, "restore")
    assert "restored version: 0" in versions[0]["details"]
    assert _temps(_only(user, "points").rows) == [1, None, 3, None, 5]
    await user.should_see("d as of version 2")


@pytest.mark.asyncio
async def test_the_points_come_a_page_at_a_time(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    mine.ingest([SAMPLE], "sensors", IngestOptions())
    expected = mine.query("sensors", Query())
    await _open(user, "ada@example.com", "/history?dataset=sensors")
    first = await _rows(user, "points", lambda rows: len(rows) == PAGE_ROWS)
    assert [r["series_id"] for r in first] == expected["series_id"][:PAGE_ROWS].to_list()
    await user.should_see(f"rows 1–{PAGE_ROWS} of 1,080")

    user.find(marker="page-on").click()
    second = await _rows(user, "points", lambda rows: rows[0]["key"] == PAGE_ROWS)
    values = [c for c in expected.columns if c not in ("series_id", "ts")]
    page = expected.slice(PAGE_ROWS, PAGE_ROWS)
    assert [tuple(r[c] for c in values) for r in second] == page.select(values).rows()
    await user.should_see(f"rows {PAGE_ROWS + 1}–{2 * PAGE_ROWS} of 1,080")
    user.find(marker="page-back").click()
    again = await _rows(user, "points", lambda rows: rows[0]["key"] == 0)
    assert again == first


@pytest.mark.asyncio
async def test_a_change_made_elsewhere_refreshes_the_versions(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _cleaned(shared, tmp_path)
    await _open(user, "ada@example.com", "/history?dataset=d")
    await _rows(user, "versions", lambda rows: len(rows) == 2)
    Actions(shared, ada, None).restore("d", 0)  # what POST …/restore does, as from another tab
    versions = await _rows(user, "versions", lambda rows: len(rows) == 3)
    assert [v["version"] for v in versions] == [2, 1, 0]
    Actions(shared, ada, None).delete("d")
    await user.should_see("Dataset 'd' was deleted.", retries=SEEN)


@pytest.mark.asyncio
async def test_another_users_dataset_is_not_found(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    _cleaned(shared, tmp_path, "bob@example.com")
    shared.accounts.register("ada@example.com", PASSWORD)
    await _open(user, "ada@example.com", "/history?dataset=d")
    await user.should_see("No dataset named 'd' among your datasets", retries=SEEN)
    assert _only(user, "dataset").value is None and _only(user, "dataset").options == []
    await user.should_not_see(kind=ui.table)


@pytest.mark.asyncio
async def test_a_double_click_restores_once(web: tuple[User, Services], tmp_path: Path) -> None:
    user, shared = web
    ada = _cleaned(shared, tmp_path)
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/history?dataset=d")
    await _rows(user, "versions", lambda rows: len(rows) == 2)

    user.find(marker="versions").trigger("restore", 0)  # two quick clicks: one dialog
    user.find(marker="versions").trigger("restore", 0)
    await user.should_see(marker="confirm-restore")
    await asyncio.sleep(0.3)
    assert len(user.find(marker="confirm-restore").elements) == 1
    user.find(marker="confirm-restore").click()
    user.find(marker="confirm-restore").click()
    await user.should_see("Restored version 0 of d as version 2", retries=SEEN)
    await asyncio.sleep(0.5)
    assert mine.catalog.get("d").version == 2
    assert len(shared.accounts.audit.list(action="restore")) == 1

    # once it is done, another restore may be asked for
    user.find(marker="versions").trigger("restore", 1)
    await user.should_see(marker="confirm-restore", retries=SEEN)
    user.find(marker="confirm-restore").click()
    await user.should_see("Restored version 1 of d as version 3", retries=SEEN)


@pytest.mark.asyncio
async def test_a_restore_under_a_key_runs_once(web: tuple[User, Services], tmp_path: Path) -> None:
    _, shared = web
    ada = _cleaned(shared, tmp_path)
    actions = Actions(shared, ada, None)
    actions.restore("d", 0, key="web-restore:one")
    with pytest.raises(ConflictError, match="not run twice"):
        actions.restore("d", 0, key="web-restore:one")
    assert shared.service.as_owner(ada.id).catalog.get("d").version == 2
    assert actions.restore("d", 1, key="web-restore:two").version == 3
    assert actions.restore("d", 1).version == 4  # no key: as the REST route restores


@pytest.mark.asyncio
async def test_pages_turn_forward_and_back_by_key(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", PASSWORD)
    mine = shared.service.as_owner(ada.id)
    mine.ingest([SAMPLE], "sensors", IngestOptions())
    values = [c for c in mine.query("sensors").columns if c not in ("series_id", "ts")]
    expected = mine.query("sensors").select(values).rows()
    await _open(user, "ada@example.com", "/history?dataset=sensors")
    await _rows(user, "points", lambda rows: len(rows) == PAGE_ROWS)

    def shown() -> list[tuple[Any, ...]]:
        return [tuple(r[c] for c in values) for r in _only(user, "points").rows]

    def starts_at(page: int) -> Callable[[list[dict[str, Any]]], bool]:
        return lambda rows: bool(rows) and rows[0]["key"] == page * PAGE_ROWS

    for page in range(1, 8):  # across the first series into the next ones
        user.find(marker="page-on").click()
        await _rows(user, "points", starts_at(page))
        assert shown() == expected[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    for page in range(6, -1, -1):
        user.find(marker="page-back").click()
        await _rows(user, "points", starts_at(page))
        assert shown() == expected[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    await user.should_see(f"rows 1–{PAGE_ROWS} of 1,080")
