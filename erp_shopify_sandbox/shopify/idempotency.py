"""Shopify's ``@idempotent(key:)`` semantics for one shop.

A key is bound to the first request's parameters: replaying it with the same parameters returns
the stored result without a second effect; other parameters are a mismatch; a replay while the
first is still running is a concurrent request; a key whose first attempt failed (returned user
errors) must be replaced by a new one.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, value_from_ast_untyped


@dataclass
class _Attempt:
    fingerprint: str
    state: str = "running"  # running | succeeded | failed
    result: Any = None


def idempotency_key(info: Any) -> str:
    """The key of the ``@idempotent`` directive on the executing field; required since 2026-04."""
    for directive in info.field_nodes[0].directives:
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    key = value_from_ast_untyped(argument.value, info.variable_values)
                    if isinstance(key, str) and key.strip():
                        return key
            raise GraphQLError(
                "The idempotency key cannot be an empty string or whitespace only.",
                info.field_nodes,
                extensions={"code": "BAD_REQUEST"},
            )
    raise GraphQLError(
        f"The @idempotent directive is required for {info.field_name} since API version 2026-04.",
        info.field_nodes,
        extensions={"code": "BAD_REQUEST"},
    )


def fingerprint(field: str, arguments: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([field, arguments], sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyLedger:
    def __init__(self) -> None:
        self._attempts: dict[str, _Attempt] = {}
        self._lock = threading.Lock()

    def begin(self, key: str, print_: str) -> tuple[str | None, Any]:
        """(None, None) to go ahead, ("replay", result) for a finished success, or (error code, None)."""
        with self._lock:
            attempt = self._attempts.get(key)
            if attempt is None:
                self._attempts[key] = _Attempt(print_)
                return None, None
            if attempt.fingerprint != print_:
                return "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", None
            if attempt.state == "running":
                return "IDEMPOTENCY_CONCURRENT_REQUEST", None
            if attempt.state == "failed":
                return "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", None
            return "replay", attempt.result

    def finish(self, key: str, *, succeeded: bool, result: Any) -> None:
        with self._lock:
            attempt = self._attempts[key]
            attempt.state = "succeeded" if succeeded else "failed"
            attempt.result = result


IDEMPOTENCY_MESSAGES = {
    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": (
        "The same idempotency key cannot be used with different operation parameters."
    ),
    "IDEMPOTENCY_CONCURRENT_REQUEST": "A request with this idempotency key is already in progress.",
    "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED": (
        "A previous request with this idempotency key failed. Retry with a new idempotency key."
    ),
}
