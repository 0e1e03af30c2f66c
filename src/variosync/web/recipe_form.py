"""The recipe builder's form: each cleaning operation's parameters, read from its specification
(``clean.spec.OPERATIONS``, the one place operations are declared), the kind of input each
needs, the conversions between what the inputs hold and a recipe step — the plain data a
recipe file holds — and ``RecipeForm``, which draws the steps as cards (add, pick the operation,
fill the parameters, move, remove) beside the recipe's JSON, both ways. A new operation or
parameter appears in the form without a change here.

A step keeps only the parameters that differ from their defaults, as a recipe file would: an
outlier step left at ``k = 1.5`` does not send ``k``, which a z-score step would refuse.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from nicegui import ui
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from variosync.clean.recipe import Recipe, parse_recipe, recipe_from_text
from variosync.clean.spec import OPERATIONS
from variosync.errors import UsageError
from variosync.web.frame import failed

Source = Literal["fields", "series"]


class Input(StrEnum):
    """The kind of input a parameter is filled with."""

    CHOICE = "choice"
    """One of a closed set of words (a select)."""
    FLAG = "flag"
    """Yes or no (a checkbox)."""
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    """Free text: a duration, a zone, an expression, a field's name, an ISO 8601 time."""
    NAMES = "names"
    """Several field (or series) names (a select that takes new names too)."""
    SCALAR = "scalar"
    """A number, true/false or text: read as JSON when it parses (as ``--op`` reads values)."""
    JSON = "json"
    """Mappings and lists of objects (``agg``, ``where``, ``rename``'s fields), as JSON text."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation, as the form shows it."""

    name: str
    input: Input
    required: bool
    default: Any
    """The default as recipe data; None where there is none (or it is 'none')."""
    choices: tuple[str, ...] = ()
    source: Source | None = None
    """Where a NAMES input (or a field-name TEXT input) finds its suggestions."""

    @property
    def label(self) -> str:
        """The input's label: the parameter's own name, as a recipe file spells it."""
        return f"{self.name} *" if self.required else self.name

    def blank(self) -> Any:
        """What the input holds for a new step: the default."""
        return self.shown(self.default)

    def shown(self, value: Any) -> Any:
        """What the input holds for ``value`` (recipe data; None: not given)."""
        if self.input is Input.FLAG:
            return bool(value)
        if self.input is Input.NAMES:
            return list(value or [])
        if self.input in (Input.CHOICE, Input.INTEGER, Input.NUMBER):
            return value
        if value is None or (self.input is Input.JSON and value == self.default):
            return ""
        if self.input is Input.JSON:
            return json.dumps(value, ensure_ascii=False)
        if self.input is Input.SCALAR and not (isinstance(value, str) and not _parses(value)):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def read(self, raw: Any, number: int, op: str) -> Any:
        """The recipe value an input holds, None when left empty; UsageError naming the step
        and the parameter for text that is not the JSON it has to be."""
        if self.input is Input.FLAG:
            return bool(raw)
        if raw is None:
            return None
        if self.input is Input.NAMES:
            names = raw.split(",") if isinstance(raw, str) else list(raw)
            return [str(n).strip() for n in names if str(n).strip()] or None
        if self.input in (Input.INTEGER, Input.NUMBER):
            return _number(raw, self.input is Input.INTEGER)
        text = str(raw).strip()
        if not text:
            return None
        if self.input is Input.SCALAR:
            return json.loads(text) if _parses(text) else text
        if self.input is Input.JSON:
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise UsageError(
                    f"recipe step {number} ({op}): parameter {self.name!r}: not valid JSON "
                    f"({exc.msg} at column {exc.colno})",
                    hint=_JSON_EXAMPLES.get(self.name, "write it as JSON"),
                ) from None
        return text


_JSON_EXAMPLES = {
    "agg": 'e.g. {"temp": "mean", "rain": "sum"}',
    "where": 'e.g. [{"field": "temp", "cmp": ">", "value": 0}]',
    "fields": 'e.g. {"old name": "new name"}',
}


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def _number(raw: Any, integer: bool) -> Any:
    """A number input's value as recipe data: whole numbers as int for an int parameter (a
    fraction goes on, for the step's check to refuse by name)."""
    if isinstance(raw, str):
        try:
            raw = float(raw) if raw.strip() else None
        except ValueError:
            return raw.strip()
    if isinstance(raw, float) and integer and raw.is_integer():
        return int(raw)
    return raw


def _input(name: str, annotation: Any) -> tuple[Input, tuple[str, ...], Source | None]:
    """The input for a parameter's type (None and constraints taken off)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
        return _input(name, args[0])
    if get_origin(annotation) is Annotated:
        return _input(name, args[0])
    if get_origin(annotation) is Literal:
        return Input.CHOICE, tuple(str(a) for a in get_args(annotation)), None
    if get_origin(annotation) is list and args == [str]:
        return Input.NAMES, (), "series" if name.startswith("series") else "fields"
    simple = {bool: Input.FLAG, int: Input.INTEGER, float: Input.NUMBER, datetime: Input.TEXT}
    if annotation in simple:
        return simple[annotation], (), None
    if annotation is str:
        return Input.TEXT, (), "fields" if name == "field" else None
    if get_origin(annotation) in (Union, types.UnionType):
        return Input.SCALAR, (), None  # Scalar, or rolling's "points or a duration"
    return Input.JSON, (), None


def _parameter(name: str, info: FieldInfo) -> Parameter:
    kind, choices, source = _input(name, info.annotation)
    if info.default is not PydanticUndefined:
        default = info.default
    elif info.default_factory is not None:
        default = info.default_factory()  # type: ignore[call-arg]
    else:
        default = None
    return Parameter(name, kind, info.is_required(), default, choices, source)


@cache
def parameters(op: str) -> tuple[Parameter, ...]:
    """The parameters of an operation, in the order its specification declares them."""
    fields = OPERATIONS[op].model_fields
    return tuple(_parameter(name, info) for name, info in fields.items() if name != "op")


def summary(op: str) -> str:
    """The first line of the operation's description."""
    return (OPERATIONS[op].__doc__ or op).strip().splitlines()[0].replace("``", "")


@dataclass
class StepDraft:
    """One step as the form holds it: the operation and what each input holds."""

    op: str
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, op: str) -> StepDraft:
        """A new step of ``op``, its inputs at their defaults."""
        return cls(op, {p.name: p.blank() for p in parameters(op)})

    @classmethod
    def of(cls, step: dict[str, Any]) -> StepDraft:
        """The form of a (valid) recipe step."""
        op = str(step["op"])
        return cls(op, {p.name: p.shown(step.get(p.name, p.default)) for p in parameters(op)})

    def step(self, number: int) -> dict[str, Any]:
        """The recipe step: the operation and the parameters given (defaults left out)."""
        data: dict[str, Any] = {"op": self.op}
        for parameter in parameters(self.op):
            value = parameter.read(self.raw.get(parameter.name), number, self.op)
            if value is not None and value != parameter.default:
                data[parameter.name] = value
        return data


def steps(drafts: list[StepDraft]) -> list[dict[str, Any]]:
    """The recipe steps of the form, unchecked (what the JSON view shows)."""
    return [draft.step(number) for number, draft in enumerate(drafts, start=1)]


def recipe(drafts: list[StepDraft]) -> Recipe:
    """The form's recipe, checked: UsageError naming the step and parameter at fault."""
    return parse_recipe(steps(drafts))


def to_json(drafts: list[StepDraft]) -> str:
    """The form as a recipe file's JSON."""
    return json.dumps(steps(drafts), indent=2, ensure_ascii=False)


def from_recipe(checked: Recipe) -> list[StepDraft]:
    """The form of a checked recipe."""
    return [StepDraft.of(step) for step in checked.to_list()]


class RecipeForm:
    """The steps being built, one card each, and the recipe as JSON (shown from the form, or
    loaded into it). ``fields`` and ``series`` are the chosen dataset's, for suggestions."""

    def __init__(self) -> None:
        self.drafts: list[StepDraft] = []
        self.fields: list[str] = []
        self.series: list[str] = []
        self.labels = {op: f"{op} — {summary(op)}" for op in OPERATIONS}
        with ui.row().classes("items-end gap-2"):
            self.adding = ui.select(self.labels, value="drop_duplicates", label="Operation")
            self.adding.classes("w-96").mark("new-op")
            ui.button("Add step", icon="add", on_click=self._add).mark("add-step")
        self.cards = ui.column().classes("w-full gap-2").mark("steps")
        with ui.expansion("Recipe as JSON", icon="data_object").classes("w-full"):
            self.text = ui.textarea(placeholder='[{"op": "drop_duplicates"}]')
            self.text.props("autogrow").classes("w-full font-mono").mark("recipe-json")
            with ui.row():
                ui.button("Show the form as JSON", on_click=self._show_json).mark("to-json")
                ui.button("Load this JSON into the form", on_click=self._load_json).mark(
                    "from-json"
                )
        self.draw()

    def recipe(self) -> Recipe:
        """The form's recipe, checked (UsageError naming the step and parameter at fault)."""
        return recipe(self.drafts)

    def draw(self) -> None:
        """Draw the steps again (after one is added, moved, removed or changes operation)."""
        self.cards.clear()
        with self.cards:
            if not self.drafts:
                ui.label("No steps yet: pick an operation and add it.").classes("text-gray-500")
            for index, draft in enumerate(self.drafts):
                self._card(index, draft)

    def _card(self, index: int, draft: StepDraft) -> None:
        number = index + 1
        with ui.card().classes("w-full gap-1"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(f"{number}.").classes("text-lg")
                chosen = ui.select(self.labels, value=draft.op, label="Operation").classes("w-96")
                chosen.on_value_change(lambda e, i=index: self._change(i, e.value))
                chosen.mark(f"step-{number}-op")
                ui.space()
                up = ui.button(icon="arrow_upward", on_click=lambda i=index: self._move(i, -1))
                up.props("flat dense").set_enabled(index > 0)
                up.mark(f"step-{number}-up")
                down = ui.button(icon="arrow_downward", on_click=lambda i=index: self._move(i, 1))
                down.props("flat dense").set_enabled(number < len(self.drafts))
                down.mark(f"step-{number}-down")
                remove = ui.button(icon="delete", on_click=lambda i=index: self._remove(i))
                remove.props("flat dense").mark(f"step-{number}-remove")
            with ui.row().classes("items-end gap-3"):
                for parameter in parameters(draft.op):
                    self._input(number, draft, parameter)

    def _input(self, number: int, draft: StepDraft, parameter: Parameter) -> None:
        raw = draft.raw.get(parameter.name)
        label = parameter.label
        element: ui.select | ui.checkbox | ui.number | ui.input
        if parameter.input is Input.CHOICE:
            element = ui.select(list(parameter.choices), value=raw, label=label)
            element.props["clearable"] = parameter.default is None and not parameter.required
        elif parameter.input is Input.FLAG:
            element = ui.checkbox(label, value=bool(raw))
        elif parameter.input in (Input.INTEGER, Input.NUMBER):
            element = ui.number(label, value=raw)
            if parameter.input is Input.INTEGER:
                element.props("step=1")
        elif parameter.input is Input.NAMES:
            known = self.series if parameter.source == "series" else self.fields
            options = sorted(set(known) | set(raw or []))
            element = ui.select(
                options,
                value=raw or [],
                label=label,
                multiple=True,
                new_value_mode="add-unique",
                clearable=True,
            ).props("use-chips")
            if not parameter.required:
                element.props["hint"] = "all when empty"
        else:
            suggestions = self.fields if parameter.source == "fields" else None
            element = ui.input(label, value=raw or "", autocomplete=suggestions)
            if parameter.input is Input.JSON:
                element.props["placeholder"] = _JSON_EXAMPLES.get(parameter.name, "JSON")
        if parameter.default not in (None, {}, []) and parameter.input is not Input.FLAG:
            element.tooltip(f"default: {json.dumps(parameter.default)}")
        element.classes("min-w-40").mark(f"step-{number}-{parameter.name}")
        element.on_value_change(lambda e, n=parameter.name: draft.raw.__setitem__(n, e.value))

    def _add(self) -> None:
        op = self.adding.value
        if op in OPERATIONS:
            self.drafts.append(StepDraft.new(op))
            self.draw()

    def _change(self, index: int, op: str | None) -> None:
        if op in OPERATIONS and op != self.drafts[index].op:
            self.drafts[index] = StepDraft.new(op)
            self.draw()

    def _move(self, index: int, by: int) -> None:
        other = index + by
        if 0 <= other < len(self.drafts):
            self.drafts[index], self.drafts[other] = self.drafts[other], self.drafts[index]
            self.draw()

    def _remove(self, index: int) -> None:
        del self.drafts[index]
        self.draw()

    def _show_json(self) -> None:
        try:
            self.text.value = to_json(self.drafts)
        except UsageError as exc:
            failed("Recipe", exc)

    def _load_json(self) -> None:
        try:
            loaded = recipe_from_text(self.text.value or "", "the JSON")
        except UsageError as exc:
            failed("Recipe", exc)
            return
        self.drafts = from_recipe(loaded)
        self.draw()
        ui.notify(f"Loaded {len(self.drafts)} step(s) into the form")


__all__ = [
    "Input",
    "Parameter",
    "RecipeForm",
    "StepDraft",
    "from_recipe",
    "parameters",
    "recipe",
    "steps",
    "summary",
    "to_json",
]
