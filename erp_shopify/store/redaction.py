"""What never leaves the receiver: webhook signatures, credentials and anything that looks like one.

Applied before a payload's headers land in the event stream, and before an error's response body
lands in the dead-letter queue, so an operator reading either sees no secret and no HMAC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"

_SECRET_NAME = re.compile(r"hmac|secret|token|password|passwd|authorization|api[-_]?key|cookie|signature", re.I)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with every signature or credential replaced (``X-Shopify-Hmac-Sha256`` included)."""
    return {name: (REDACTED if is_secret_name(name) else value) for name, value in headers.items()}


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with secret-named keys and known secret values replaced."""
    known = [s for s in secrets if s]
    return _redact(value, known)


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: (REDACTED if is_secret_name(str(k)) else _redact(v, secrets)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    return value
