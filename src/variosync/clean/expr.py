"""Derived-field formulas such as ``(high + low) / 2`` compiled into polars expressions.

Recipes, CLI flags and the API accept formulas as text; ``compile_expression`` checks one against
the frame's schema and returns a ``pl.Expr`` (name it with ``.alias``). The text is parsed by
``clean.expr_parse``, never evaluated as Python.

Values: numbers (``1``, ``2.5``, ``.5``, ``1e-3``), ``true``/``false``, strings in ``'...'`` or
``"..."`` (a doubled quote stands for itself), and fields: plain names (``close``) or any name in
backticks (```air temp```; a doubled backtick stands for itself). A function name is a function
only when ``(`` follows it, so a field may be called ``log``; a field called ``and``, ``or``,
``not``, ``true`` or ``false`` must be quoted.

Operators, loosest first: ``or``; ``and``; ``not``; ``== != < <= > >=`` (no chaining);
``+ -``; ``* / %``; unary ``- +``; ``**`` (right-associative, so ``-2**2`` is -4 and ``2**3**2``
is 512); parentheses. ``%`` is modulo with the sign of the divisor.

Types: integer fields stay Int64 under ``+ - * %``, unary minus, abs, floor, ceil, round, min,
max and diff (like polars, Int64 wraps around past ±9.2e18: write ``volume * 1.0`` to work in
floats); ``/``, ``**`` and the other functions give Float64. Any Float64 value that would be
inf, -inf or NaN (``x / 0``, ``log(0)``, a NaN in a float field) is null instead, so derived
fields never hold them and ``coalesce(x / y, 0)`` catches a zero ``y``. ``ts`` and other
date/time fields take no arithmetic; they may be compared with each other or with an ISO string
(``ts >= '2024-01-01'``, read as UTC when no offset is given). Strings compare with strings.
``and``/``or``/``not``/``if`` need Boolean values. Nulls propagate; ``if`` takes the ``else``
branch when the condition is null; ``min``/``max`` skip nulls.

Functions (``FUNCTIONS``): abs, sqrt, exp, log (natural, or ``log(x, base)``), log10, log2,
round(x, digits=0) (ties to even), floor, ceil, min(a, b, ...), max(a, b, ...) (row-wise),
prev(x, n=1), next(x, n=1), diff(x, n=1), pct_change(x, n=1), if(condition, then, else),
is_null(x), coalesce(a, b, ...). prev, next, diff and pct_change look at other rows, so they are
computed per series (``.over(series_id)``): the first n rows of each series get null and no value
crosses from one series into another. ``n`` and ``digits`` are integer literals.

Every mistake is a UsageError saying what is wrong and where (a character offset from 0), with a
hint where one helps: the closest field name, the list of functions, the usage of a function.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import assert_never

import polars as pl

from variosync.clean.expr_parse import (
    Binary,
    Bool,
    Call,
    Chain,
    Field,
    Node,
    Num,
    Str,
    Unary,
    fail,
    parse,
)
from variosync.errors import UsageError
from variosync.model import SERIES

# name -> (fewest arguments, most arguments or None for any number, usage shown in hints)
FUNCTIONS: Mapping[str, tuple[int, int | None, str]] = {
    "abs": (1, 1, "abs(x)"),
    "sqrt": (1, 1, "sqrt(x)"),
    "exp": (1, 1, "exp(x)"),
    "log": (1, 2, "log(x) or log(x, base)"),
    "log10": (1, 1, "log10(x)"),
    "log2": (1, 1, "log2(x)"),
    "round": (1, 2, "round(x) or round(x, digits)"),
    "floor": (1, 1, "floor(x)"),
    "ceil": (1, 1, "ceil(x)"),
    "min": (2, None, "min(a, b, ...)"),
    "max": (2, None, "max(a, b, ...)"),
    "prev": (1, 2, "prev(x) or prev(x, n)"),
    "next": (1, 2, "next(x) or next(x, n)"),
    "diff": (1, 2, "diff(x) or diff(x, n)"),
    "pct_change": (1, 2, "pct_change(x) or pct_change(x, n)"),
    "if": (3, 3, "if(condition, then, else)"),
    "is_null": (1, 1, "is_null(x)"),
    "coalesce": (2, None, "coalesce(a, b, ...)"),
}
MAX_DIGITS = 100

_INT, _FLOAT, _BOOL, _STR = pl.Int64(), pl.Float64(), pl.Boolean(), pl.String()
_NON_FINITE = [float("nan"), float("inf"), float("-inf")]
_ARITHMETIC: Mapping[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
}
_COMPARE: Mapping[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_FLOAT_MATH: Mapping[str, Callable[[pl.Expr], pl.Expr]] = {
    "sqrt": lambda x: x.sqrt(),
    "exp": lambda x: x.exp(),
    "log10": lambda x: x.log10(),
    "log2": lambda x: x.log(2.0),
}


def compile_expression(text: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """Compile a formula over the fields of ``schema`` into a polars expression."""
    return _Compiler(text, schema).value(parse(text)).expr


def _finite(expr: pl.Expr) -> pl.Expr:
    # replace() names each value once; pl.when or fill_nan would repeat ``expr`` in the plan,
    # which doubles its size at every nested function.
    return expr.replace(_NON_FINITE, None)


def _is_number(dtype: pl.DataType) -> bool:
    return dtype in (_INT, _FLOAT)


def _is_moment(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.Datetime) or dtype == pl.Date


def _as(value: _Value, dtype: pl.DataType) -> pl.Expr:
    return value.expr if value.dtype == dtype else value.expr.cast(dtype)


def _arity(fewest: int, most: int | None) -> str:
    if most is None:
        return f"at least {fewest} arguments"
    if fewest == most:
        return f"{fewest} argument" if fewest == 1 else f"{fewest} arguments"
    return f"{fewest} or {most} arguments"


@dataclass(frozen=True)
class _Value:
    """A compiled sub-formula: its expression, its dtype and where it is written."""

    expr: pl.Expr
    dtype: pl.DataType
    start: int
    end: int
    field: str | None = None


class _Compiler:
    """Type-checks an AST against a schema while turning it into polars expressions."""

    def __init__(self, text: str, schema: Mapping[str, pl.DataType]) -> None:
        self.text = text
        self.schema = schema

    def value(self, node: Node) -> _Value:
        match node:
            case Num(value=int() as number):
                return _Value(pl.lit(number, dtype=_INT), _INT, node.start, node.end)
            case Num(value=number):
                return _Value(pl.lit(number, dtype=_FLOAT), _FLOAT, node.start, node.end)
            case Str(value=text):
                return _Value(pl.lit(text, dtype=_STR), _STR, node.start, node.end)
            case Bool(value=flag):
                return _Value(pl.lit(flag, dtype=_BOOL), _BOOL, node.start, node.end)
            case Field():
                return self._field(node)
            case Unary():
                return self._unary(node)
            case Binary(op="**"):
                base, exponent = self._number(node.left, "'**'"), self._number(node.right, "'**'")
                power = _as(base, _FLOAT).pow(_as(exponent, _FLOAT))
                return _Value(_finite(power), _FLOAT, node.start, node.end)
            case Binary():
                return self._compare(node)
            case Chain():
                return self._chain(node)
            case Call():
                return self._call(node)
        assert_never(node)  # mypy proves the match covers every kind of node

    def _label(self, value: _Value) -> str:
        if value.field is not None:
            return f"field {value.field!r}"
        return repr(self.text[value.start : value.end])

    def _wrong_type(self, what: str, needs: str, value: _Value) -> UsageError:
        detail = f"{what} needs {needs}, not {self._label(value)} ({value.dtype})"
        return fail(self.text, detail, value.start)

    def _number(self, node: Node | _Value, what: str) -> _Value:
        """The compiled node (or an already compiled value), checked to be Int64 or Float64."""
        value = node if isinstance(node, _Value) else self.value(node)
        if not _is_number(value.dtype):
            raise self._wrong_type(what, "numbers", value)
        return value

    def _boolean(self, node: Node | _Value, what: str) -> _Value:
        """The compiled node (or an already compiled value), checked to be Boolean."""
        value = node if isinstance(node, _Value) else self.value(node)
        if value.dtype != _BOOL:
            raise self._wrong_type(what, "true/false values", value)
        return value

    def _field(self, node: Field) -> _Value:
        dtype = self.schema.get(node.name)
        if dtype is None:
            raise self._unknown_field(node)
        expr = pl.col(node.name)
        if dtype.is_integer() and dtype != _INT:
            # One integer type: small or unsigned types would wrap around on overflow.
            expr, dtype = expr.cast(_INT, strict=False), _INT
        elif dtype.is_float() or dtype.is_decimal() or dtype == pl.Null:
            expr, dtype = _finite(expr.cast(_FLOAT)), _FLOAT
        elif dtype == pl.Categorical or dtype == pl.Enum:
            expr, dtype = expr.cast(_STR), _STR
        return _Value(expr, dtype, node.start, node.end, field=node.name)

    def _unknown_field(self, node: Field) -> UsageError:
        names = list(self.schema)
        close = difflib.get_close_matches(node.name, names, n=1)
        hints = [f"did you mean {close[0]!r}?"] if close else []
        if node.name in FUNCTIONS:
            hints.append(f"{node.name} is a function: {FUNCTIONS[node.name][2]}.")
        shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
        hints.append(f"fields: {shown}")
        return fail(self.text, f"unknown field {node.name!r}", node.start, " ".join(hints))

    def _unary(self, node: Unary) -> _Value:
        if node.op == "not":
            operand = self._boolean(node.operand, "'not'")
            return _Value(~operand.expr, _BOOL, node.start, node.end)
        operand = self._number(node.operand, repr(node.op))
        expr = -operand.expr if node.op == "-" else operand.expr
        return _Value(expr, operand.dtype, node.start, node.end)

    def _chain(self, node: Chain) -> _Value:
        acc = self.value(node.first)
        for index, (op, _, operand) in enumerate(node.rest):
            last = index == len(node.rest) - 1
            if op in ("and", "or"):
                left, right = self._boolean(acc, repr(op)), self._boolean(operand, repr(op))
                expr = left.expr & right.expr if op == "and" else left.expr | right.expr
                acc = _Value(expr, _BOOL, node.start, right.end)
                continue
            left, right = self._number(acc, repr(op)), self._number(operand, repr(op))
            dtype = _INT if left.dtype == right.dtype == _INT and op != "/" else _FLOAT
            expr = _ARITHMETIC[op](_as(left, dtype), _as(right, dtype))
            # + - * keep inf and NaN non-finite, so one check at the end of a run is enough;
            # / and % can turn them back into finite numbers (1 / inf), so check right away.
            if dtype == _FLOAT and (last or op in ("/", "%")):
                expr = _finite(expr)
            acc = _Value(expr, dtype, node.start, right.end)
        return acc

    def _compare(self, node: Binary) -> _Value:
        left, right = self.value(node.left), self.value(node.right)
        if _is_moment(left.dtype) and isinstance(node.right, Str):
            right = self._moment(node.right, left.dtype)
        elif _is_moment(right.dtype) and isinstance(node.left, Str):
            left = self._moment(node.left, right.dtype)
        same = left.dtype == right.dtype and (
            left.dtype in (_BOOL, _STR) or left.dtype.is_temporal()
        )
        if not (same or (_is_number(left.dtype) and _is_number(right.dtype))):
            detail = (
                f"cannot compare {self._label(left)} ({left.dtype}) "
                f"with {self._label(right)} ({right.dtype})"
            )
            raise fail(self.text, detail, node.op_pos)
        expr = _COMPARE[node.op](left.expr, right.expr)
        return _Value(expr, _BOOL, node.start, node.end)

    def _moment(self, node: Str, dtype: pl.DataType) -> _Value:
        try:
            moment = datetime.fromisoformat(node.value)
        except ValueError:
            hint = "write it as '2024-01-31' or '2024-01-31T09:30:00+01:00'"
            detail = f"{node.value!r} is not an ISO date or time"
            raise fail(self.text, detail, node.start, hint) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        # Out of the column's range (year 1 in nanoseconds) compares as null, not as an error.
        expr = pl.lit(moment).cast(dtype, strict=False)
        return _Value(expr, dtype, node.start, node.end)

    def _call(self, node: Call) -> _Value:
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            raise self._unknown_function(node)
        fewest, most, usage = spec
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            detail = f"{node.name}() takes {_arity(fewest, most)}, got {len(node.args)}"
            raise fail(self.text, detail, node.start, f"usage: {usage}")
        name, args, what = node.name, node.args, f"{node.name}()"
        if name in ("prev", "next", "is_null", "if", "coalesce"):
            return self._any_call(node)
        if name in ("min", "max"):
            values = [self._number(arg, what) for arg in args]
            common = _INT if all(v.dtype == _INT for v in values) else _FLOAT
            exprs = [_as(v, common) for v in values]
            expr = pl.min_horizontal(exprs) if name == "min" else pl.max_horizontal(exprs)
            return _Value(expr, common, node.start, node.end)
        x = self._number(args[0], what)
        result: pl.Expr
        if name == "diff":
            n = self._count(args, f"n of {what}", 1)
            result = x.expr.diff(n).over(SERIES)
        elif name == "pct_change":
            result = x.expr.pct_change(self._count(args, f"n of {what}", 1)).over(SERIES)
        elif name == "abs":
            result = x.expr.abs()
        elif name in ("floor", "ceil", "round") and x.dtype == _INT:
            self._count(args, f"digits of {what}", 0, MAX_DIGITS)
            result = x.expr
        elif name in ("floor", "ceil"):
            result = x.expr.floor() if name == "floor" else x.expr.ceil()
        elif name == "round":
            result = x.expr.round(self._count(args, f"digits of {what}", 0, MAX_DIGITS, default=0))
        elif name == "log" and len(args) == 2:
            base = self._number(args[1], what)
            result = _as(x, _FLOAT).log(_as(base, _FLOAT))
        elif name == "log":
            result = _as(x, _FLOAT).log()
        else:
            result = _FLOAT_MATH[name](_as(x, _FLOAT))
        keeps = name in ("diff", "abs", "floor", "ceil", "round")
        dtype: pl.DataType = x.dtype if keeps else _FLOAT
        expr = _finite(result) if dtype == _FLOAT else result
        return _Value(expr, dtype, node.start, node.end)

    def _any_call(self, node: Call) -> _Value:
        """The functions that accept values of any type: prev, next, is_null, if, coalesce."""
        name, args, what = node.name, node.args, f"{node.name}()"
        if name in ("prev", "next"):
            x, n = self.value(args[0]), self._count(args, f"n of {what}", 1)
            expr = x.expr.shift(n if name == "prev" else -n).over(SERIES)
            return _Value(expr, x.dtype, node.start, node.end)
        if name == "is_null":
            return _Value(self.value(args[0]).expr.is_null(), _BOOL, node.start, node.end)
        if name == "if":
            condition = self._boolean(args[0], what)
            (then, otherwise), dtype = self._unify(args[1:], what)
            expr = pl.when(condition.expr).then(then).otherwise(otherwise)
            return _Value(expr, dtype, node.start, node.end)
        exprs, dtype = self._unify(args, what)
        return _Value(pl.coalesce(exprs), dtype, node.start, node.end)

    def _unify(self, args: Sequence[Node], what: str) -> tuple[list[pl.Expr], pl.DataType]:
        """Compile values that must share one type (all numbers, or all the same dtype)."""
        values = [self.value(arg) for arg in args]
        if all(_is_number(v.dtype) for v in values):
            dtype: pl.DataType = _INT if all(v.dtype == _INT for v in values) else _FLOAT
            return [_as(v, dtype) for v in values], dtype
        for value in values[1:]:
            if value.dtype != values[0].dtype:
                first, other = values[0], value
                detail = (
                    f"{what} needs values of one type: {self._label(first)} is "
                    f"{first.dtype} but {self._label(other)} is {other.dtype}"
                )
                raise fail(self.text, detail, value.start)
        return [v.expr for v in values], values[0].dtype

    def _count(
        self, args: Sequence[Node], what: str, least: int, most: int | None = None, default: int = 1
    ) -> int:
        """The optional second argument (``n``, ``digits``): an integer literal in range."""
        if len(args) < 2:
            return default
        arg = args[1]
        value = arg.value if isinstance(arg, Num) and isinstance(arg.value, int) else None
        if value is None or value < least or (most is not None and value > most):
            bounds = f"of at least {least}" if most is None else f"from {least} to {most}"
            detail = f"{what} must be an integer literal {bounds}"
            raise fail(self.text, detail, arg.start, "write a literal such as 1 or 5")
        return value

    def _unknown_function(self, node: Call) -> UsageError:
        if node.name in self.schema:
            hint = f"{node.name} is a field; put an operator between it and '('"
            return fail(self.text, f"{node.name!r} is not a function", node.start, hint)
        close = difflib.get_close_matches(node.name, list(FUNCTIONS), n=1)
        hint = (f"did you mean {close[0]}()? " if close else "") + "functions: "
        return fail(
            self.text, f"unknown function {node.name!r}", node.start, hint + ", ".join(FUNCTIONS)
        )
