"""The OData v2 system query options the SAP sandbox understands: ``$filter`` (eq, ne, gt, ge, lt,
le, and, or, not, parentheses; string, number, boolean, null, ``datetime'...'``, ``time'PT..'``
literals), ``$orderby``, ``$select`` and ``$expand`` (with navigation paths), and the v2 JSON shape
of an entity (``__metadata``, ``/Date(ms)/``, decimals as strings at their declared scale)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from erp_shopify_sandbox.sap.edm import duration, json_datetime, json_datetime_offset, parse_duration
from erp_shopify_sandbox.sap.partners import etag_header
from erp_shopify_sandbox.sap.schema import EntitySet, Service


class QueryError(ValueError):
    """A request SAP Gateway would refuse with 400."""


Predicate = Callable[[Any], bool]
Candidates = tuple[str, frozenset[Any]]  # only rows whose property is one of these values can match

_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<typed>(?:datetimeoffset|datetime|time|guid)'[^']*')"
    r"|(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?[mMdDlLfF]?)|(?P<word>[A-Za-z_][\w/]*))"
)
_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_CONSTANTS = {"true": True, "false": False, "null": None}


def value(row: Any, name: str) -> Any:
    """A property of a stored row: rows are dicts, or slotted objects for the high-volume journal."""
    return row.get(name) if type(row) is dict else getattr(row, name, None)


def compile_filter(text: str, entity_set: EntitySet) -> Predicate:
    return plan_filter(text, entity_set)[0]


def plan_filter(text: str, entity_set: EntitySet) -> tuple[Predicate, list[Candidates]]:
    """The filter's predicate, and sets of values of one property that every matching row must
    hold (from an ``eq``, an ``or`` of ``eq`` on one property, or such terms of an ``and``); any
    one of them, where an index exists, bounds the rows to test."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, entity_set)
    predicate = parser.disjunction()
    if parser.position != len(tokens):
        raise QueryError(f"Invalid token '{tokens[parser.position][1]}' in $filter")
    return predicate, parser.candidates.get(id(predicate), [])


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise QueryError(f"Invalid $filter near '{text[position : position + 20]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], entity_set: EntitySet) -> None:
        self.tokens, self.position, self.entity_set = tokens, 0, entity_set
        self.equalities: dict[int, tuple[str, Any]] = {}  # id(predicate) -> (property, constant) for "eq"
        self.candidates: dict[int, list[Candidates]] = {}  # id(predicate) -> values a matching row must hold

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end":
            raise QueryError("$filter ends too early")
        self.position += 1
        return token

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self._peek() == ("word", "or"):
            self._take()
            parts.append(self.conjunction())
        if len(parts) == 1:
            return parts[0]
        tests = {self.equalities.get(id(p), ("", None))[0] for p in parts}
        if len(tests) == 1 and "" not in tests:  # "Material eq 'A' or Material eq 'B' ...": a set lookup
            name, wanted = tests.pop(), {self.equalities[id(p)][1] for p in parts}
            lookup: Predicate = lambda row: value(row, name) in wanted  # noqa: E731
            self.candidates[id(lookup)] = [(name, frozenset(wanted))]
            return lookup
        return lambda row: any(p(row) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self._peek() == ("word", "and"):
            self._take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        every: Predicate = lambda row: all(p(row) for p in parts)  # noqa: E731
        self.candidates[id(every)] = [c for p in parts for c in self.candidates.get(id(p), [])]
        return every

    def unary(self) -> Predicate:
        if self._peek() == ("word", "not"):
            self._take()
            inner = self.unary()
            return lambda row: not inner(row)
        if self._peek() == ("paren", "("):
            self._take()
            inner = self.disjunction()
            if self._take() != ("paren", ")"):
                raise QueryError("Missing ')' in $filter")
            return inner
        left_token = self._peek()
        left = self.operand()
        kind, op = self._take()
        if kind != "word" or op not in _COMPARE:
            raise QueryError(f"Unsupported operator '{op}' in $filter")
        right_token = self._peek()
        predicate = _comparison(left, _COMPARE[op], self.operand())
        if op == "eq" and left_token[1] in self.entity_set.properties and right_token[0] in ("string", "typed"):
            self.equalities[id(predicate)] = (left_token[1], _literal(*right_token))
            self.candidates[id(predicate)] = [(left_token[1], frozenset([_literal(*right_token)]))]
        return predicate

    def operand(self) -> Callable[[Any], Any]:
        kind, text = self._take()
        if kind == "word" and text not in _CONSTANTS:
            if text not in self.entity_set.properties:
                raise QueryError(f"Property '{text}' not found in type '{self.entity_set.type_name}'")
            return lambda row: value(row, text)
        constant = _literal(kind, text)
        return lambda row: constant


def _comparison(
    left: Callable[[Any], Any], compare: Callable[[Any, Any], bool], right: Callable[[Any], Any]
) -> Predicate:
    def predicate(row: Any) -> bool:
        a, b = left(row), right(row)
        if a is None or b is None:
            return compare in (operator.eq, operator.ne) and compare(a, b)
        if isinstance(a, Decimal) != isinstance(b, Decimal):
            a, b = Decimal(str(a)), Decimal(str(b))
        return bool(compare(a, b))

    return predicate


def _literal(kind: str, text: str) -> Any:
    try:
        if kind == "word":
            return _CONSTANTS[text]
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return Decimal(text.rstrip("mMdDlLfF"))
        prefix, _, raw = text[:-1].partition("'")
        if prefix == "time":
            return parse_duration(raw)
        if prefix in ("datetime", "datetimeoffset"):
            return datetime.fromisoformat(raw.rstrip("Z")).replace(tzinfo=None)
        return raw
    except (ValueError, InvalidOperation):
        raise QueryError(f"Invalid literal {text} in $filter") from None


def order(rows: Sequence[Any], orderby: str, entity_set: EntitySet) -> list[Any]:
    ordered = list(rows)
    for clause in reversed([c.strip() for c in orderby.split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        if name not in entity_set.properties:
            raise QueryError(f"Property '{name}' not found in type '{entity_set.type_name}'")
        ordered.sort(key=_sort_key(name), reverse=direction.strip().lower() == "desc")
    return ordered


def _sort_key(name: str) -> Callable[[Any], tuple[bool, Any]]:
    def key(row: Any) -> tuple[bool, Any]:
        raw = value(row, name)
        return (raw is not None, raw if raw is not None else 0)

    return key


def expand_tree(expand: str, select: str) -> tuple[set[str] | None, dict[str, Any]]:
    """``$select``/``$expand`` as a tree: (selected properties or None for all, {nav: subtree})."""
    tree: dict[str, Any] = {}
    for path in filter(None, (p.strip() for p in expand.split(","))):
        node = tree
        for step in path.split("/"):
            node = node.setdefault(step, {})
    selected: set[str] | None = None
    nested: dict[str, set[str]] = {}
    for path in filter(None, (p.strip() for p in select.split(","))):
        head, _, rest = path.partition("/")
        if rest:
            nested.setdefault(head, set()).add(rest)
        else:
            selected = (selected or set()) | {path}
    return selected, {nav: (nested.get(nav), sub) for nav, sub in tree.items()}


class Serializer:
    """Rows to v2 JSON for one service, under its public root URL."""

    def __init__(self, service: Service, root: str) -> None:
        self.service, self.root = service, root.rstrip("/")

    def entity(self, entity_set: EntitySet, row: Any, selected: set[str] | None, expanded: dict[str, Any]) -> dict:
        uri = f"{self.root}/{entity_set.name}({self.key_predicate(entity_set, row)})"
        out: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": entity_set.type_name}}
        if "ETag" in entity_set.properties and value(row, "ETag"):  # what a PATCH sends back in If-Match
            out["__metadata"]["etag"] = etag_header(row)
        for name, prop in entity_set.properties.items():
            if selected is None or name in selected:
                out[name] = _json(prop.edm_type, prop.scale, value(row, name))
        for nav, (target, many) in entity_set.navigation.items():
            if nav not in expanded:
                if selected is None or nav in selected:
                    out[nav] = {"__deferred": {"uri": f"{uri}/{nav}"}}
                continue
            sub_selected, sub_tree = expanded[nav]
            sub_select = {s for s in sub_selected if "/" not in s} if sub_selected else None
            sub_expanded = {n: (None, t) for n, t in sub_tree.items()}
            target_set = self.service.sets[target]
            related = value(row, nav)
            if many:
                out[nav] = {"results": [self.entity(target_set, r, sub_select, sub_expanded) for r in related or []]}
            else:
                out[nav] = self.entity(target_set, related, sub_select, sub_expanded) if related is not None else None
        return out

    def key_predicate(self, entity_set: EntitySet, row: Any) -> str:
        parts = []
        for key in entity_set.keys:
            raw = value(row, key)
            literal = f"datetime'{raw.isoformat(timespec='seconds')}'" if isinstance(raw, datetime) else f"'{raw}'"
            parts.append(literal if len(entity_set.keys) == 1 else f"{key}={literal}")
        return ",".join(parts)


def _json(edm_type: str, scale: int | None, raw: Any) -> Any:
    if edm_type == "Edm.String":
        return "" if raw is None else str(raw)
    if edm_type == "Edm.Decimal":
        number = Decimal(raw if raw is not None else 0)
        return f"{number:.{scale}f}" if scale is not None else str(number)
    if edm_type == "Edm.Boolean":
        return bool(raw)
    if edm_type == "Edm.Time":
        return duration(raw if raw is not None else timedelta(0))
    if edm_type == "Edm.DateTime":
        return json_datetime(raw) if raw is not None else None
    if edm_type == "Edm.DateTimeOffset":
        return json_datetime_offset(raw) if raw is not None else None
    return raw
