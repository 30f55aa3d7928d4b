"""Shopify webhook signatures: base64 HMAC-SHA256 of the raw body with the app's client secret.

The receiver verifies with it; the tests sign with it and check it against a reference value.
The sandbox signs with its own implementation (``erp_shopify_sandbox.shopify.webhooks``), so the
two sides meet only on the wire, where Shopify's own ``shopifyapp`` package checks the sandbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
    """True when ``signature`` matches any of ``secrets`` (current and, during a rotation, previous).

    Every secret is compared, in constant time, so timing does not reveal which one matched.
    """
    if not signature:
        return False
    presented = signature.strip().encode()
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(sign(body, secret).encode(), presented)
    return matched
