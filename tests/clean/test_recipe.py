"""Recipes from JSON, YAML and --op text; every mistake named by step and parameter."""

from __future__ import annotations

import pytest

from variosync.clean.recipe import (
    describe_step,
    parse_op,
    parse_recipe,
    recipe_from_ops,
    recipe_from_text,
)
from variosync.clean.spec import OPERATIONS, FillNulls, Outliers
from variosync.errors import UsageError

YAML = """
- op: drop_duplicates
- op: fill_nulls
  method: time
  fields: [temp]
  max_gap: 3
- op: outliers
  method: zscore
  threshold: 4
  action: clip
"""


def test_yaml_and_json_give_the_same_recipe() -> None:
    from_yaml = recipe_from_text(YAML)
    from_json = recipe_from_text(from_yaml.to_json())
    assert from_yaml == from_json
    assert [type(s).__name__ for s in from_yaml.steps] == [
        "DropDuplicates",
        "FillNulls",
        "Outliers",
    ]
    step = from_yaml.steps[2]
    assert isinstance(step, Outliers) and step.limit == 4.0


def test_to_list_reads_back_to_equal_steps() -> None:
    recipe = parse_recipe([{"op": "outliers", "method": "mad"}, {"op": "sort"}])
    assert parse_recipe(recipe.to_list()) == recipe
    assert parse_recipe({"steps": recipe.to_list()}) == recipe


def test_op_flags() -> None:
    assert parse_op("fill_nulls method=previous fields=a,b max_gap=2") == {
        "op": "fill_nulls",
        "method": "previous",
        "fields": "a,b",
        "max_gap": 2,
    }
    recipe = recipe_from_ops(['{"op": "clip", "lower": 0}', "fill_nulls method=mean fields=a,b"])
    step = recipe.steps[1]
    assert isinstance(step, FillNulls) and step.fields == ["a", "b"]
    assert describe_step(step) == 'fill_nulls fields=["a", "b"] method="mean"'


@pytest.mark.parametrize(
    ("steps", "message", "hint"),
    [
        ([{"op": "fillna"}], "recipe step 1: unknown operation 'fillna'", "fill_nulls"),
        ([{"method": "previous"}], "recipe step 1 has no 'op'", "operations:"),
        (
            [{"op": "sort"}, {"op": "fill_nulls", "method": "prev"}],
            "recipe step 2 (fill_nulls): parameter 'method'",
            "fill_nulls takes:",
        ),
        ([{"op": "fill_nulls"}], "parameter 'method' is required", None),
        ([{"op": "sort", "by": "ts"}], "unknown parameter 'by'", None),
        ([{"op": "fill_nulls", "method": "constant"}], "needs a value", None),
        ([{"op": "outliers", "method": "zscore", "k": 2}], "takes threshold, not k", None),
        ([{"op": "resample", "every": "fortnight"}], "invalid interval 'fortnight'", None),
        ([{"op": "clip", "fields": ["x"]}], "give lower, upper or both", None),
        ([{"op": "rename", "fields": {"x": "ts"}}], "key column", None),
        ([{"op": "filter"}], "at least one of", None),
        ([{"op": "filter", "where": [{"field": "x", "cmp": "in", "value": 3}]}], "list", None),
        ([{"op": "assume_timezone", "zone": "Mars/Olympus"}], "unknown time zone", None),
        ([], "no steps", None),
        ({"op": "sort"}, "a list of steps", None),
        (["sort"], "recipe step 1 is not an object", None),
    ],
)
def test_mistakes_are_named(steps: object, message: str, hint: str | None) -> None:
    with pytest.raises(UsageError) as caught:
        parse_recipe(steps)
    assert message in caught.value.message
    if hint is not None:
        assert hint in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("[{", "invalid JSON at line 1"),
        ("- op: sort\n  bad: [", "invalid YAML at line"),
        ("just words", "a list of steps"),
    ],
)
def test_bad_recipe_text(text: str, message: str) -> None:
    with pytest.raises(UsageError, match="recipe"):
        recipe_from_text(text)
    with pytest.raises(UsageError) as caught:
        recipe_from_text(text)
    assert message in caught.value.message


def test_bad_op_flags() -> None:
    with pytest.raises(UsageError, match="is not key=value"):
        recipe_from_ops(["fill_nulls previous"])
    with pytest.raises(UsageError, match="empty"):
        recipe_from_ops([" "])


def test_every_operation_is_documented() -> None:
    from pathlib import Path

    reference = (Path(__file__).parents[2] / "docs" / "reference.md").read_text()
    missing = [name for name in OPERATIONS if f"`{name}`" not in reference]
    assert not missing
