"""Every GraphQL document the project sends is valid against the official Admin 2026-10 schema."""

from __future__ import annotations

import ast
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_client_schema,
    get_named_type,
    parse,
    validate,
)

from erp_shopify.artefacts import admin_introspection
from erp_shopify.shopify import documents


@cache
def official_schema() -> GraphQLSchema:
    return build_client_schema(admin_introspection())


def schema_errors(text: str) -> list[str]:
    return [error.message for error in validate(official_schema(), parse(text))]


def test_the_project_ships_every_document_its_syncs_need() -> None:
    assert set(documents.names()) >= {
        "variants_by_sku",
        "inventory_items_by_sku",
        "inventory_levels",
        "inventory_set_quantities",
        "product_variants_bulk_update",
        "price_list_fixed_prices_add",
        "quantity_pricing_by_variant_update",
        "metafields_set",
        "bulk_operation_run_query",
        "bulk_operation",
        "locations",
        "order_fulfillment_orders",
        "fulfillment_create",
        "fulfillment_order_move",
        "fulfillment_tracking_info_update",
    }


@pytest.mark.parametrize("name", documents.names())
def test_document_validates_against_the_official_admin_schema(name: str) -> None:
    assert schema_errors(documents.load(name)) == []


def test_validation_rejects_a_field_the_schema_does_not_have() -> None:
    broken = documents.load("variants_by_sku").replace("compareAtPrice", "compareAtPriceV2")
    assert broken != documents.load("variants_by_sku")
    (message,) = schema_errors(broken)
    assert message.startswith("Cannot query field 'compareAtPriceV2' on type 'ProductVariant'.")


def test_validation_rejects_an_argument_of_the_wrong_type() -> None:
    broken = documents.load("inventory_levels").replace("$inventoryItemIds: [ID!]!", "$inventoryItemIds: [Int!]!")
    assert any("inventoryItemIds" in message for message in schema_errors(broken))


def operation(name: str) -> OperationDefinitionNode:
    (definition,) = parse(documents.load(name)).definitions
    assert isinstance(definition, OperationDefinitionNode)
    return definition


MUTATIONS = [name for name in documents.names() if operation(name).operation.value == "mutation"]


def test_the_mutations_are_found() -> None:
    assert "inventory_set_quantities" in MUTATIONS and "locations" not in MUTATIONS


@pytest.mark.parametrize("name", MUTATIONS)
def test_every_mutation_returns_user_errors_with_code_field_and_message(name: str) -> None:
    """``code`` too wherever the error type has one (``fulfillmentCreate``'s plain ``UserError`` has not)."""
    (root,) = operation(name).selection_set.selections
    selected = {s.name.value: s for s in root.selection_set.selections}  # type: ignore[union-attr]
    user_errors = {s.name.value for s in selected["userErrors"].selection_set.selections}  # type: ignore[union-attr]
    payload = get_named_type(official_schema().mutation_type.fields[root.name.value].type)  # type: ignore[union-attr]
    error_type = get_named_type(payload.fields["userErrors"].type)  # type: ignore[union-attr]
    assert user_errors == {"field", "message"} | ({"code"} & set(error_type.fields))  # type: ignore[union-attr]


def test_inventory_writes_carry_the_idempotent_directive_keyed_by_a_variable() -> None:
    (root,) = operation("inventory_set_quantities").selection_set.selections
    (directive,) = root.directives
    assert directive.name.value == "idempotent"
    assert directive.arguments[0].value.name.value == "idempotencyKey"


def test_loading_an_unknown_document_names_the_known_ones() -> None:
    with pytest.raises(documents.UnknownDocument, match="inventory_set_quantities"):
        documents.load("inventory_adjust")


def test_idempotency_key_is_the_same_for_the_same_content_in_any_key_order() -> None:
    first = {"name": "available", "quantities": [{"inventoryItemId": "gid://shopify/InventoryItem/1", "quantity": 5}]}
    second = {"quantities": [{"quantity": 5, "inventoryItemId": "gid://shopify/InventoryItem/1"}], "name": "available"}
    assert documents.idempotency_key("inventory_set_quantities", first) == documents.idempotency_key(
        "inventory_set_quantities", second
    )


def test_idempotency_key_changes_with_any_value_and_with_the_operation() -> None:
    base = {"quantity": 5, "changeFromQuantity": 3}
    key = documents.idempotency_key("inventory_set_quantities", base)
    assert key != documents.idempotency_key("inventory_set_quantities", {**base, "changeFromQuantity": 4})
    assert key != documents.idempotency_key("metafields_set", base)
    assert key != documents.idempotency_key("inventory_set_quantities", base, scope="run-2")
    assert len(key) == 64


def test_idempotency_key_treats_equal_decimals_as_equal() -> None:
    assert documents.idempotency_key("p", {"amount": Decimal("10.50")}) == documents.idempotency_key(
        "p", {"amount": Decimal("10.5")}
    )


PACKAGE = Path(documents.__file__).parents[1]
SERVERS = {PACKAGE / "sandbox"}  # the sandbox answers GraphQL; it sends none to Shopify


def graphql_literals(source: str) -> list[str]:
    """String literals of a module that parse as a GraphQL operation."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value.strip()
        if not text.startswith(("query", "mutation", "subscription", "{")):
            continue
        try:
            definitions = parse(text).definitions
        except GraphQLError:
            continue
        if any(isinstance(d, OperationDefinitionNode) for d in definitions):
            found.append(text)
    return found


def test_the_scan_finds_an_inline_query() -> None:
    assert graphql_literals('Q = """\nquery Q { shop { id } }\n"""\nX = "{prefix}:inventory"') == [
        "query Q { shop { id } }"
    ]


def test_no_graphql_is_sent_from_outside_the_graphql_documents() -> None:
    inline = {
        str(path.relative_to(PACKAGE)): literals
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(server in path.parents for server in SERVERS)
        if (literals := graphql_literals(path.read_text(encoding="utf-8")))
    }
    assert inline == {}
