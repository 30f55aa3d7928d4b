"""The pod's OCI IAM identity domain, as far as a confidential application with a trusted
certificate uses it: ``POST /oauth2/v1/token`` with ``grant_type=client_credentials``, a ``scope``
and a self-signed JWT client assertion (``client_assertion_type`` jwt-bearer; RS256, ``iss`` and
``sub`` the client id, ``aud`` the identity service, a ``jti`` never used before, not expired),
answered with a bearer token that the REST resources then accept. Refusals are RFC 6749 error
bodies (``invalid_client``, ``invalid_request``, ``unsupported_grant_type``, ``invalid_scope``)."""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.requests import Request
from starlette.responses import JSONResponse

TOKEN_PATH = "/oauth2/v1/token"
AUDIENCE = "https://identity.oraclecloud.com/"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE_SUFFIX = "urn:opc:resource:consumer::all"  # every Fusion resource scope ends so
TOKEN_LIFETIME = 3600
CLOCK_SKEW = 60


def key_pair() -> tuple[str, str]:
    """(private key PEM for the client, public key PEM the domain trusts): a fresh RSA 2048 pair."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode(), public_pem.decode()


def _refused(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


class IdentityDomain:
    def __init__(self, client_id: str, public_key_pem: str, key_id: str) -> None:
        self.client_id, self.key_id = client_id, key_id
        self.key = RSAKey.import_key(public_key_pem)
        self.tokens: set[str] = set()
        self._seen_jti: set[str] = set()

    def accepts(self, authorization: str) -> bool:
        return authorization.startswith("Bearer ") and authorization[7:] in self.tokens

    async def token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return _refused("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            return _refused("invalid_request", "a client assertion (jwt-bearer) is required")
        if not str(form.get("scope", "")).endswith(SCOPE_SUFFIX):
            return _refused("invalid_scope", f"scope must name a Fusion resource ({SCOPE_SUFFIX})")
        refusal = self._check_assertion(str(form["client_assertion"]))
        if refusal:
            return _refused("invalid_client", refusal, 401)
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME})

    def _check_assertion(self, assertion: str) -> str | None:
        """Why the assertion is refused, or None."""
        try:
            decoded = jwt.decode(assertion, self.key, algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            return f"client assertion signature does not verify ({type(exc).__name__})"
        claims, now = decoded.claims, time.time()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        problems = [
            "kid is not the trusted certificate's alias" if decoded.header.get("kid") != self.key_id else "",
            "iss and sub must be the client id" if {claims.get("iss"), claims.get("sub")} != {self.client_id} else "",
            f"aud must include {AUDIENCE}" if AUDIENCE not in audiences else "",
            "the assertion expired" if float(claims.get("exp", 0)) < now - CLOCK_SKEW else "",
            "iat lies in the future" if float(claims.get("iat", 0)) > now + CLOCK_SKEW else "",
            "jti missing or used before" if not claims.get("jti") or claims["jti"] in self._seen_jti else "",
        ]
        refused = next((p for p in problems if p), None)
        if refused is None:
            self._seen_jti.add(claims["jti"])
        return refused
