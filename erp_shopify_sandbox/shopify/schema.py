"""The sandbox's GraphQL schema, built once from ``schema.graphql`` (a subset of Admin 2026-10)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from graphql import GraphQLScalarType, GraphQLSchema, build_schema

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
SCHEMA: GraphQLSchema = build_schema(SCHEMA_PATH.read_text())
# Shopify encodes UnsignedInt64 (legacyResourceId, objectCount, fileSize) as a string of digits
cast(GraphQLScalarType, SCHEMA.get_type("UnsignedInt64")).serialize = lambda value: str(value)  # type: ignore[method-assign]
