"""The project's Admin GraphQL documents, kept as ``.graphql`` files next to this module.

Keeping them as files (not strings in Python) lets one test validate every document against the
official Admin 2026-10 schema, so a renamed or removed field fails the suite, not production.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

_PACKAGE = "erp_shopify.shopify.graphql"


class UnknownDocument(KeyError):
    """A document name with no ``.graphql`` file behind it."""


def names() -> list[str]:
    """Every document name (the file stem), sorted."""
    return sorted(
        entry.name.removesuffix(".graphql")
        for entry in resources.files(_PACKAGE).iterdir()
        if entry.name.endswith(".graphql")
    )


@cache
def load(name: str) -> str:
    """The text of a document, e.g. ``load("inventory_set_quantities")``."""
    entry = resources.files(_PACKAGE) / f"{name}.graphql"
    if not entry.is_file():
        raise UnknownDocument(f"no GraphQL document named {name!r} (known: {', '.join(names())})")
    return entry.read_text(encoding="utf-8")


def resolve(name_or_text: str) -> str:
    """A document's text from its name, or the text itself when given GraphQL."""
    stripped = name_or_text.lstrip()
    if stripped.startswith(("query", "mutation", "{", "#", "fragment")):
        return name_or_text
    return load(name_or_text)


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot derive an idempotency key from a {type(value).__name__}")


def idempotency_key(operation: str, payload: Any, *, scope: str = "") -> str:
    """A key for ``@idempotent`` derived from the content: the same input always gives the same key.

    A retry after a lost response therefore sends the key Shopify already saw and the write is
    applied once; a different input gets a different key, so Shopify never answers
    IDEMPOTENCY_KEY_PARAMETER_MISMATCH for our own writes. ``operation`` names the document,
    ``payload`` is the mutation input as plain JSON-able data. ``scope`` (a run id) keeps a later
    run whose input happens to repeat an earlier one from being answered with the stored result
    instead of writing: Shopify remembers keys for a while, and the shop may have moved since.
    """
    canonical = json.dumps(
        [scope, operation, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
