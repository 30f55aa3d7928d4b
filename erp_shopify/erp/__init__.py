"""ERP adapters behind one protocol (``base.ErpAdapter``)."""

from __future__ import annotations

from erp_shopify.config import ErpConfig, NetSuiteConfig, SapConfig, TrytonConfig
from erp_shopify.erp.base import ErpAdapter


def build_adapter(config: ErpConfig) -> ErpAdapter:
    """The adapter for the configured ERP (imported lazily: each pulls in its own client stack)."""
    if isinstance(config, SapConfig):
        from erp_shopify.erp.sap import SapAdapter

        return SapAdapter(config)
    if isinstance(config, NetSuiteConfig):
        from erp_shopify.erp.netsuite import NetSuiteAdapter

        return NetSuiteAdapter(config)
    if isinstance(config, TrytonConfig):
        from erp_shopify.erp.tryton import TrytonAdapter

        return TrytonAdapter(config)
    raise TypeError(f"no adapter for ERP config {type(config).__name__}")
