"""Each user's dashboard preferences (theme, time zone, board layout) on SQLite and the
machine's PostgreSQL: defaults, partial updates, bad values refused without writing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.catalog.test_accounts import _drop, _open, _url
from variosync.catalog import upgrade
from variosync.catalog.preferences import MAX_CARDS, PreferenceStore, Theme
from variosync.catalog.users import UserCatalog
from variosync.errors import UsageError


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    found = _open(_url(request.param, tmp_path, request))
    upgrade(found)
    yield found
    _drop(found)


def test_defaults_then_partial_updates_per_user(engine: Engine) -> None:
    users = UserCatalog(engine)
    ada = users.create("ada@example.com", "x")
    bob = users.create("bob@example.com", "x")
    store = PreferenceStore(engine)
    assert store.get(ada.id).theme is Theme.AUTO and store.get(ada.id).time_zone == "UTC"

    store.update(ada.id, theme="dark")
    store.update(ada.id, time_zone="Europe/Berlin")
    card = {"type": "chart", "dataset": "sensors", "series": ["outdoor"]}
    store.update(ada.id, board=[card])
    found = store.get(ada.id)
    assert (found.theme, found.time_zone, found.board) == (Theme.DARK, "Europe/Berlin", [card])
    assert store.get(bob.id).board == []  # another user's are their own


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"theme": "pink"}, "unknown theme 'pink'"),
        ({"board": [{"type": "chart"}] * (MAX_CARDS + 1)}, f"at most {MAX_CARDS} cards"),
        ({"board": [{"note": "x" * 70_000}]}, "over 64 KiB"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    engine: Engine, change: dict[str, object], message: str
) -> None:
    ada = UserCatalog(engine).create("ada@example.com", "x")
    store = PreferenceStore(engine)
    store.update(ada.id, theme="light", time_zone="Asia/Tokyo")
    with pytest.raises(UsageError, match=message):
        store.update(ada.id, **change)  # type: ignore[arg-type]
    found = store.get(ada.id)
    assert (found.theme, found.time_zone, found.board) == (Theme.LIGHT, "Asia/Tokyo", [])


def test_two_changes_at_once_both_land(engine: Engine) -> None:
    """Two tabs saving different preferences at the same moment: neither is lost."""
    ada = UserCatalog(engine).create("ada@example.com", "x")
    store = PreferenceStore(engine)
    zones = ["Asia/Tokyo", "Europe/Berlin", "America/New_York", "UTC"]
    for round_ in range(12):
        theme, zone = ("dark", "light")[round_ % 2], zones[round_ % len(zones)]
        barrier = threading.Barrier(2)

        def set_theme(theme: str = theme, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            store.update(ada.id, theme=theme)

        def set_zone(zone: str = zone, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            store.update(ada.id, time_zone=zone)

        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(set_theme), pool.submit(set_zone)]:
                done.result()
        found = store.get(ada.id)
        assert (found.theme.value, found.time_zone) == (theme, zone), round_


def test_two_board_changes_at_once_both_land(engine: Engine) -> None:
    """Two tabs adding a card each at the same moment: the board ends with both cards."""
    ada = UserCatalog(engine).create("ada@example.com", "x")
    store = PreferenceStore(engine)
    store.update(ada.id, theme="dark")
    expected: list[str] = []
    for round_ in range(12):
        barrier = threading.Barrier(2)

        def add(card_id: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            store.update_board(ada.id, lambda cards: [*cards, {"id": card_id}])

        names = [f"{round_}-left", f"{round_}-right"]
        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(add, name) for name in names]:
                done.result()
        expected += names
        found = store.get(ada.id)
        assert sorted(c["id"] for c in found.board) == sorted(expected), round_
    assert store.get(ada.id).theme is Theme.DARK  # the other preferences stay


def test_a_board_change_applies_to_the_board_as_stored_now(engine: Engine) -> None:
    ada = UserCatalog(engine).create("ada@example.com", "x")
    store = PreferenceStore(engine)
    store.update(ada.id, board=[{"id": "a"}])
    seen = store.get(ada.id).board  # what a page read when it opened
    store.update(ada.id, board=[*seen, {"id": "b"}])  # another tab's card since
    saved = store.update_board(ada.id, lambda cards: [*cards, {"id": "c"}])
    assert [c["id"] for c in saved.board] == ["a", "b", "c"]
    assert store.get(ada.id).board == saved.board

    full = [{"id": str(i)} for i in range(MAX_CARDS)]
    with pytest.raises(UsageError, match=f"at most {MAX_CARDS} cards"):
        store.update_board(ada.id, lambda cards: cards + full)
    assert store.get(ada.id).board == saved.board  # refused: nothing written
