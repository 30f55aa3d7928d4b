"""What every mutation answers bad input with, as Shopify does: a user error (``code``, ``field``
path, ``message``) in the payload, or a top-level GraphQL error when an input list is too long."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

MAX_INPUT_SIZE = 250


def user_error(code: str | None, field: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message": message}


def limit_input(info: Any, items: list, path: list[str], maximum: int = MAX_INPUT_SIZE) -> None:
    """Shopify refuses the whole request (not a user error) when an input list exceeds its limit."""
    if len(items) > maximum:
        raise GraphQLError(
            f"The input array size of {len(items)} is greater than the maximum allowed of {maximum}.",
            info.field_nodes,
            path=[info.field_name, *path],
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
