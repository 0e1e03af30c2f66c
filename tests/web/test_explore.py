"""The explore page's board: each kind of card shows its dataset (table rows, aggregates equal
to the facade's, the stored profile's numbers); the layout — order, size, settings — is saved
per user and comes back; a card redraws when its dataset changes elsewhere and says so when
the dataset is gone; another user's dataset cannot be opened."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from nicegui.testing import User

from tests.web.conftest import SEEN
from tests.web.test_pages import _signed_in
from variosync.api.actions import Actions
from variosync.api.deps import Services
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.catalog.users import User as Account
from variosync.model import IngestOptions
from variosync.query import Query
from variosync.service import Variosync
from variosync.settings import Settings
from variosync.web.board.cards import kinds
from variosync.web.board.layout import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    HEIGHT_STEP,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_WIDTH,
    columns_of,
    merged,
    moved,
    resized,
    restored,
)
from variosync.web.board.quality_card import step_text
from variosync.web.board.table_card import Key, page_before, page_from
from variosync.web.pages.explore import opening_kind

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"


# -- the layout's rules (pure) -------------------------------------------------------------------


def _cards(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "type": "table", "dataset": "d", "width": 6, "height": 440} for i in ids]


@pytest.mark.parametrize(
    ("card", "index", "order"),
    [
        ("a", 1, "bac"),
        ("a", 2, "bca"),
        ("c", 0, "cab"),
        ("b", -5, "bac"),
        ("b", 99, "acb"),
        ("x", 0, "abc"),
    ],
)
def test_a_card_moves_to_its_place(card: str, index: int, order: str) -> None:
    assert "".join(c["id"] for c in moved(_cards(*"abc"), card, index)) == order


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (8, None, (8, 440)),
        (None, 600, (6, 600)),
        (1, 50, (MIN_WIDTH, 200)),
        (40, 10**6, (MAX_WIDTH, MAX_HEIGHT)),
    ],
)
def test_sizes_stay_in_range(
    width: int | None, height: int | None, expected: tuple[int, int]
) -> None:
    card = resized(_cards("a")[0], width, height)
    assert (card["width"], card["height"]) == expected


@pytest.mark.parametrize(
    ("width", "grid", "columns"),
    [(600, 1200, 6), (290, 1200, 3), (1300, 1200, 12), (100, 1200, 3), (500, 0, DEFAULT_WIDTH)],
)
def test_a_native_resize_becomes_whole_columns(width: float, grid: float, columns: int) -> None:
    assert columns_of(width, grid) == columns


def test_a_saved_layout_is_repaired_not_refused() -> None:
    saved: list[dict[str, Any]] = [
        {"id": "a", "type": "table", "dataset": "d", "width": "wide", "height": 99999},
        {"id": "a", "type": "chart", "dataset": ""},  # a duplicate id, no dataset
        {"type": 3},
    ]
    cards = restored(saved)
    assert cards[0] == {
        "id": "a",
        "type": "table",
        "dataset": "d",
        "width": DEFAULT_WIDTH,
        "height": MAX_HEIGHT,
    }
    assert len({c["id"] for c in cards}) == 3
    assert cards[1]["dataset"] is None and cards[2]["type"] == "3"
    assert cards[2]["height"] == DEFAULT_HEIGHT


def test_a_cards_own_settings_cannot_change_its_layout() -> None:
    card = _cards("a")[0]
    changed = merged(card, {"id": "b", "type": "chart", "width": 12, "page": 3, "dataset": "e"})
    assert changed == card | {"page": 3, "dataset": "e"}


@pytest.mark.parametrize(
    ("step", "text"),
    [
        (None, "irregular"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(hours=1, minutes=30), "1 h 30 min"),
        (timedelta(days=2), "2 d"),
        (timedelta(milliseconds=250), "250 ms"),
        (timedelta(0), "0 s"),
    ],
)
def test_a_time_step_for_people(step: timedelta | None, text: str) -> None:
    assert step_text(step) == text


def test_the_registry_has_every_card_kind() -> None:
    found = kinds()
    assert {"table", "aggregates", "quality"} <= set(found)
    assert all(kind.type == key and kind.title for key, kind in found.items())
    assert opening_kind(found) == ("chart" if "chart" in found else "table")


# -- the page ------------------------------------------------------------------------------------


async def _until(check: Callable[[], Any], what: str) -> Any:
    """``check()``'s first truthy answer, waiting for the page (fails naming ``what``)."""
    for _ in range(SEEN * 2):
        found = check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"never saw {what}")


def _board(shared: Services, user_id: str) -> list[dict[str, Any]]:
    return shared.accounts.preferences.get(user_id).board


def _one(user: User, marker: str) -> Any:
    """The one element marked ``marker`` on the page, or None."""
    try:
        found = user.find(marker=marker).elements
    except AssertionError:  # none
        return None
    return next(iter(found)) if len(found) == 1 else None


def _choose(user: User, marker: str, value: object) -> None:
    element = _one(user, marker)
    assert element is not None, marker
    with user.client:  # type: ignore[union-attr]
        element.set_value(value)


def _rows(user: User, marker: str) -> list[dict[str, Any]]:
    table = _one(user, marker)
    return list(table.rows) if table is not None else []


async def _explore(user: User, email: str, path: str = "/explore") -> None:
    await _signed_in(user, email)
    await user.open(path)
    await user.should_see(marker="add-card", retries=SEEN)


async def _add(user: User, shared: Services, owner: Account, card_type: str, dataset: str) -> str:
    """Add a card through the toolbar; its id, once it is saved."""
    before = {c["id"] for c in _board(shared, owner.id)}
    _choose(user, "add-type", card_type)
    _choose(user, "add-dataset", dataset)
    user.find(marker="add-card").click()
    new = await _until(
        lambda: [c["id"] for c in _board(shared, owner.id) if c["id"] not in before], "a new card"
    )
    return str(new[0])


def _sensors(shared: Services) -> tuple[Account, Any]:
    ada = shared.accounts.register("ada@example.com", "correct horse battery")
    mine = shared.service.as_owner(ada.id)
    mine.ingest([SAMPLE], "sensors", IngestOptions())
    return ada, mine


@pytest.mark.asyncio
async def test_each_card_shows_its_dataset(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, mine = _sensors(shared)
    await _explore(user, "ada@example.com")
    await user.should_see(marker="board-empty")

    await _add(user, shared, ada, "table", "sensors")
    rows = await _until(lambda: _rows(user, "table-rows"), "the table's rows")
    expected = mine.query("sensors", Query(limit=25))
    assert len(rows) == 25
    assert [r["series_id"] for r in rows] == expected.get_column("series_id").to_list()
    assert [r["temperature"] for r in rows] == expected.get_column("temperature").to_list()
    assert rows[0]["ts"] == "2024-01-15 06:00:00" and rows[1]["ts"] == "2024-01-15 06:01:00"
    await user.should_see("Rows 1–25")

    await _add(user, shared, ada, "aggregates", "sensors")
    hourly = mine.aggregates("sensors", "1h")
    rows = await _until(lambda: _rows(user, "agg-table"), "the aggregates")
    assert [r["points"] for r in rows] == hourly.get_column("points").to_list()
    assert [r["series"] for r in rows] == hourly.get_column("series").to_list()
    means = (
        mine.scan("sensors")
        .group_by(pl.col("ts").dt.truncate("1h"))
        .agg(pl.col("temperature").mean())
        .sort("ts")
        .collect()
    )
    assert [r["value"] for r in rows] == [round(v, 6) for v in means.get_column("temperature")]
    _choose(user, "agg-every", "1d")
    daily = mine.aggregates("sensors", "1d")
    await _until(lambda: len(_rows(user, "agg-table")) == daily.height, "daily buckets")
    assert [r["points"] for r in _rows(user, "agg-table")] == daily.get_column("points").to_list()
    _choose(user, "agg-field", "humidity")
    _choose(user, "agg-agg", "max")

    def plotted() -> Any:
        plot = _one(user, "agg-plot")
        return plot if plot and plot.options["series"][-1]["name"] == "max of humidity" else None

    plot = await _until(plotted, "the plot of the daily max")
    highest = mine.scan("sensors").select(pl.col("humidity").max()).collect().item()
    assert max(plot.options["series"][-1]["data"]) == highest
    assert plot.options["series"][0]["data"] == daily.get_column("points").to_list()

    await _add(user, shared, ada, "quality", "sensors")
    profile = mine.profile("sensors")
    summary = await _until(lambda: _rows(user, "quality-summary"), "the profile")
    numbers = {r["what"]: r["value"] for r in summary}
    assert numbers["Rows"] == profile.rows == 1080
    assert numbers["Series"] == profile.series_count
    assert numbers["Duplicates"] == profile.totals.duplicates
    assert numbers["Gaps"] == profile.totals.gaps
    assert numbers["Typical step"] == step_text(profile.frequency) == "1 min"
    fields = {r["field"]: r for r in _rows(user, "quality-fields")}
    assert {name: row["nulls"] for name, row in fields.items()} == {
        f.name: f.nulls for f in profile.fields
    }


@pytest.mark.asyncio
async def test_aggregates_are_cached_per_version(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "aggregates", "sensors")
    await _until(lambda: _rows(user, "agg-table"), "the aggregates")
    stored = shared.cache.stats()["stores"]
    hits = int(shared.cache.stats()["hits"])
    await user.open("/explore")  # the same view again: from the cache
    await _until(lambda: _rows(user, "agg-table"), "the aggregates again")
    assert shared.cache.stats()["hits"] == hits + 1
    assert shared.cache.stats()["stores"] == stored


@pytest.mark.asyncio
async def test_a_text_field_with_a_numbers_only_aggregate_is_explained(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", "correct horse battery")
    text = tmp_path / "notes.csv"
    text.write_text("timestamp,sensor,note\n2024-01-15T06:00:00Z,a,ok\n2024-01-15T07:00:00Z,a,hm\n")
    shared.service.as_owner(ada.id).ingest([text], "notes", IngestOptions())
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "aggregates", "notes")
    await _until(lambda: _rows(user, "agg-table"), "the counts")
    _choose(user, "agg-field", "note")  # mean, the default aggregate, needs numbers
    await user.should_see("field 'note' holds text; mean needs numbers", retries=SEEN)
    _choose(user, "agg-agg", "last")
    rows = await _until(lambda: _rows(user, "agg-table"), "the last notes")
    assert [r["value"] for r in rows] == ["ok", "hm"]


@pytest.mark.asyncio
async def test_the_table_pages(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, mine = _sensors(shared)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "sensors")
    await _until(lambda: len(_rows(user, "table-rows")) == 25, "the first page")
    everything = mine.query("sensors")

    previous = _one(user, "table-previous")
    assert not previous.enabled
    user.find(marker="table-next").click()
    await user.should_see("Rows 26–50", retries=SEEN)
    rows = _rows(user, "table-rows")
    assert [r["_n"] for r in rows] == list(range(26, 51))
    assert [r["humidity"] for r in rows] == everything.get_column("humidity")[25:50].to_list()
    assert _board(shared, ada.id)[0]["page"] == 1  # the page is the card's, saved
    user.find(marker="table-previous").click()
    await user.should_see("Rows 1–25", retries=SEEN)

    _choose(user, "table-size", 100)
    await _until(lambda: len(_rows(user, "table-rows")) == 100, "a page of 100")
    _choose(user, "table-series", "outdoor")
    await _until(
        lambda: {r["series_id"] for r in _rows(user, "table-rows")} == {"outdoor"}, "one series"
    )
    for _ in range(3):  # 360 points of outdoor: pages of 100, the fourth holds 60
        user.find(marker="table-next").click()
        await asyncio.sleep(0.2)
    await user.should_see("Rows 301–360", retries=SEEN)
    assert not _one(user, "table-next").enabled
    assert {k: _board(shared, ada.id)[0][k] for k in ("series", "page_size", "page")} == {
        "series": "outdoor",
        "page_size": 100,
        "page": 3,
    }

    await user.open("/explore")  # the card opens where it was left
    await user.should_see("Rows 301–360", retries=SEEN)


def _grid_order(user: User) -> list[str]:
    """The cards' ids in the board's order; none while the page is still being drawn (its
    response may come before the board: see ``_until``)."""
    grid = _one(user, "board")
    if grid is None:
        return []
    return [m[len("card-") :] for c in grid.default_slot.children for m in c._markers]


@pytest.mark.asyncio
async def test_the_layout_is_kept_for_the_user_alone(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    bob = shared.accounts.register("bob@example.com", "correct horse battery")
    await _explore(user, "ada@example.com")
    a = await _add(user, shared, ada, "table", "sensors")
    b = await _add(user, shared, ada, "aggregates", "sensors")
    c = await _add(user, shared, ada, "quality", "sensors")

    def ids() -> list[str]:
        return [card["id"] for card in _board(shared, ada.id)]

    user.find(marker=f"later-{a}").click()
    await _until(lambda: ids() == [b, a, c], "a moved later")
    await _until(lambda: _grid_order(user) == [b, a, c], "a shown later")
    user.find(marker=f"wider-{b}").click()
    await _until(lambda: _board(shared, ada.id)[0]["width"] == DEFAULT_WIDTH + 1, "b wider")
    user.find(marker=f"wider-{b}").click()
    await _until(lambda: _board(shared, ada.id)[0]["width"] == DEFAULT_WIDTH + 2, "b wider")
    user.find(marker=f"taller-{c}").click()
    await _until(
        lambda: _board(shared, ada.id)[2]["height"] == DEFAULT_HEIGHT + HEIGHT_STEP, "c taller"
    )
    # the native resize handle let go at 300 × 600 px in a 1200 px grid
    user.find(marker=f"card-{c}").trigger("mouseup", {"width": 300, "height": 600, "grid": 1200})
    await _until(lambda: _board(shared, ada.id)[2]["height"] == 600, "c resized by hand")
    assert _board(shared, ada.id)[2]["width"] == 3
    # dragged by its handle from the end to the front
    grid = _one(user, "board")
    card = _one(user, f"card-{c}")
    user.find(marker="board").trigger(
        "sortend",
        {"item_id": card.id, "from_id": grid.id, "to_id": grid.id, "old_index": 2, "new_index": 0},
    )
    await _until(lambda: ids() == [c, b, a], "c dragged to the front")
    user.find(marker=f"close-{a}").click()
    await _until(lambda: ids() == [c, b], "a closed")
    await _until(lambda: _grid_order(user) == [c, b], "a gone from the page")

    await user.open("/explore")
    await _until(lambda: _grid_order(user) == [c, b], "the layout after a reload")
    styles = [_one(user, f"card-{i}")._style for i in (c, b)]
    assert styles[0]["grid-column"] == "span 3 / span 3" and styles[0]["height"] == "600px"
    assert styles[1]["grid-column"] == "span 8 / span 8"
    assert _board(shared, bob.id) == []

    user.find("Sign out").click()
    await _explore(user, "bob@example.com")
    await user.should_see(marker="board-empty")
    assert _one(user, f"card-{c}") is None


@pytest.mark.asyncio
async def test_a_full_board_refuses_another_card(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    full = [{"id": f"c{i}", "type": "nothing", "dataset": None} for i in range(24)]
    shared.accounts.preferences.update(ada.id, board=full)
    await _explore(user, "ada@example.com")
    await user.should_see("There is no 'nothing' card", retries=SEEN)
    _choose(user, "add-type", "table")
    user.find(marker="add-card").click()
    await user.should_see("The board was not saved: a board holds at most 24 cards", retries=SEEN)
    assert [c["id"] for c in _board(shared, ada.id)] == [c["id"] for c in full]
    assert len(_grid_order(user)) == 24


@pytest.mark.asyncio
async def test_a_deleted_datasets_card_says_so(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "sensors")
    await _until(lambda: _rows(user, "table-rows"), "the table")
    Actions(shared, ada, None).delete("sensors")  # as from another tab
    await user.should_see("dataset sensors no longer exists", retries=SEEN)
    assert _one(user, "table-rows") is None
    await user.open("/explore")
    await user.should_see("dataset sensors no longer exists", retries=SEEN)


@pytest.mark.asyncio
async def test_a_change_made_elsewhere_redraws_the_card(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", "correct horse battery")
    shared.accounts.grant(None, ada.id, MS_PER_HOUR)
    actions = Actions(shared, ada, None)
    actions.upload([SAMPLE], "live", IngestOptions(), "first", SAMPLE.stat().st_size)
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "quality", "live")

    def rows() -> object:
        return {r["what"]: r["value"] for r in _rows(user, "quality-summary")}.get("Rows")

    await _until(lambda: rows() == 1080, "the first profile")
    more = tmp_path / "more.csv"
    more.write_text(
        "timestamp,sensor,temperature,humidity\n"
        + "".join(f"2024-01-16T06:0{i}:00Z,greenhouse-9,20.5,60\n" for i in range(10))
    )
    actions.upload([more], "live", IngestOptions(), "second", more.stat().st_size)
    await _until(lambda: rows() == 1090, "the profile of the new version")
    await _until(
        lambda: {r["what"]: r["value"] for r in _rows(user, "quality-summary")}["Series"] == 4,
        "the new series",
    )


@pytest.mark.asyncio
async def test_a_link_opens_my_dataset_and_never_anothers(web: tuple[User, Services]) -> None:
    user, shared = web
    ada, _ = _sensors(shared)
    bob = shared.accounts.register("bob@example.com", "correct horse battery")
    await _explore(user, "ada@example.com", "/explore?dataset=sensors")
    (card,) = await _until(lambda: _board(shared, ada.id), "the opened card")
    assert card["dataset"] == "sensors" and card["type"] == opening_kind(kinds())
    await user.should_see(marker=f"card-{card['id']}")
    await user.open("/explore?dataset=sensors")  # the board is not empty: nothing is added
    await user.should_see(marker=f"card-{card['id']}", retries=SEEN)
    await asyncio.sleep(0.3)
    assert len(_board(shared, ada.id)) == 1

    user.find("Sign out").click()
    await _explore(user, "bob@example.com", "/explore?dataset=sensors")
    await user.should_see("Cannot open sensors", retries=SEEN)
    await user.should_see(marker="board-empty")
    assert _board(shared, bob.id) == []
    assert _one(user, f"card-{card['id']}") is None


@pytest.mark.asyncio
async def test_a_card_on_a_dataset_without_data_says_so(web: tuple[User, Services]) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", "correct horse battery")
    Actions(shared, ada, None).create("empty")
    await _explore(user, "ada@example.com")
    for kind in ("table", "aggregates", "quality"):
        card = await _add(user, shared, ada, kind, "empty")

        def explained(card: str = card) -> bool:
            problem = _one(user, "card-problem")
            if problem is None or problem.text != "dataset 'empty' holds no data yet":
                return False
            return f"card-{card}" in {m for a in problem.ancestors() for m in a._markers}

        await _until(explained, f"the {kind} card's explanation")
        user.find(marker=f"close-{card}").click()
        await _until(lambda: _one(user, "card-problem") is None, "the card closed")


@pytest.mark.asyncio
async def test_two_tabs_keep_each_others_cards(web: tuple[User, Services]) -> None:
    """Each tab changes the board as stored, not its own copy: no tab loses another's card."""
    user, shared = web
    ada, _ = _sensors(shared)
    await _explore(user, "ada@example.com")
    first = await _add(user, shared, ada, "table", "sensors")
    other = User(user.http_client)  # a second tab of the same browser: the same session
    await other.open("/explore")
    await other.should_see(marker=f"card-{first}", retries=SEEN)

    def ids() -> list[str]:
        return [card["id"] for card in _board(shared, ada.id)]

    second = await _add(other, shared, ada, "quality", "sensors")
    third = await _add(user, shared, ada, "aggregates", "sensors")  # this tab never saw second
    assert ids() == [first, second, third]
    await _until(lambda: _grid_order(user) == [first, second, third], "the other tab's card")
    await _until(lambda: _rows(user, "quality-summary"), "its content drawn here too")

    other.find(marker=f"later-{first}").click()  # the other tab does not know third yet
    await _until(lambda: ids() == [second, first, third], "first moved, third kept")
    await _until(lambda: _grid_order(other) == [second, first, third], "third shown there")
    user.find(marker=f"close-{second}").click()
    await _until(lambda: ids() == [first, third], "second closed")
    await _until(lambda: _grid_order(user) == [first, third], "second gone here")


# -- pages by key ----------------------------------------------------------------------------------

WRITES = (("b", 2, 9), ("a", 1, 7), ("c", 1, 5), ("b", 0, 8), ("a", 3, 6), ("ab", 0, 4))
"""Writes of (series, day, points): out of time order, series split over writes."""
MIXED = sum(points for _, _, points in WRITES)


def _written(mine: Variosync, tmp_path: Path) -> Variosync:
    """``mine`` holding ``mixed``: six writes, out of time order, times with fractions."""
    for number, (series, day, points) in enumerate(WRITES):
        path = tmp_path / f"w{number}.csv"
        lines = [
            f"2024-01-{10 + day:02d}T{h:02d}:30:00.25Z,{series},{number}.{h}" for h in range(points)
        ]
        path.write_text("timestamp,sensor,value\n" + "\n".join(lines) + "\n")
        mine.ingest([path], "mixed", IngestOptions())
    return mine


Rows = list[tuple[Any, ...]]


def _walk(mine: Variosync, series: str, size: int, as_of: int | None = None) -> list[Rows]:
    """Every page forward from the first; each page before a page's start checked to be the
    page walked before it."""
    pages: list[Rows] = []
    starts: list[Key | None] = []
    start: Key | None = None
    while True:
        page = page_from(mine, "mixed", series, size, start, as_of)
        pages.append(page.rows.rows())
        starts.append(start)
        if page.following is None:
            break
        start = page.following
    for number in range(len(pages) - 1, 0, -1):
        first = starts[number]
        assert first is not None
        before = page_before(mine, "mixed", series, size, first, as_of)
        assert before.rows.rows() == pages[number - 1]
    return pages


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Variosync]:
    root = tmp_path_factory.mktemp("mixed")
    with Variosync(Settings(home=root / "home", profile_on_write=False)) as service:
        yield _written(service, root)


@pytest.mark.parametrize("series", ["", "a", "ab", "b", "c"])
@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_pages_by_key_are_the_sorted_querys_pages(mixed: Variosync, series: str, size: int) -> None:
    chosen = Query(series=(series,) if series else ())
    pages = _walk(mixed, series, size)
    assert [row for page in pages for row in page] == mixed.query("mixed", chosen).rows()
    assert all(len(page) == size for page in pages[:-1]) and 0 < len(pages[-1]) <= size
    old = [row for page in _walk(mixed, series, size, as_of=2) for row in page]
    assert old == mixed.query("mixed", chosen, as_of=2).rows()


@pytest.mark.asyncio
async def test_the_table_pages_by_key_forward_and_back(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = shared.accounts.register("ada@example.com", "correct horse battery")
    mine = _written(shared.service.as_owner(ada.id), tmp_path)
    everything = mine.query("mixed").get_column("value").to_list()
    await _explore(user, "ada@example.com")
    await _add(user, shared, ada, "table", "mixed")
    await _until(lambda: len(_rows(user, "table-rows")) == 25, "the first page")
    _choose(user, "table-size", 10)
    await user.should_see("Rows 1–10", retries=SEEN)

    def values() -> list[Any]:
        return [r["value"] for r in _rows(user, "table-rows")]

    seen = [values()]
    for page in range(1, 4):
        user.find(marker="table-next").click()
        last = min(MIXED, 10 * page + 10)
        await user.should_see(f"Rows {10 * page + 1}–{last}", retries=SEEN)
        seen.append(values())
    assert [v for page in seen for v in page] == everything
    assert not _one(user, "table-next").enabled
    assert _rows(user, "table-rows")[0]["ts"] == "2024-01-12 05:30:00.25"  # fractions shown

    await user.open("/explore")  # the card opens on the page it was left on
    await user.should_see(f"Rows 31–{MIXED}", retries=SEEN)
    for page in (2, 1, 0):
        user.find(marker="table-previous").click()
        await user.should_see(f"Rows {10 * page + 1}–{10 * page + 10}", retries=SEEN)
        assert values() == seen[page]
    assert not _one(user, "table-previous").enabled
