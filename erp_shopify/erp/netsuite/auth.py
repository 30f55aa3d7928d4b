"""NetSuite token-based authentication: OAuth 1.0a, HMAC-SHA256 (NetSuite refuses HMAC-SHA1),
realm = account id."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client


class TokenAuth(httpx.Auth):
    """OAuth 1.0a token-based authentication, HMAC-SHA256, realm = account id (oauthlib signs).

    The JSON body is not part of the signature (only form bodies are, per RFC 5849), so the
    request is signed over method, URL and query."""

    def __init__(self, account_id: str, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str):
        self._client = OAuth1Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=account_id,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _, headers, _ = self._client.sign(str(request.url), request.method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request
