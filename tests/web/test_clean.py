"""The clean page as a user meets it: the stored quality profile and profiling again, a recipe
built in the form (or loaded as JSON) previewed without writing and applied as one new version,
clear messages for a bad parameter and for an empty balance; and the form's translation of
every cleaning operation to recipe data and back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from nicegui import ui
from nicegui.testing import User

from tests.web.conftest import PASSWORD, SEEN
from tests.web.test_pages import _signed_in
from variosync.api.actions import Actions
from variosync.api.deps import Services
from variosync.catalog.users import User as Account
from variosync.clean.recipe import parse_recipe
from variosync.clean.spec import OPERATIONS
from variosync.errors import UsageError
from variosync.model import IngestOptions
from variosync.web.recipe_form import Input, StepDraft, parameters, to_json

ROWS = """time,series,temp
2024-01-01T00:00:00Z,a,1
2024-01-01T01:00:00Z,a,
2024-01-01T02:00:00Z,a,3
2024-01-01T02:00:00Z,a,3
2024-01-01T03:00:00Z,a,
2024-01-01T04:00:00Z,a,5
2024-01-01T00:00:00Z,b,10
2024-01-01T01:00:00Z,b,20
"""
"""Two series; series a has a duplicated row (dropped at ingest) and two nulls between values."""


def _dataset(shared: Services, tmp_path: Path, email: str = "ada@example.com") -> Account:
    """A user owning dataset ``d`` made of ROWS."""
    account = shared.accounts.register(email, PASSWORD)
    source = tmp_path / "d.csv"
    source.write_text(ROWS)
    shared.service.as_owner(account.id).ingest([source], "d", IngestOptions())
    return account


async def _open(user: User, email: str, path: str) -> None:
    await _signed_in(user, email)
    await user.open(path)


def _set(user: User, marker: str, value: Any) -> None:
    """Set an input's value as the browser would after a pick."""
    element = _only(user, marker)
    with user:
        element.value = value


def _only(user: User, marker: str) -> Any:
    (element,) = user.find(marker=marker).elements
    return element


async def _rows(user: User, marker: str, ready: Callable[[list[dict[str, Any]]], bool]) -> Any:
    """The rows of a marked table once ``ready`` says they are there."""
    await user.should_see(marker=marker, retries=SEEN)
    rows: list[dict[str, Any]] = []
    for _ in range(SEEN):
        rows = _only(user, marker).rows
        if ready(rows):
            break
        await asyncio.sleep(0.1)
    return rows


async def _add(user: User, op: str) -> None:
    _set(user, "new-op", op)
    user.find(marker="add-step").click()
    await asyncio.sleep(0)


async def _recipe(user: User) -> None:
    """drop_duplicates, then fill_nulls by linear interpolation."""
    await user.should_see(marker="profile-summary", retries=SEEN)
    await _add(user, "drop_duplicates")
    await _add(user, "fill_nulls")
    _set(user, "step-2-method", "linear")


@pytest.mark.asyncio
async def test_the_stored_profile_and_profiling_again(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _dataset(shared, tmp_path)
    mine = shared.service.as_owner(ada.id)
    record = mine.catalog.get("d")
    stored = mine.versions.get(record.id, 0)
    assert stored is not None and stored.profile is not None
    # the page shows the stored profile, not a fresh one: mark it
    mine.versions.set_profile(record.id, 0, stored.profile | {"rows": 999})

    await _open(user, "ada@example.com", "/clean?dataset=d")
    await user.should_see("999 rows in 2 series", retries=SEEN)
    issues = {r["issue"]: r["count"] for r in _only(user, "profile-issues").rows}
    assert issues["nulls"] == 2 and issues["duplicates at ingest"] == 1 and issues["gaps"] == 0
    (temp,) = _only(user, "profile-fields").rows
    assert temp["field"] == "temp" and temp["nulls"] == 2 and temp["count"] == 5
    series = {r["series"]: r for r in _only(user, "profile-series").rows}
    assert series["a"]["rows"] == 5 and series["a"]["nulls"] == 2 and series["b"]["rows"] == 2
    assert series["a"]["start"] == "2024-01-01 00:00"  # in the user's zone (UTC by default)

    user.find(marker="profile-again").click()
    await user.should_see("Profiled d again", retries=SEEN)
    await user.should_see("7 rows in 2 series")


@pytest.mark.asyncio
async def test_preview_shows_each_step_and_writes_nothing_then_apply_writes_a_version(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _dataset(shared, tmp_path)
    shared.accounts.grant(None, ada.id, 3_600_000)
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await _recipe(user)

    user.find(marker="preview").click()
    steps = await _rows(user, "result-steps", lambda rows: len(rows) == 2)
    assert [(s["step"], s["removed"], s["filled"]) for s in steps] == [(1, 0, 0), (2, 0, 2)]
    assert steps[1]["effect"] == "filled 2 values"
    await user.should_see("dry run, nothing written")
    figure = _only(user, "chart").figure
    before, after = figure["data"]
    assert (before["name"], after["name"]) == ("before", "after")
    assert before["y"] == [None, None] and after["y"] == [2.0, 4.0]
    assert after["x"] == ["2024-01-01 01:00:00", "2024-01-01 03:00:00"]
    assert mine.catalog.get("d").version == 0 and len(mine.history("d")) == 1

    user.find(marker="apply").click()
    await user.should_see(marker="cancel-apply")
    user.find(marker="cancel-apply").click()
    await asyncio.sleep(0.3)
    assert mine.catalog.get("d").version == 0

    user.find(marker="apply").click()
    await user.should_see(marker="confirm-apply")
    user.find(marker="confirm-apply").click()
    await user.should_see("Cleaned d: version 1", retries=SEEN)
    assert mine.catalog.get("d").version == 1
    cleaned = mine.query("d").filter(pl.col("series_id") == "a")
    assert cleaned["temp"].to_list() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert _only(user, "history-link").props["href"] == "/history?dataset=d"
    (event,) = shared.accounts.audit.list(action="clean")
    assert event.user_id == ada.id and event.target == "d"
    # the profile now describes the new version
    await user.should_see("d · version 1", retries=SEEN)
    issues = {r["issue"]: r["count"] for r in _only(user, "profile-issues").rows}
    assert issues["nulls"] == 0


def _runs(shared: Services, account: Account) -> int:
    """The metered runs charged to ``account`` (each settled run is audited once)."""
    return len(shared.accounts.audit.list(user_id=account.id, action="debit"))


@pytest.mark.asyncio
async def test_a_double_click_runs_each_action_once(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    """The second click of a double click reaches the page before the button is disabled in
    the browser (``trigger`` sends it whatever the button's state): it does nothing."""
    user, shared = web
    ada = _dataset(shared, tmp_path)
    shared.accounts.grant(None, ada.id, 3_600_000)
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await _recipe(user)

    user.find(marker="preview").trigger("click").trigger("click")
    await user.should_see("dry run, nothing written", retries=SEEN)
    await asyncio.sleep(0.5)
    assert _runs(shared, ada) == 1

    user.find(marker="apply").trigger("click").trigger("click")
    await user.should_see(marker="confirm-apply", retries=SEEN)
    await asyncio.sleep(0.3)
    assert len(user.find(marker="confirm-apply").elements) == 1  # one confirmation, not two
    user.find(marker="preview").trigger("click")  # while it waits: nothing runs
    user.find(marker="confirm-apply").click()
    user.find(marker="apply").trigger("click")  # while it runs: no second confirmation
    await user.should_see("Cleaned d: version 1", retries=SEEN)
    await asyncio.sleep(0.5)
    await user.should_not_see(marker="confirm-apply")
    assert mine.catalog.get("d").version == 1 and len(mine.history("d")) == 2
    assert len(shared.accounts.audit.list(action="clean")) == 1
    assert _runs(shared, ada) == 2  # the preview and the apply
    assert _only(user, "apply").enabled  # free again afterwards


@pytest.mark.asyncio
async def test_a_bad_parameter_names_the_step_and_writes_nothing(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _dataset(shared, tmp_path)
    shared.accounts.grant(None, ada.id, 3_600_000)
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await _recipe(user)
    user.find(marker="step-2-max_gap").type("0")

    message = "recipe step 2 (fill_nulls): parameter 'max_gap': Input should be greater than"
    user.find(marker="preview").click()
    await user.should_see(message, retries=SEEN)
    user.notify.messages.clear()
    user.find(marker="apply").click()
    await user.should_see(message, retries=SEEN)
    await user.should_not_see(marker="confirm-apply")
    assert mine.catalog.get("d").version == 0
    await user.should_not_see(marker="result-steps")

    await _add(user, "resample")
    user.find(marker="step-3-every").type("1h")
    user.find(marker="step-3-agg").type('{"temp": ')
    user.find(marker="preview").click()
    await user.should_see("recipe step 3 (resample): parameter 'agg': not valid JSON", retries=SEEN)


@pytest.mark.asyncio
async def test_out_of_hours_says_so_and_writes_nothing(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _dataset(shared, tmp_path)  # signed up with no hours
    mine = shared.service.as_owner(ada.id)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await _recipe(user)
    user.find(marker="preview").click()
    await user.should_see("Preview failed: clean needs about", retries=SEEN)
    user.find(marker="apply").click()
    await user.should_see(marker="confirm-apply")
    user.find(marker="confirm-apply").click()
    await user.should_see("Clean failed: clean needs about", retries=SEEN)
    assert mine.catalog.get("d").version == 0
    assert not shared.accounts.audit.list(action="clean")


@pytest.mark.asyncio
async def test_the_json_view_round_trips_and_steps_move(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    _dataset(shared, tmp_path)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await _recipe(user)
    await _add(user, "outliers")
    _set(user, "step-3-method", "zscore")
    _set(user, "step-3-action", "null")
    _set(user, "step-3-fields", ["temp"])
    user.find(marker="step-3-threshold").type("2.5")
    _set(user, "step-1-keep", "first")
    user.find(marker="step-3-up").click()  # outliers before fill_nulls
    user.find(marker="to-json").click()
    built = [
        {"op": "drop_duplicates", "keep": "first"},
        {
            "op": "outliers",
            "fields": ["temp"],
            "method": "zscore",
            "action": "null",
            "threshold": 2.5,
        },
        {"op": "fill_nulls", "method": "linear"},
    ]
    assert json.loads(_only(user, "recipe-json").value) == built

    text = json.dumps(
        [
            {"op": "round_time", "every": "1h", "mode": "round"},
            {"op": "drop_duplicates"},
            {"op": "filter", "where": [{"field": "temp", "cmp": ">", "value": 0}], "keep": False},
            {"op": "rolling", "field": "temp", "window": "2h"},
            {"op": "fill_nulls", "method": "constant", "value": 0, "max_gap": 2},
        ],
        indent=2,
    )
    _set(user, "recipe-json", text)
    user.find(marker="from-json").click()
    await user.should_see("Loaded 5 step(s) into the form")
    assert _only(user, "step-1-op").value == "round_time"
    assert _only(user, "step-1-mode").value == "round"
    assert _only(user, "step-3-keep").value is False
    assert _only(user, "step-5-max_gap").value == 2
    _set(user, "recipe-json", "")
    user.find(marker="to-json").click()
    assert _only(user, "recipe-json").value == text

    user.find(marker="step-1-remove").click()
    user.find(marker="step-2-down").click()
    user.find(marker="to-json").click()
    ops = [s["op"] for s in json.loads(_only(user, "recipe-json").value)]
    assert ops == ["drop_duplicates", "rolling", "filter", "fill_nulls"]

    _set(user, "recipe-json", '[{"op": "fill_nulls", "method": "sideways"}]')
    user.find(marker="from-json").click()
    await user.should_see("Recipe: the JSON: recipe step 1 (fill_nulls): parameter 'method'")
    assert _only(user, "step-1-op").value == "drop_duplicates"  # the form is left as it was


@pytest.mark.asyncio
async def test_only_the_chosen_series_are_cleaned(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _dataset(shared, tmp_path)
    shared.accounts.grant(None, ada.id, 3_600_000)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await _recipe(user)
    assert _only(user, "series").options == ["a", "b"]
    _set(user, "series", ["b"])  # b has no nulls
    user.find(marker="preview").click()
    await user.should_see("2 step(s) on 1 series (dry run, nothing written)", retries=SEEN)
    steps = _only(user, "result-steps").rows
    assert [s["filled"] for s in steps] == [0, 0]


@pytest.mark.asyncio
async def test_a_change_made_elsewhere_shows_without_a_reload(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    ada = _dataset(shared, tmp_path)
    shared.accounts.grant(None, ada.id, 3_600_000)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await user.should_see("d · version 0", retries=SEEN)
    recipe = [{"op": "fill_nulls", "method": "linear"}]
    Actions(shared, ada, None).clean("d", recipe, (), False, "elsewhere")  # as the API would
    await user.should_see("d · version 1", retries=SEEN)
    Actions(shared, ada, None).delete("d")
    await user.should_see("Dataset 'd' was deleted.", retries=SEEN)
    assert _only(user, "dataset").options == []


@pytest.mark.asyncio
async def test_a_dataset_deleted_unannounced_is_noticed_at_the_next_change(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    """The picked dataset went away without its own event reaching this page (deleted through
    the facade, which announces nothing): the next event, about another dataset, says so —
    and the page goes on following changes."""
    user, shared = web
    ada = _dataset(shared, tmp_path)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await user.should_see("d · version 0", retries=SEEN)
    shared.service.as_owner(ada.id).delete("d")
    Actions(shared, ada, None).create("e")
    await user.should_see("Dataset 'd' was deleted.", retries=SEEN)
    assert _only(user, "dataset").options == ["e"] and _only(user, "dataset").value is None
    Actions(shared, ada, None).create("f")
    for _ in range(SEEN):
        if _only(user, "dataset").options == ["e", "f"]:
            break
        await asyncio.sleep(0.1)
    assert _only(user, "dataset").options == ["e", "f"]


@pytest.mark.asyncio
async def test_another_users_dataset_is_not_found(
    web: tuple[User, Services], tmp_path: Path
) -> None:
    user, shared = web
    _dataset(shared, tmp_path, "bob@example.com")
    shared.accounts.register("ada@example.com", PASSWORD)
    await _open(user, "ada@example.com", "/clean?dataset=d")
    await user.should_see("No dataset named 'd' among your datasets", retries=SEEN)
    assert _only(user, "dataset").value is None and _only(user, "dataset").options == []
    await user.should_not_see(marker="profile-summary")
    await user.should_not_see(kind=ui.table)


# -- the form's translation of operations ------------------------------------------------------

EXAMPLES: dict[str, dict[str, Any]] = {
    "drop_nulls": {"op": "drop_nulls", "fields": ["temp"], "how": "all"},
    "fill_nulls": {"op": "fill_nulls", "method": "constant", "value": "n/a", "max_gap": 3},
    "drop_duplicates": {"op": "drop_duplicates", "keep": "first"},
    "sort": {"op": "sort"},
    "outliers": {"op": "outliers", "method": "mad", "action": "clip", "window": 5},
    "resample": {"op": "resample", "every": "1h", "agg": {"temp": "max"}, "default": "last"},
    "fill_gaps": {"op": "fill_gaps", "every": "15m", "method": "constant", "value": 1.5},
    "shift_time": {"op": "shift_time", "by": "-1h"},
    "round_time": {"op": "round_time", "every": "1d", "mode": "ceil"},
    "assume_timezone": {"op": "assume_timezone", "zone": "Europe/Paris", "ambiguous": "earliest"},
    "display_timezone": {"op": "display_timezone", "zone": "Asia/Tokyo"},
    "filter": {
        "op": "filter",
        "where": [{"field": "temp", "cmp": "in", "value": [1, 2]}],
        "start": "2024-01-01T00:00:00Z",
        "series_in": ["a"],
        "keep": False,
    },
    "rename": {"op": "rename", "fields": {"temp": "temperature"}},
    "drop_fields": {"op": "drop_fields", "fields": ["temp", "rain"]},
    "convert": {"op": "convert", "fields": ["temp"], "to": "string", "on_error": "null"},
    "clip": {"op": "clip", "lower": -10.0, "upper": 40.5},
    "round": {"op": "round", "decimals": -1},
    "derive": {"op": "derive", "name": "mid", "expr": "(high + low) / 2"},
    "returns": {"op": "returns", "field": "close", "name": "r", "log": True, "periods": 2},
    "diff": {"op": "diff", "field": "close", "periods": 3},
    "rolling": {"op": "rolling", "field": "temp", "stat": "max", "window": 12, "min_periods": 2},
    "scale": {"op": "scale", "method": "minmax", "suffix": "_s"},
}


def test_every_operation_has_an_example() -> None:
    assert set(EXAMPLES) == set(OPERATIONS)


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_every_operation_round_trips_through_the_form(op: str) -> None:
    step = parse_recipe([EXAMPLES[op]]).to_list()[0]
    assert StepDraft.of(step).step(1) == step
    assert all(p.input in Input for p in parameters(op))


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_a_new_step_holds_the_defaults_and_sends_none_of_them(op: str) -> None:
    draft = StepDraft.new(op)
    assert draft.step(1) == {"op": op}


def test_values_left_at_their_defaults_are_left_out() -> None:
    draft = StepDraft.new("outliers")
    draft.raw["method"] = "zscore"  # k stays 1.5 in the form, which zscore would refuse
    assert parse_recipe([draft.step(1)]).to_list() == [{"op": "outliers", "method": "zscore"}]


@pytest.mark.parametrize(
    ("op", "name", "raw", "value"),
    [
        ("fill_nulls", "value", "0", 0),
        ("fill_nulls", "value", "true", True),
        ("fill_nulls", "value", "n/a", "n/a"),
        ("fill_nulls", "value", '"1"', "1"),
        ("fill_nulls", "max_gap", 2.0, 2),
        ("rolling", "window", "5", 5),
        ("rolling", "window", "1h", "1h"),
        ("drop_fields", "fields", "a, b", ["a", "b"]),
        ("resample", "agg", '{"t": "sum"}', {"t": "sum"}),
        ("clip", "lower", 1.0, 1.0),
    ],
)
def test_inputs_read_as_recipe_values(op: str, name: str, raw: Any, value: Any) -> None:
    (parameter,) = [p for p in parameters(op) if p.name == name]
    assert parameter.read(raw, 1, op) == value
    assert parameter.read(parameter.shown(value), 1, op) == value


def test_text_that_is_not_json_names_the_step_and_parameter() -> None:
    draft = StepDraft.new("resample")
    draft.raw |= {"every": "1h", "agg": "{temp: max}"}
    with pytest.raises(UsageError, match=r"recipe step 4 \(resample\): parameter 'agg'"):
        to_json([StepDraft.new("sort")] * 3 + [draft])
