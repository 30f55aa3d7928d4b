"""How the OData client authenticates: basic auth (on-premise communication user) or OAuth 2.0
client credentials (SAP BTP / S/4HANA Cloud communication arrangements).

Client credentials are an ``httpx.Auth`` flow rather than a client of their own: the token request
goes through the OData client's transport, timeouts and error classification, and a 401 drops the
token so the next request fetches a fresh one. (A client library would bring a second HTTP session
for one form POST.)
"""

from __future__ import annotations

import base64
import time
from collections.abc import Generator

import httpx

from erp_shopify.config import SapConfig
from erp_shopify.erp.sap.odata import SYSTEM, error_from_response
from erp_shopify.errors import DataError

EXPIRY_MARGIN = 30.0  # seconds before a token's stated expiry at which it is fetched again


class ClientCredentials(httpx.Auth):
    """A bearer token from ``token_url`` (``grant_type=client_credentials``, client id and secret by
    HTTP basic auth, RFC 6749 section 4.4), kept until shortly before it expires."""

    requires_response_body = True

    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        self.token_url = token_url
        self._client_auth = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._token: str | None = None
        self._expires = 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or time.monotonic() >= self._expires:
            self._take((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._token = None

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._client_auth, "Accept": "application/json"},
        )

    def _take(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise error_from_response(response, "OAuth token request")
        body = response.json()
        if "access_token" not in body:
            raise DataError("OAuth token response without access_token", body=body, system=SYSTEM)
        self._token = body["access_token"]
        self._expires = time.monotonic() + max(0.0, float(body.get("expires_in", 3600)) - EXPIRY_MARGIN)


def sap_auth(config: SapConfig) -> httpx.Auth | None:
    """The configured authentication, or None when the config names no credentials."""
    if config.auth == "oauth2":
        if not (config.token_url and config.client_id and config.client_secret):
            raise DataError("SAP oauth2 needs token_url, client_id and client_secret", system=SYSTEM)
        return ClientCredentials(config.token_url, config.client_id.value(), config.client_secret.value())
    if config.username and config.password:
        return httpx.BasicAuth(config.username.value(), config.password.value())
    return None
