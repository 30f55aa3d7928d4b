"""Shopify's calculated query cost and the leaky bucket that spends it.

Rules (shopify.dev, "GraphQL Admin API rate limits"): scalars and enums cost 0, objects 1,
connections 2 plus ``first`` times the cost of one node, mutations 10. Shopify documents sizing
only for connections; a plain list of objects is sized by ``first`` or by the ids/names it asks
for, and without such an argument costs as one object, so requested and actual agree. The requested cost is
computed statically before execution and must fit in the bucket; the actual cost is computed from
what was returned, and the difference is refunded.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    value_from_ast_untyped,
)

MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
MUTATION_COST = 10
CONNECTION_COST = 2
SIZING_LISTS = ("ids", "names")  # list arguments whose length is the size of the list returned
PLAN_RESTORE_RATES = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
_MISSING = object()


class QueryCost:
    """Walks one operation of a parsed document; ``requested()`` before, ``actual(data)`` after."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables

    def requested(self) -> int:
        return self._root(_MISSING)

    def actual(self, data: dict[str, Any] | None) -> int:
        return self._root(data if data is not None else {})

    def _root(self, data: Any) -> int:
        if self.operation.operation.value == "mutation":
            return sum(
                MUTATION_COST
                for f in self._fields(self.operation.selection_set, self.schema.mutation_type)
                if not f[1].name.value.startswith("__") and (data is _MISSING or data.get(f[0]) is not None)
            )
        return self._selection_cost(self.operation.selection_set, self.schema.query_type, data)

    def _fields(self, selection_set: SelectionSetNode, parent: Any) -> list[tuple[str, FieldNode, Any]]:
        """(response key, field node, concrete parent type) for every field, through fragments."""
        found: list[tuple[str, FieldNode, Any]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found.append((key, selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                )
                found += self._fields(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                found += self._fields(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        return found

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments:
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def _selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, data: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for key, node, owner in self._fields(selection_set, parent):
            name = node.name.value
            if name.startswith("__") or name not in getattr(owner, "fields", {}):
                continue
            value = data.get(key) if isinstance(data, dict) else _MISSING
            if value is None:
                continue  # null costs nothing; so does a fragment on a type that was not returned
            total += self._field_cost(node, owner.fields[name].type, value)
        return total

    def _field_cost(self, node: FieldNode, field_type: Any, value: Any) -> int:
        named: GraphQLNamedType = get_named_type(field_type)
        if is_leaf_type(named):
            return 0
        if named.name.endswith("Connection"):
            return self._connection_cost(node, named, value)
        inner = field_type.of_type if is_non_null_type(field_type) else field_type
        if is_list_type(inner):
            return self._list_cost(node, named, value)
        return 1 + self._selection_cost(node.selection_set, named, value)

    def _list_cost(self, node: FieldNode, named: GraphQLNamedType, value: Any) -> int:
        """A plain list sized by an argument (``first``, or the ``ids``/``names`` it is asked for)
        costs one object per item: that many requested, those returned actual. An unsized list
        costs what one object costs, requested and actual alike (only connections and sized lists
        multiply), so the actual cost never exceeds the requested one."""
        size = self._argument(node, "first")
        if size is None:
            size = next((len(v) for a in SIZING_LISTS if isinstance(v := self._argument(node, a), list)), None)
        if value is _MISSING:
            return (1 if size is None else size) * (1 + self._selection_cost(node.selection_set, named, _MISSING))
        costs = [1 + self._selection_cost(node.selection_set, named, item) for item in value if item is not None]
        return sum(costs) if size is not None else max(costs, default=0)

    def _connection_cost(self, node: FieldNode, connection: Any, value: Any) -> int:
        first, last = self._argument(node, "first"), self._argument(node, "last")
        if value is _MISSING:
            if first is None and last is None:
                raise GraphQLError("you must provide one of first or last", [node])
            size = first if first is not None else last
            if size > MAX_PAGE_SIZE or size < 0:
                raise GraphQLError(
                    f"{node.name.value} connection argument `first` must be between 0 and {MAX_PAGE_SIZE}, got {size}",
                    [node],
                )
            return CONNECTION_COST + size * self._node_cost(node, connection, _MISSING)
        items = [e.get("node") for e in value.get("edges") or [] if isinstance(e, dict)] or value.get("nodes") or []
        return CONNECTION_COST + sum(self._node_cost(node, connection, item) for item in items)

    def _node_cost(self, node: FieldNode, connection: Any, item: Any) -> int:
        """Cost of one node of a connection, whether selected through ``edges { node }`` or ``nodes``."""
        best = 0
        node_type = get_named_type(connection.fields["nodes"].type)
        for _, child, _owner in self._fields(node.selection_set, connection) if node.selection_set else []:
            if child.name.value == "nodes":
                best = max(best, 1 + self._selection_cost(child.selection_set, node_type, item))
            elif child.name.value == "edges" and child.selection_set:
                for _, grandchild, _ in self._fields(
                    child.selection_set, get_named_type(connection.fields["edges"].type)
                ):
                    if grandchild.name.value == "node":
                        best = max(best, 1 + self._selection_cost(grandchild.selection_set, node_type, item))
        return best


class LeakyBucket:
    """A cost bucket per app and shop: ``capacity`` points, refilled at ``restore_rate`` per second."""

    def __init__(self, capacity: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.restore_rate = restore_rate
        self.clock = clock
        self._available = capacity
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self._available = min(self.capacity, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, cost: int) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.capacity, self._available + max(points, 0))

    def seconds_until(self, cost: int) -> float:
        with self._lock:
            self._refill()
            return max(0.0, (cost - self._available) / self.restore_rate)

    def status(self) -> dict[str, float]:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.capacity),
                "currentlyAvailable": math.floor(self._available),
                "restoreRate": float(self.restore_rate),
            }
