"""The ADF REST framework's ``q=`` row-match expressions (framework version 2 and later), as far as a
client of on-hand balances, price lists and orders needs them: comparisons (``=``, ``!=``, ``<>``,
``<``, ``<=``, ``>``, ``>=``, ``like`` with ``%``), ``in (...)``, ``and``/``or``/``not`` and
parentheses, string literals in single quotes (a quote doubled) and numbers. A literal that is a
date-time (``'2026-11-30T17:00:00.000+00:00'``) is compared as an instant with a date-time attribute,
whatever either side's precision or offset. Anything else is a ``RowMatchError`` (the service
answers 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><>|!=|<=|>=|=|<|>)|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


class RowMatchError(ValueError):
    """A ``q`` expression the service cannot evaluate."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise RowMatchError(f"unexpected text at {position}: {text[position : position + 20]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            out.append(("value", value[1:-1].replace("''", "'")))
        elif kind == "num":
            out.append(("value", Decimal(value)))
        elif kind == "word" and value.lower() in ("and", "or", "not", "in", "like"):
            out.append((value.lower(), value))
        else:
            out.append((kind, value))
    return out


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _instant(value: str) -> datetime | None:
    if not _INSTANT.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return False
    if isinstance(right, str) and (moment := _instant(right)) and (stamp := _instant(str(left))):
        left, right = stamp, moment
    elif isinstance(right, Decimal):
        try:
            left = Decimal(str(left))
        except InvalidOperation:
            return False
    else:
        left = str(left)
    if op == "=":
        return bool(left == right)
    if op in ("!=", "<>"):
        return bool(left != right)
    if op == "like":
        pattern = "".join(".*" if c == "%" else re.escape(c) for c in str(right))
        return re.fullmatch(pattern, str(left)) is not None
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self, kind: str) -> Any:
        if self.peek() != kind:
            raise RowMatchError(f"expected {kind} at token {self.at}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise RowMatchError(f"unexpected token at {self.at}")
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == "or":
            self.take("or")
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() == "and":
            self.take("and")
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def unary(self) -> Predicate:
        if self.peek() == "not":
            self.take("not")
            inner = self.unary()
            return lambda row: not inner(row)
        if self.peek() == "punct" and self.tokens[self.at][1] == "(":
            self.at += 1
            inner = self.disjunction()
            if self.take("punct") != ")":
                raise RowMatchError("unbalanced parentheses")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        attribute = self.take("word")
        if self.peek() == "in":
            self.take("in")
            if self.take("punct") != "(":
                raise RowMatchError("in needs a parenthesised list")
            values = [self.take("value")]
            while self.tokens[self.at] == ("punct", ","):
                self.at += 1
                values.append(self.take("value"))
            if self.take("punct") != ")":
                raise RowMatchError("unclosed in list")
            return lambda row: any(_compare(row.get(attribute), "=", v) for v in values)
        op = self.take("like") if self.peek() == "like" else self.take("op")
        value = self.take("value")
        return lambda row: _compare(row.get(attribute), op.lower(), value)


def compile_rowmatch(text: str | None) -> Predicate:
    """The predicate of a ``q`` value (every row matches when there is none)."""
    if not text or not text.strip():
        return lambda row: True
    try:
        return _Parser(text).parse()
    except IndexError:
        raise RowMatchError(f"incomplete expression: {text!r}") from None
