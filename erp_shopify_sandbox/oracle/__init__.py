"""A local Oracle Fusion Cloud SCM pod on loopback: REST resources for on-hand balances, price lists
and Order Management orders with the ADF REST framework's conventions, Basic auth and faults.
``erp-shopify sandbox --erp oracle``.

Control API (no auth): ``PUT /_sandbox/stock {item, location: "ORG/SUBINVENTORY", quantity, lot?}``,
``POST /_sandbox/price-lists {name, currency, prices: {item: price}, tiers: {item: [[from, price]]}}``,
``GET /_sandbox/orders?SourceTransactionId=``, ``GET|PUT /_sandbox/faults``.
"""

from __future__ import annotations

import secrets

from erp_shopify_sandbox.faults import Faults, FaultState
from erp_shopify_sandbox.oracle.app import ROOT, build_app
from erp_shopify_sandbox.oracle.state import RETAIL_PRICE_LIST, SEED_ITEMS, SEED_ORGANIZATION, SEED_SUBINVENTORIES, Pod
from erp_shopify_sandbox.server import ServerThread

USERNAME = "scm.integration"
ENV = {"username": "ORACLE_USERNAME", "password": "ORACLE_PASSWORD"}

__all__ = [
    "ENV",
    "RETAIL_PRICE_LIST",
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
        self._server = ServerThread(build_app(self.pod, self.username, self.password, self.faults), port=port)

    def start(self) -> OracleSandbox:
        self._server.start()
        return self

    @property
    def url(self) -> str:
        return self._server.url

    def environment(self) -> dict[str, str]:
        """The environment variables an ``OracleConfig`` names for its secrets, with this sandbox's values."""
        return {ENV["username"]: self.username, ENV["password"]: self.password}

    def describe(self) -> dict[str, str]:
        return {
            "url": self.url,
            "resources": f"{self.url}{ROOT}",
            "items": ", ".join(SEED_ITEMS),
            "locations": ", ".join(f"{SEED_ORGANIZATION}/{s}" for s in SEED_SUBINVENTORIES),
            **{f"export {k}": v for k, v in self.environment().items()},
        }

    def stop(self) -> None:
        self._server.stop()


def start(port: int, faults: Faults) -> OracleSandbox:
    return OracleSandbox(port, faults).start()
