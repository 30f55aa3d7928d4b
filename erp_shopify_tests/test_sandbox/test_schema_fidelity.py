"""The sandbox serves a strict subset of the official Admin API 2026-10 schema: a document that
validates against the sandbox validates against Shopify, with the same types."""

from __future__ import annotations

from functools import cache

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    is_non_null_type,
)

from erp_shopify.artefacts import admin_introspection
from erp_shopify_sandbox.shopify.schema import SCHEMA


@cache
def official() -> GraphQLSchema:
    return build_client_schema(admin_introspection())


def subset_differences(ours: GraphQLSchema, theirs: GraphQLSchema) -> list[str]:
    """Every way ``ours`` is not a subset of ``theirs`` (empty when it is)."""
    problems: list[str] = []
    for name, ours_type in ours.type_map.items():
        if name.startswith("__"):
            continue
        official_type = theirs.get_type(name)
        if official_type is None:
            problems.append(f"type {name} does not exist")
            continue
        if type(official_type) is not type(ours_type):
            problems.append(f"{name} is a {type(ours_type).__name__}, officially {type(official_type).__name__}")
            continue
        if isinstance(ours_type, GraphQLEnumType):
            problems += [
                f"enum value {name}.{v} does not exist" for v in ours_type.values if v not in official_type.values
            ]  # type: ignore[union-attr]
        if isinstance(ours_type, GraphQLObjectType | GraphQLInterfaceType):
            official_interfaces = {i.name for i in official_type.interfaces}  # type: ignore[union-attr]
            problems += [
                f"{name} does not implement {i.name}" for i in ours_type.interfaces if i.name not in official_interfaces
            ]
        if isinstance(ours_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            problems += _field_differences(name, ours_type, official_type)  # type: ignore[arg-type]
    for name in ("query_type", "mutation_type"):
        if getattr(ours, name).name != getattr(theirs, name).name:
            problems.append(f"root {name} is named {getattr(ours, name).name}")
    return problems


def _field_differences(name, ours_type, official_type) -> list[str]:
    problems = []
    for field_name, field in ours_type.fields.items():
        official_field = official_type.fields.get(field_name)
        if official_field is None:
            problems.append(f"field {name}.{field_name} does not exist")
            continue
        if str(field.type) != str(official_field.type):
            problems.append(f"{name}.{field_name} is {field.type}, officially {official_field.type}")
        for arg_name, arg in getattr(field, "args", {}).items():
            official_arg = official_field.args.get(arg_name)
            if official_arg is None:
                problems.append(f"argument {name}.{field_name}({arg_name}) does not exist")
            elif str(arg.type) != str(official_arg.type):
                problems.append(f"{name}.{field_name}({arg_name}) is {arg.type}, officially {official_arg.type}")
        for arg_name, official_arg in getattr(official_field, "args", {}).items():
            required = is_non_null_type(official_arg.type) and official_arg.default_value is Undefined
            if required and arg_name not in field.args:
                problems.append(f"{name}.{field_name} lacks the required argument {arg_name}")
    return problems


def test_sandbox_schema_is_a_subset_of_the_official_admin_schema() -> None:
    assert subset_differences(SCHEMA, official()) == []


def test_the_subset_check_catches_a_renamed_field_and_a_wrong_nullability() -> None:
    from graphql import build_schema

    drifted = build_schema(
        "schema { query: QueryRoot mutation: Mutation }"
        " type QueryRoot { shop: Shop! productVariant(id: ID): ProductVariant }"
        " type Mutation { x: Int } type Shop { id: ID! shopName: String }"
        " type ProductVariant { id: ID! sku: String! }"
    )
    problems = subset_differences(drifted, official())
    assert "field Shop.shopName does not exist" in problems
    assert "ProductVariant.sku is String!, officially String" in problems
    assert "QueryRoot.productVariant(id) is ID, officially ID!" in problems
    assert "field Mutation.x does not exist" in problems


def test_idempotent_directive_matches_the_official_one() -> None:
    ours, theirs = SCHEMA.get_directive("idempotent"), official().get_directive("idempotent")
    assert ours is not None and theirs is not None
    assert list(ours.locations) == list(theirs.locations)
    assert {k: str(v.type) for k, v in ours.args.items()} == {k: str(v.type) for k, v in theirs.args.items()}
