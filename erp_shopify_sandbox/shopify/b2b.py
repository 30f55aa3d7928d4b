"""Shopify's checks on B2B quantity pricing input, as pure functions over the mutation's input:
each returns ``(code, field path, message)`` triples, which the mutation turns into user errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Any

Problem = tuple[str, list[str], str]


def quantity_rule_problems(rule: dict[str, Any], path: list[str]) -> list[Problem]:
    """A quantity rule must be self-consistent: all bounds at least 1, minimum and maximum on the
    increment's grid, minimum not above maximum, increment not above minimum."""
    minimum, maximum, increment = rule["minimum"], rule.get("maximum"), rule["increment"]
    checks = [
        (minimum < 1, "QUANTITY_RULE_ADD_MINIMUM_IS_LESS_THAN_ONE", "minimum", "Minimum must be at least 1."),
        (increment < 1, "QUANTITY_RULE_ADD_INCREMENT_IS_LESS_THAN_ONE", "increment", "Increment must be at least 1."),
        (
            maximum is not None and maximum < 1,
            "QUANTITY_RULE_ADD_MAXIMUM_IS_LESS_THAN_ONE",
            "maximum",
            "Maximum must be at least 1.",
        ),
        (
            maximum is not None and minimum > maximum,
            "QUANTITY_RULE_ADD_MINIMUM_GREATER_THAN_MAXIMUM",
            "minimum",
            "Minimum must be lower than or equal to the maximum.",
        ),
        (
            increment > minimum,
            "QUANTITY_RULE_ADD_INCREMENT_IS_GREATER_THAN_MINIMUM",
            "increment",
            "Increment must be lower than or equal to the minimum.",
        ),
        (
            increment >= 1 and minimum % increment != 0,
            "QUANTITY_RULE_ADD_MINIMUM_NOT_A_MULTIPLE_OF_INCREMENT",
            "minimum",
            "Minimum must be a multiple of the increment.",
        ),
        (
            increment >= 1 and maximum is not None and maximum % increment != 0,
            "QUANTITY_RULE_ADD_MAXIMUM_NOT_A_MULTIPLE_OF_INCREMENT",
            "maximum",
            "Maximum must be a multiple of the increment.",
        ),
    ]
    return [(code, [*path, field], message) for failed, code, field, message in checks if failed]


def duplicate_positions(keys: Iterable[Hashable]) -> list[int]:
    """Positions of every input whose key an earlier input already used."""
    seen: Counter[Hashable] = Counter()
    repeated = []
    for position, key in enumerate(keys):
        if seen[key]:
            repeated.append(position)
        seen[key] += 1
    return repeated
