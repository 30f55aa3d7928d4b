"""The sandbox's GraphQL schema, built once from ``schema.graphql`` (a subset of Admin 2026-10)."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLSchema, build_schema

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
SCHEMA: GraphQLSchema = build_schema(SCHEMA_PATH.read_text())
