"""Cursor pagination and Shopify search syntax, shared by every connection the sandbox serves."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.cost import MAX_PAGE_SIZE

_TERM = re.compile(r"""\s*(?:(?P<field>[a-z_]+):(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))|(?P<op>OR))\s*""")


def connection(
    keys: Sequence[int], first: int | None, after: str | None, node_at: Callable[[int], Any], *, bulk: bool = False
) -> dict[str, Any]:
    """One page of a connection over ``keys`` (ascending ids); the cursor remembers the last key,
    so a page boundary survives inserts and removals elsewhere in the list."""
    if first is None and not bulk:
        raise GraphQLError("you must provide one of first or last")
    if not bulk and not 0 <= first <= MAX_PAGE_SIZE:  # type: ignore[operator]
        raise GraphQLError(f"connection argument `first` must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    try:
        after_key = ids.parse_cursor(after)
    except ValueError as exc:
        raise GraphQLError(str(exc)) from None
    start = bisect.bisect_right(keys, after_key)
    stop = len(keys) if bulk or first is None else min(len(keys), start + first)
    page = keys[start:stop]
    edges = [{"cursor": ids.cursor(key), "node": node_at(key)} for key in page]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": stop < len(keys),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def parse_search(query: str | None, supported: tuple[str, ...]) -> dict[str, list[str]]:
    """``sku:A OR sku:"B C"`` -> {"sku": ["A", "B C"]}. Terms are alternatives (OR); a field the
    sandbox does not search is an error rather than a silently unfiltered result."""
    terms: dict[str, list[str]] = {}
    if not query or not query.strip():
        return terms
    position = 0
    while position < len(query):
        match = _TERM.match(query, position)
        if not match or match.end() == position:
            raise GraphQLError(f"Invalid search query {query!r} near {query[position:]!r}")
        position = match.end()
        if match["op"]:
            continue
        field = match["field"]
        if field not in supported:
            raise GraphQLError(f"The sandbox searches only by {', '.join(supported)}; got {field!r} in {query!r}")
        value = next(v for v in (match["dq"], match["sq"], match["bare"]) if v is not None)
        terms.setdefault(field, []).append(value)
    return terms
