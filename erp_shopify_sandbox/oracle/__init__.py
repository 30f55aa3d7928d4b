"""A local Oracle Fusion Cloud SCM pod on loopback: REST resources for on-hand balances, price lists,
the item master (``itemsV2``), shipments, Order Management orders and Customer Data Management
persons and organizations (``hubPersons``, ``hubOrganizations``, on the CRM root) with the ADF REST
framework's conventions, Basic auth or OAuth 2.0 client credentials with a JWT client assertion (the
identity domain's token endpoint is served by the same server: ``identity.py``), and faults.
``erp-shopify sandbox --erp oracle``.

Control API (no auth): ``PUT /_sandbox/stock {item, location: "ORG/SUBINVENTORY", quantity, lot?}``,
``POST /_sandbox/price-lists {name, currency, prices: {item: price}, tiers: {item: [[from, price]]}}``,
``GET /_sandbox/orders?SourceTransactionId=`` (count, primary total), ``PUT /_sandbox/pricing
{freight_surcharge}``, ``PUT /_sandbox/items [{ItemNumber, ..., dff}]``,
``POST /_sandbox/shipments {order, item, quantity, subinventory?, waybill?, carrier?}``,
``PATCH /_sandbox/shipments/{name} {waybill}``, ``PUT /_sandbox/persons {FirstName, LastName, Address}``,
``GET /_sandbox/persons?SourceSystemReferenceValue=``, ``GET|PUT /_sandbox/faults``.
"""

from __future__ import annotations

import secrets

from erp_shopify_sandbox.faults import Faults, FaultState
from erp_shopify_sandbox.oracle.app import ROOT, build_app
from erp_shopify_sandbox.oracle.identity import SCOPE_SUFFIX, TOKEN_PATH, IdentityDomain, key_pair
from erp_shopify_sandbox.oracle.state import RETAIL_PRICE_LIST, SEED_ITEMS, SEED_ORGANIZATION, SEED_SUBINVENTORIES, Pod
from erp_shopify_sandbox.server import ServerThread

USERNAME = "scm.integration"
CLIENT_ID = "erp-shopify-integration"  # the confidential application registered in the identity domain
KEY_ID = "erp-shopify-cert"  # the alias of the certificate it trusts
SCOPE = f"urn:opc:resource:fa:instanceid=sandbox{SCOPE_SUFFIX}"
ENV = {
    "username": "ORACLE_USERNAME",
    "password": "ORACLE_PASSWORD",
    "client_id": "ORACLE_CLIENT_ID",
    "private_key": "ORACLE_PRIVATE_KEY",
}

__all__ = [
    "CLIENT_ID",
    "ENV",
    "KEY_ID",
    "RETAIL_PRICE_LIST",
    "SCOPE",
    "SEED_ITEMS",
    "SEED_ORGANIZATION",
    "SEED_SUBINVENTORIES",
    "USERNAME",
    "OracleSandbox",
    "start",
]


class OracleSandbox:
    """A running sandbox (``RunningSandbox``): its URL, its credentials, its pod's state."""

    name = "oracle"

    def __init__(self, port: int = 0, faults: Faults | None = None, *, password: str | None = None) -> None:
        self.username = USERNAME
        self.password = password or secrets.token_urlsafe(16)
        self.pod = Pod()
        self.faults = FaultState(faults)
        self.private_key, public_key = key_pair()
        self.identity = IdentityDomain(CLIENT_ID, public_key, KEY_ID)
        app = build_app(self.pod, self.username, self.password, self.faults, self.identity)
        self._server = ServerThread(app, port=port)

    def start(self) -> OracleSandbox:
        self._server.start()
        return self

    @property
    def url(self) -> str:
        return self._server.url

    def environment(self) -> dict[str, str]:
        """The environment variables an ``OracleConfig`` names for its secrets, with this sandbox's values."""
        return {
            ENV["username"]: self.username,
            ENV["password"]: self.password,
            ENV["client_id"]: CLIENT_ID,
            ENV["private_key"]: self.private_key,
        }

    @property
    def token_url(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    def describe(self) -> dict[str, str]:
        return {
            "url": self.url,
            "resources": f"{self.url}{ROOT}",
            "items": ", ".join(SEED_ITEMS),
            "locations": ", ".join(f"{SEED_ORGANIZATION}/{s}" for s in SEED_SUBINVENTORIES),
            "oauth2 token_url": f"{self.token_url} (client {CLIENT_ID}, key_id {KEY_ID}, scope {SCOPE})",
            **{f"export {k}": v for k, v in self.environment().items() if k != ENV["private_key"]},
        }

    def stop(self) -> None:
        self._server.stop()


def start(port: int, faults: Faults) -> OracleSandbox:
    return OracleSandbox(port, faults).start()
