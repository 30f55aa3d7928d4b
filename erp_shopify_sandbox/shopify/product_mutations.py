"""``productSet`` (synchronous, or a ``ProductSetOperation`` run in the background and read with
``productOperation``), ``metafieldDefinitionCreate``, and the webhooks a product write triggers:
``products/create`` for a new product, ``products/update`` for every other write. The rules of
the write itself are in ``catalog.py``."""

from __future__ import annotations

import threading
from typing import Any

from erp_shopify_sandbox.shopify import catalog, ids, payloads
from erp_shopify_sandbox.shopify.views import ProductView


def product_set(
    _root: Any, info: Any, input: dict[str, Any], identifier: dict[str, Any] | None = None, synchronous: bool = True
) -> dict[str, Any]:
    context = info.context
    state = context.state
    state.count_write("productSet")
    if synchronous:
        product, errors = _write(context, identifier, input)
        return {"product": product, "productSetOperation": None, "userErrors": errors}
    with state.lock:
        operation: dict[str, Any] = {
            "__typename": "ProductSetOperation",
            "id": ids.gid("ProductSetOperation", len(state.product_operations)),
            "status": "CREATED",
            "product": None,
            "userErrors": [],
        }
        state.product_operations.append(operation)
    threading.Thread(target=_run, args=(context, operation, identifier, input), daemon=True).start()
    return {"product": None, "productSetOperation": operation, "userErrors": []}


def _run(context: Any, operation: dict[str, Any], identifier: dict[str, Any] | None, data: dict[str, Any]) -> None:
    operation["status"] = "ACTIVE"
    product, errors = _write(context, identifier, data)
    with context.state.lock:
        operation.update(product=product, userErrors=errors, status="COMPLETE")


def _write(context: Any, identifier: dict[str, Any] | None, data: dict[str, Any]) -> tuple[Any, list]:
    state = context.state
    with state.lock:
        outcome = catalog.product_set(state, identifier, data)
        if outcome.product is None:
            return None, outcome.errors
        topic = "products/create" if outcome.created else "products/update"
        context.webhooks.emit(topic, payloads.product(state, outcome.product))
        return ProductView(state, outcome.product), []


def product_operation(_root: Any, info: Any, id: str) -> dict[str, Any] | None:
    state = info.context.state
    index = ids.parse_gid(id, "ProductSetOperation") if ids.kind_of(id) == "ProductSetOperation" else None
    return state.product_operations[index] if index is not None and index < len(state.product_operations) else None


def metafield_definition_create(_root: Any, info: Any, definition: dict[str, Any]) -> dict[str, Any]:
    info.context.state.count_write("metafieldDefinitionCreate")
    created, errors = catalog.create_definition(info.context.state, definition)
    if created is None:
        return {"createdDefinition": None, "userErrors": errors}
    return {
        "createdDefinition": {
            "id": created,
            "key": definition["key"],
            "name": definition["name"],
            "namespace": definition.get("namespace") or catalog.APP_NAMESPACE,
            "ownerType": definition["ownerType"],
            "type": {"name": definition["type"]},
        },
        "userErrors": [],
    }
