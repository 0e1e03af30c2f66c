"""Tokenizer and parser for derived-field formulas: text → a small AST of frozen dataclasses.

The grammar, lowest precedence first (``compile_expression`` in ``clean.expr`` documents the
values and functions)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?     non-associative
    sum     := product (('+' | '-') product)*
    product := unary (('*' | '/' | '%') unary)*
    unary   := ('-' | '+') unary | power
    power   := primary ('**' unary)?                                   right-associative
    primary := number | string | 'true' | 'false' | name '(' args? ')' | name | `quoted name`
             | '(' expr ')'

The parser climbs precedence levels (one frame per level, not per rule). Left-associative runs
(``a + b - c``, ``p and q and r``) become one flat ``Chain``, so a long formula needs no deep
recursion anywhere; every real nesting (parentheses, calls, prefix operators, the right side of
``**``) counts towards ``MAX_DEPTH``. Nothing here evaluates anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from variosync.errors import UsageError

MAX_LENGTH = 1000
MAX_DEPTH = 50
KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
# How tightly each binary operator binds; prefix 'not' sits at _NOT, unary minus at _UNARY.
_BINDING = {"or": 1, "and": 2, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "**": 8}
_BINDING.update(dict.fromkeys(COMPARISONS, 4))
_NOT, _UNARY = 3, 7
_LEFT = frozenset({"or", "and", "+", "-", "*", "/", "%"})

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<quoted>`(?:[^`]|``)*`)
    |(?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
    |(?P<op>\*\*|==|!=|<=|>=|[-+*/%<>(),])""",
    re.VERBOSE | re.ASCII,
)
# Operators people bring from other languages, and what to write instead.
_INSTEAD = {"=": "==", "&": "and", "|": "or", "!": "not", "^": "**", "[": "(", "]": ")"}


def fail(text: str, detail: str, pos: int, hint: str | None = None) -> UsageError:
    """A UsageError that quotes the (shortened) formula and points at a character offset."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return UsageError(f"expression {shown!r}: {detail} at position {pos}", hint=hint)


@dataclass(frozen=True)
class Token:
    """One lexeme: kind is num, name, quoted, str, op or end; start/end are character offsets."""

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Num:
    """A number literal: an int when written without '.' or exponent."""

    value: int | float
    start: int
    end: int


@dataclass(frozen=True)
class Str:
    """A quoted string literal."""

    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false``."""

    value: bool
    start: int
    end: int


@dataclass(frozen=True)
class Field:
    """A reference to a column of the frame."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Unary:
    """``-x``, ``+x`` or ``not x``."""

    op: str
    operand: Node
    start: int
    end: int


@dataclass(frozen=True)
class Binary:
    """A comparison or ``**``: exactly two operands."""

    op: str
    left: Node
    right: Node
    op_pos: int
    start: int
    end: int


@dataclass(frozen=True)
class Chain:
    """A left-associative run: ``first``, then (operator, its position, operand) triples."""

    first: Node
    rest: tuple[tuple[str, int, Node], ...]
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    """``name(args...)``; whether the name is a known function is decided by the compiler."""

    name: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Num | Str | Bool | Field | Unary | Binary | Chain | Call


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token at ``len(text)``."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _bad_character(text, pos)
        kind = match.lastgroup or "op"
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos, match.end()))
        pos = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _bad_character(text: str, pos: int) -> UsageError:
    char = text[pos]
    if char == "`":
        return fail(text, "unterminated `quoted name`", pos, "close the name with a backtick")
    if char in "'\"":
        return fail(text, "unterminated string", pos, f"close the string with {char}")
    if char in _INSTEAD:
        return fail(text, f"unexpected {char!r}", pos, f"write {_INSTEAD[char]!r} instead")
    hint = "write field names with other characters in backticks: `air temp`"
    return fail(text, f"unexpected character {char!r}", pos, hint)


def parse(text: str) -> Node:
    """Parse a formula into its AST, raising UsageError for anything that is not one."""
    if not isinstance(text, str):
        raise UsageError(f"expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise UsageError(
            f"expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})",
            hint="split it into several derived fields",
        )
    if not text.strip():
        raise UsageError("expression is empty", hint="write a formula such as 'close - open'")
    return _Parser(text).parse()


class _Parser:
    """Precedence climbing over the tokens: one Python frame per operator level, not per rule.

    That keeps the stack shallow (about four frames per level of nesting), so ``MAX_DEPTH``
    levels stay far from Python's recursion limit.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def parse(self) -> Node:
        node = self._expr(0)
        token = self._peek()
        if token.kind != "end":
            if token.text == ")":
                raise fail(self.text, "unexpected ')'", token.start, "no '(' is open here")
            hint = "is an operator missing before it?"
            raise fail(self.text, f"unexpected {token.text!r}", token.start, hint)
        return node

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def _at(self, *texts: str) -> bool:
        token = self._peek()
        return token.kind in ("op", "name") and token.text in texts

    @contextmanager
    def _nested(self, token: Token) -> Iterator[None]:
        """Count one level of nesting; refuse before Python's own recursion limit is near."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            hint = "split the formula into several derived fields"
            raise fail(self.text, f"nesting deeper than {MAX_DEPTH} levels", token.start, hint)
        yield
        self.depth -= 1

    def _expr(self, least: int) -> Node:
        """Everything up to the first binary operator that binds looser than ``least``."""
        left = self._operand(least)
        run: list[tuple[str, int, Node]] = []  # the left-associative run being collected
        compared = False
        while True:
            op = self._peek()
            power = _BINDING.get(op.text, 0) if op.kind in ("op", "name") else 0
            if power == 0 or power < least:
                return _chain(left, run)
            self._take()
            if run and _BINDING[run[0][0]] != power:
                left, run = _chain(left, run), []
            if op.text in _LEFT:
                run.append((op.text, op.start, self._expr(power + 1)))
                continue
            left, run = _chain(left, run), []
            if op.text == "**":
                with self._nested(op):
                    right = self._expr(power)  # right-associative: 2**3**2 is 2**(3**2)
            elif compared:
                hint = "join comparisons with 'and': a < b and b < c"
                raise fail(self.text, "comparisons cannot be chained", op.start, hint)
            else:
                right, compared = self._expr(power + 1), True
            left = Binary(op.text, left, right, op.start, left.start, right.end)

    def _operand(self, least: int) -> Node:
        """A value, possibly behind prefix operators: ``-x``, ``+x``, ``not x``."""
        token = self._peek()
        is_not = token.kind == "name" and token.text == "not"
        if is_not and least > _NOT:
            raise fail(self.text, "expected a value, found 'not'", token.start, "add parentheses")
        if not (is_not or (token.kind == "op" and token.text in ("-", "+"))):
            return self._primary()
        self._take()
        with self._nested(token):
            operand = self._expr(_NOT if is_not else _UNARY)
        return Unary(token.text, operand, token.start, operand.end)

    def _expect_close(self, opened: Token) -> Token:
        if not self._at(")"):
            token = self._peek()
            found = "the end" if token.kind == "end" else repr(token.text)
            detail = f"expected ')' to close {opened.text!r} from position {opened.start}"
            raise fail(self.text, f"{detail}, found {found}", token.start)
        return self._take()

    def _primary(self) -> Node:
        token = self._take()
        if token.kind == "num":
            return Num(_number(self.text, token), token.start, token.end)
        if token.kind == "str":
            value = token.text[1:-1].replace(token.text[0] * 2, token.text[0])
            return Str(value, token.start, token.end)
        if token.kind == "quoted":
            name = token.text[1:-1].replace("``", "`")
            if not name:
                raise fail(self.text, "empty `quoted name`", token.start)
            return Field(name, token.start, token.end)
        if token.kind == "name" and token.text in ("true", "false"):
            return Bool(token.text == "true", token.start, token.end)
        if token.kind == "name" and token.text not in KEYWORDS:
            if self._at("("):
                return self._call(token)
            return Field(token.text, token.start, token.end)
        if token.text == "(":
            with self._nested(token):
                inner = self._expr(0)
                self._expect_close(token)
            return inner
        found = "" if token.kind == "end" else f", found {token.text!r}"
        raise fail(self.text, f"expected a value{found}", token.start)

    def _call(self, name: Token) -> Call:
        opened = self._take()
        args: list[Node] = []
        with self._nested(opened):
            if not self._at(")"):
                args.append(self._expr(0))
                while self._at(","):
                    self._take()
                    args.append(self._expr(0))
            close = self._expect_close(opened)
        return Call(name.text, tuple(args), name.start, close.end)


def _chain(first: Node, run: list[tuple[str, int, Node]]) -> Node:
    return Chain(first, tuple(run), first.start, run[-1][2].end) if run else first


def _number(text: str, token: Token) -> int | float:
    # Up to 18 digits always fits in Int64; longer integers are read as floats.
    if token.text.isdigit() and len(token.text) <= 18:
        return int(token.text)
    value = float(token.text)
    if value == float("inf"):
        raise fail(text, f"number {token.text} is too large", token.start)
    return value
