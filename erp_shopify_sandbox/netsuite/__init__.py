"""A local NetSuite account on loopback: REST web services (SuiteQL, record API by external id) with
token-based auth, per-account concurrency limits and faults. ``erp-shopify sandbox --erp netsuite``.

Control API (no auth): ``PUT /_sandbox/stock {item, location, quantity}``, ``PUT /_sandbox/prices
{item, price_level, currency, quantity, unit_price}``, ``GET /_sandbox/orders?externalId=``,
``PUT /_sandbox/permissions {granted}``, ``GET|PUT /_sandbox/faults``.
"""

from __future__ import annotations

import secrets

from erp_shopify_sandbox.faults import Faults, FaultState
from erp_shopify_sandbox.netsuite.app import build_app
from erp_shopify_sandbox.netsuite.auth import Credentials, TokenVerifier
from erp_shopify_sandbox.netsuite.state import CHARGE_ITEMS, DISCOUNT_ITEM, SEED_ITEMS, SEED_LOCATIONS, Account
from erp_shopify_sandbox.server import ServerThread

ACCOUNT_ID = "1234567_SB1"
ENV = {
    "consumer_key": "NETSUITE_CONSUMER_KEY",
    "consumer_secret": "NETSUITE_CONSUMER_SECRET",
    "token_id": "NETSUITE_TOKEN_ID",
    "token_secret": "NETSUITE_TOKEN_SECRET",
}

__all__ = [
    "ACCOUNT_ID",
    "CHARGE_ITEMS",
    "DISCOUNT_ITEM",
    "ENV",
    "SEED_ITEMS",
    "SEED_LOCATIONS",
    "NetSuiteSandbox",
    "start",
]


class NetSuiteSandbox:
    """A running sandbox (``RunningSandbox``): its URL, its credentials, its account state."""

    name = "netsuite"

    def __init__(
        self,
        port: int = 0,
        faults: Faults | None = None,
        *,
        concurrency_limit: int = 5,
        limit_status: int = 429,
        credentials: Credentials | None = None,
    ) -> None:
        self.credentials = credentials or Credentials(
            ACCOUNT_ID, secrets.token_hex(16), secrets.token_hex(32), secrets.token_hex(16), secrets.token_hex(32)
        )
        self.account = Account()
        self.faults = FaultState(faults)
        app = build_app(
            self.account,
            TokenVerifier(self.credentials),
            self.faults,
            concurrency_limit=concurrency_limit,
            limit_status=limit_status,
        )
        self._server = ServerThread(app, port=port)

    def start(self) -> NetSuiteSandbox:
        self._server.start()
        return self

    @property
    def url(self) -> str:
        return self._server.url

    def environment(self) -> dict[str, str]:
        """The environment variables a ``NetSuiteConfig`` names for its secrets, with this sandbox's values."""
        return {env: getattr(self.credentials, field) for field, env in ENV.items()}

    def describe(self) -> dict[str, str]:
        return {
            "url": self.url,
            "account_id": self.credentials.account_id,
            "suiteql": f"{self.url}/services/rest/query/v1/suiteql",
            "items": ", ".join(SEED_ITEMS),
            "locations": ", ".join(f"{k}={v}" for k, v in SEED_LOCATIONS.items()),
            **{f"export {k}": v for k, v in self.environment().items()},
        }

    def stop(self) -> None:
        self._server.stop()


def start(port: int, faults: Faults) -> NetSuiteSandbox:
    return NetSuiteSandbox(port, faults).start()
