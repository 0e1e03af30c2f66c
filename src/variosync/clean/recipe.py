"""Recipes: ordered lists of operations, read from JSON or YAML text or from ``--op`` flags.

Every problem is reported with the step's number and operation and the parameter at fault.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from variosync.clean.spec import OPERATIONS, DisplayTimezone, Operation, Step
from variosync.errors import UsageError

MAX_STEPS = 100
_ADAPTER: TypeAdapter[Step] = TypeAdapter(Operation)


@dataclass(frozen=True)
class Recipe:
    """Validated steps, applied in order."""

    steps: tuple[Step, ...]

    def to_list(self) -> list[dict[str, Any]]:
        """The steps as plain data, as given (parse_recipe reads it back to the same steps)."""
        return [
            {"op": step_op(step)} | step.model_dump(mode="json", exclude_unset=True)
            for step in self.steps
        ]

    def to_json(self) -> str:
        """The recipe as compact JSON (stored with the version it made)."""
        return json.dumps(self.to_list(), separators=(",", ":"))

    @property
    def display_zone(self) -> str | None:
        """The zone the last ``display_timezone`` step sets, if any."""
        zones = [s.zone for s in self.steps if isinstance(s, DisplayTimezone)]
        return zones[-1] if zones else None

    def describe(self) -> list[str]:
        """One line per step: the operation and the parameters given."""
        return [describe_step(step) for step in self.steps]


def describe_step(step: Step) -> str:
    """``fill_nulls method=previous fields=temp`` — the operation and its non-default parameters."""
    data = step.model_dump(mode="json", exclude_defaults=True)
    data.pop("op", None)
    parts = [f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in data.items()]
    return " ".join([step_op(step), *parts])


def step_op(step: Step) -> str:
    """The operation's name."""
    return str(type(step).model_fields["op"].default)


def parse_recipe(data: object) -> Recipe:
    """A recipe from a list of step objects (or ``{"steps": [...]}``)."""
    if isinstance(data, dict) and set(data) == {"steps"}:
        data = data["steps"]
    if not isinstance(data, list):
        raise UsageError(
            "a recipe is a list of steps",
            hint='e.g. [{"op": "drop_duplicates"}, {"op": "fill_nulls", "method": "previous"}]',
        )
    if not data:
        raise UsageError("the recipe has no steps", hint="list at least one operation")
    if len(data) > MAX_STEPS:
        raise UsageError(f"the recipe has {len(data)} steps; at most {MAX_STEPS} are allowed")
    return Recipe(tuple(parse_step(item, number) for number, item in enumerate(data, start=1)))


def parse_step(item: object, number: int = 1) -> Step:
    """One validated step; errors name the step number, the operation and the parameter."""
    if not isinstance(item, dict):
        raise UsageError(
            f"recipe step {number} is not an object",
            hint='write each step as {"op": NAME, ...parameters}',
        )
    op = item.get("op")
    if op is None:
        raise UsageError(f"recipe step {number} has no 'op'", hint=_operations_hint())
    if not isinstance(op, str) or op not in OPERATIONS:
        close = difflib.get_close_matches(str(op), list(OPERATIONS), n=1)
        suggestion = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(
            f"recipe step {number}: unknown operation {op!r}",
            hint=suggestion + _operations_hint(),
        )
    try:
        return _ADAPTER.validate_python(item)
    except ValidationError as exc:
        raise _step_error(number, op, exc) from None


def _operations_hint() -> str:
    return f"operations: {', '.join(OPERATIONS)}"


def _step_error(number: int, op: str, exc: ValidationError) -> UsageError:
    problems: list[str] = []
    for error in exc.errors()[:3]:
        where = [str(part) for part in error["loc"][1:]]  # loc[0] is the operation's tag
        name = ".".join(where)
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown parameter {name!r}")
        elif error["type"] == "missing":
            problems.append(f"parameter {name!r} is required")
        elif name:
            problems.append(f"parameter {name!r}: {_message(error['msg'])}")
        else:
            problems.append(_message(error["msg"]))
    parameters = [p for p in OPERATIONS[op].model_fields if p != "op"]
    return UsageError(
        f"recipe step {number} ({op}): {'; '.join(problems)}",
        hint=f"{op} takes: {', '.join(parameters) or '(no parameters)'}",
    )


def _message(text: str) -> str:
    return text.removeprefix("Value error, ")


def recipe_from_text(text: str, source: str = "recipe") -> Recipe:
    """A recipe from JSON or YAML text (YAML is a superset of JSON; JSON errors are JSON's)."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise UsageError(f"{source} is empty", hint="write a list of steps")
    try:
        data = json.loads(stripped) if stripped[0] in "[{" else yaml.safe_load(stripped)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise UsageError(f"{source}: invalid YAML{where}: {problem}") from None
    try:
        return parse_recipe(data)
    except UsageError as exc:
        raise UsageError(f"{source}: {exc.message}", hint=exc.hint) from None


def parse_op(text: str) -> dict[str, Any]:
    """One ``--op``: ``NAME key=value …`` (values read as JSON when they parse) or a JSON object."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--op {text!r}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise UsageError(f"--op {text!r} is not a JSON object")
        return data
    name, *pairs = stripped.split()
    step: dict[str, Any] = {"op": name}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--op {text!r}: {pair!r} is not key=value",
                hint="e.g. --op 'fill_nulls method=previous fields=temp,humidity'",
            )
        step[key] = _value(value)
    return step


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def recipe_from_ops(ops: Sequence[str]) -> Recipe:
    """A recipe from ``--op`` flags, in order."""
    if not ops or not all(op.strip() for op in ops):
        raise UsageError("an --op is empty", hint="e.g. --op drop_duplicates")
    return parse_recipe([parse_op(op) for op in ops])
