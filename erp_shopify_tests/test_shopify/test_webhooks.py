from __future__ import annotations

from erp_shopify.shopify.webhooks import sign, verify

BODY = b'{"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1"}'


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    # Reference value computed independently: printf %s "$BODY" | openssl dgst -sha256 -hmac secret -binary | base64
    assert sign(BODY, "secret") == "hCCsC+OXWEXXJ/Vu1E1PpNW3odSnA0UC1TIoeaXvA1s="


def test_verify_accepts_current_or_previous_secret_and_rejects_others() -> None:
    signature = sign(BODY, "old-secret")
    assert verify(BODY, signature, ["new-secret", "old-secret"])
    assert not verify(BODY, signature, ["new-secret"])
    assert not verify(BODY + b" ", signature, ["old-secret"])
    assert not verify(BODY, None, ["old-secret"])
    assert not verify(BODY, "", ["old-secret"])
