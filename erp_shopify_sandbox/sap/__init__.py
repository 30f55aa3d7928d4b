"""A faithful local SAP S/4HANA: the OData v2 APIs the adapter uses, on SAP Gateway's paths,
with CSRF, basic auth, server paging, SAP error bodies, fault injection and a control API.

``start(port, faults)`` is what ``erp-shopify sandbox --erp sap`` runs.
"""

from __future__ import annotations

from erp_shopify_sandbox.faults import Faults, FaultState
from erp_shopify_sandbox.sap.app import (
    CLIENT_ID,
    CLIENT_SECRET,
    ODATA_ROOT,
    PASSWORD,
    TOKEN_PATH,
    USERNAME,
    SapSandboxApp,
)
from erp_shopify_sandbox.sap.store import SapStore
from erp_shopify_sandbox.server import ServerThread

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "PASSWORD", "TOKEN_PATH", "USERNAME", "SapSandbox", "start"]


class SapSandbox:
    """A running SAP sandbox (``RunningSandbox``)."""

    name = "sap"

    def __init__(self, port: int = 0, faults: Faults | None = None, *, page_size: int = 1000) -> None:
        self.store = SapStore()
        self.faults = FaultState(faults)
        self.app = SapSandboxApp(self.store, self.faults, page_size=page_size)
        self._server = ServerThread(self.app.asgi, port=port)
        self.url = ""

    def start(self) -> SapSandbox:
        self._server.start()
        self.url = self._server.url
        return self

    @property
    def odata_url(self) -> str:
        return f"{self.url}{ODATA_ROOT}"

    def describe(self) -> dict[str, str]:
        return {
            "SAP OData base_url": self.odata_url,
            "control API": f"{self.url}/_sandbox/ (seed, goods-movements, conditions, orders, settings, faults)",
            "user": USERNAME,
            "oauth2 token_url": f"{self.url}{TOKEN_PATH} (client {CLIENT_ID})",
            "export": f"SAP_USERNAME={USERNAME} SAP_PASSWORD={PASSWORD}",
        }

    def stop(self) -> None:
        self._server.stop()


def start(port: int, faults: Faults) -> SapSandbox:
    return SapSandbox(port, faults).start()
