"""The ``id`` metafield definitions that key our upserts by ``customId`` (products, customers):
created once per shop and remembered in Redis (``TAKEN``: it already exists)."""

from __future__ import annotations

from typing import Any

import redis

from erp_shopify.shopify.client import ShopifyClient, ShopifyUserErrors, UserError


def ensure_id_definition(
    client: ShopifyClient, redis_client: redis.Redis, marker: str, definition: dict[str, Any]
) -> None:
    """Create ``definition`` (``type: id``) unless ``marker`` says it was done for this shop."""
    if redis_client.exists(marker):
        return
    answer = client.execute("metafield_definition_create", {"definition": definition}, raise_user_errors=False)
    errors = user_errors(answer["metafieldDefinitionCreate"])
    if errors and {e.code for e in errors} != {"TAKEN"}:
        raise ShopifyUserErrors("metafieldDefinitionCreate", errors, body=answer)
    redis_client.set(marker, "1")


def user_errors(payload: Any) -> tuple[UserError, ...]:
    """A mutation payload's ``userErrors`` as typed entries."""
    return tuple(
        UserError(message=str(e.get("message", "")), code=e.get("code"), field=tuple(e.get("field") or ()))
        for e in (payload or {}).get("userErrors") or []
    )
