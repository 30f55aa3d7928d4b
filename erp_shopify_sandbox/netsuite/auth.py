"""Token-based authentication as NetSuite checks it: OAuth 1.0a, HMAC-SHA256, realm = account id,
known consumer and token, a fresh timestamp and a nonce never seen before (oauthlib verifies)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature, utils

TIMESTAMP_WINDOW = 300  # seconds either side of the server clock


@dataclass(frozen=True)
class Credentials:
    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


class TokenVerifier:
    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._nonces: dict[str, float] = {}

    def failure(self, method: str, url: str, authorization: str | None) -> str | None:
        """Why the request is not authenticated, or None when it is. The reason goes to the
        sandbox log only: NetSuite's answer is always the same INVALID_LOGIN."""
        if not authorization or not authorization.startswith("OAuth "):
            return "no OAuth Authorization header"
        try:
            params = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(authorization)}
        except ValueError as exc:
            return f"malformed Authorization header: {exc}"
        creds = self.credentials
        if params.get("realm") != creds.account_id:
            return f"realm {params.get('realm')!r} is not the account id"
        if params.get("oauth_signature_method") != "HMAC-SHA256":
            return f"signature method {params.get('oauth_signature_method')!r} (NetSuite requires HMAC-SHA256)"
        if params.get("oauth_consumer_key") != creds.consumer_key or params.get("oauth_token") != creds.token_id:
            return "unknown consumer key or token"
        try:
            skew = abs(time.time() - int(params.get("oauth_timestamp", "")))
        except ValueError:
            return "timestamp is not a number"
        if skew > TIMESTAMP_WINDOW:
            return f"timestamp is {skew:.0f} s away from the server clock"
        request = OAuthRequest(url, method, headers={"Authorization": authorization})
        request.params = signature.collect_parameters(
            uri_query=request.uri_query, headers={"Authorization": authorization}, exclude_oauth_signature=True
        )
        request.signature = params.get("oauth_signature", "")
        if not signature.verify_hmac_sha256(request, creds.consumer_secret, creds.token_secret):
            return "signature does not match"
        return self._first_use(params.get("oauth_nonce", ""))

    def _first_use(self, nonce: str) -> str | None:
        now = time.time()
        self._nonces = {n: t for n, t in self._nonces.items() if now - t < 2 * TIMESTAMP_WINDOW}
        if not nonce or nonce in self._nonces:
            return "nonce missing or used before"
        self._nonces[nonce] = now
        return None
