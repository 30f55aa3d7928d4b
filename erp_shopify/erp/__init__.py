"""ERP adapters behind one protocol (``base.ErpAdapter``)."""

from __future__ import annotations

from datetime import timedelta

from erp_shopify.config import (
    ErpConfig,
    InventoryConfig,
    NetSuiteConfig,
    OracleConfig,
    RedisConfig,
    SapConfig,
    TrytonConfig,
)
from erp_shopify.erp.base import ErpAdapter


def build_adapter(
    config: ErpConfig, inventory: InventoryConfig | None = None, redis: RedisConfig | None = None
) -> ErpAdapter:
    """The adapter for the configured ERP (imported lazily: each pulls in its own client stack).

    ``inventory.overlap_seconds`` is the journal window every adapter re-reads, so one setting
    governs all of them rather than each adapter's own default; ``request_timeout_seconds`` likewise.
    ``redis`` holds Oracle's on-hand snapshot tables (its stock has no journal); without it the
    Oracle adapter serves everything but the stock change feed.
    """
    timeout = config.request_timeout_seconds
    overlap = timedelta(seconds=(inventory or InventoryConfig()).overlap_seconds)
    if isinstance(config, SapConfig):
        from erp_shopify.erp.sap.adapter import SapAdapter

        return SapAdapter(config, overlap=overlap, timeout=timeout)
    if isinstance(config, NetSuiteConfig):
        from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter

        return NetSuiteAdapter(config, overlap=overlap, timeout=timeout)
    if isinstance(config, TrytonConfig):
        from erp_shopify.erp.tryton.adapter import TrytonAdapter

        return TrytonAdapter(config, overlap=overlap, timeout=timeout)
    if isinstance(config, OracleConfig):
        from erp_shopify.erp.oracle.adapter import OracleAdapter
        from erp_shopify.store.onhand_snapshots import OnhandSnapshots

        tables = OnhandSnapshots.connect(redis) if redis else None
        return OracleAdapter(config, overlap=overlap, timeout=timeout, tables=tables)
    raise TypeError(f"no adapter for ERP config {type(config).__name__}")
