"""OAuth 2.0 client credentials (RFC 6749 section 4.4) as an ``httpx.Auth`` flow, for the ERPs that
take bearer tokens: SAP BTP / S/4HANA Cloud (client id and secret by HTTP basic auth) and Oracle
Fusion through its OCI IAM identity domain (a self-signed JWT client assertion, RFC 7523).

A flow rather than a client of its own: the token request goes through the ERP client's transport,
timeouts and error classification, and a 401 drops the token so the next request fetches a fresh
one. (An OAuth client library would bring a second HTTP session for one form POST.) The assertion
itself is signed by ``authlib``.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Generator

import httpx
from authlib.oauth2.rfc7523.assertion import sign_jwt_bearer_assertion
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from erp_shopify.errors import DataError, ErrorClass, IntegrationError, SystemFailure, error_for_status

EXPIRY_MARGIN = 30.0  # seconds before a token's stated expiry at which it is fetched again
ASSERTION_LIFETIME = 300  # seconds a client assertion is valid: one token request
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# RFC 6749 section 5.2: answered 400 when the credentials, not the data, are wrong.
CREDENTIAL_ERRORS = {"invalid_client", "unauthorized_client", "invalid_grant", "invalid_scope"}

# How the client proves itself at the token endpoint: the form fields and headers of one request.
ClientAuthentication = Callable[[], tuple[dict[str, str], dict[str, str]]]


def client_secret_basic(client_id: str, client_secret: str) -> ClientAuthentication:
    header = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}
    return lambda: ({}, header)


def private_key_jwt(client_id: str, private_key: str, audience: str, key_id: str | None) -> ClientAuthentication:
    """A fresh assertion per token request (its own ``jti``): issuer and subject are the client.
    A key that is no RSA private key in PEM fails here, when the adapter is built."""
    try:
        key = RSAKey.import_key(private_key)
    except (JoseError, ValueError, TypeError) as exc:  # never the key itself in the message
        raise SystemFailure(f"the OAuth private key is not an RSA key in PEM ({type(exc).__name__})") from None

    def authenticate() -> tuple[dict[str, str], dict[str, str]]:
        now = int(time.time())
        header = {"alg": "RS256", **({"kid": key_id} if key_id else {})}
        assertion = sign_jwt_bearer_assertion(
            key=key,
            issuer=client_id,
            audience=audience,
            subject=client_id,
            issued_at=now,
            expires_at=now + ASSERTION_LIFETIME,
            claims={"jti": str(uuid.uuid4())},
            header=header,
        )
        text = assertion.decode() if isinstance(assertion, bytes) else str(assertion)
        return {"client_assertion_type": JWT_BEARER, "client_assertion": text}, {}

    return authenticate


def token_error(response: httpx.Response, system: str) -> IntegrationError:
    """A refused token request: wrong or revoked credentials are a system failure (delivery pauses
    until a person fixes them), an overloaded identity server is transient. The secret is never
    in the body: the message carries the server's error code and description only."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = str(body.get("error", "")) if isinstance(body, dict) else ""
    description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    message = f"OAuth token request refused: HTTP {response.status_code} {code} {description}".strip()
    error_class = ErrorClass.SYSTEM if code in CREDENTIAL_ERRORS else None
    return error_for_status(
        response.status_code,
        message,
        body={"error": code, "error_description": description},
        headers=response.headers,
        codes=(code,) if code else (),
        system=system,
        error_class=error_class,
    )


class ClientCredentials(httpx.Auth):
    """A bearer token from ``token_url`` (``grant_type=client_credentials``), kept until shortly
    before it expires."""

    requires_response_body = True

    def __init__(
        self, token_url: str, authenticate: ClientAuthentication, *, system: str, scope: str | None = None
    ) -> None:
        self.token_url, self.authenticate = token_url, authenticate
        self.scope, self.system = scope, system
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
        form, headers = self.authenticate()
        data = {"grant_type": "client_credentials", **({"scope": self.scope} if self.scope else {}), **form}
        return httpx.Request("POST", self.token_url, data=data, headers={"Accept": "application/json", **headers})

    def _take(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise token_error(response, self.system)
        body = response.json()
        if "access_token" not in body:
            raise DataError("OAuth token response without access_token", body=body, system=self.system)
        self._token = body["access_token"]
        self._expires = time.monotonic() + max(0.0, float(body.get("expires_in", 3600)) - EXPIRY_MARGIN)
