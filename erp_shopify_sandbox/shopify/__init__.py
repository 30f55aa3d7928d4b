"""A faithful local Shopify Admin API (2026-10): GraphQL over an in-memory shop, the cost bucket,
idempotency keys, signed webhooks with Shopify's retries, bulk queries and injected faults."""

from erp_shopify_sandbox.shopify.control import SandboxControl, SandboxControlError
from erp_shopify_sandbox.shopify.sandbox import (
    GRAPHQL_PATH,
    RunningShopifySandbox,
    SandboxOptions,
    ShopifySandbox,
    start_shopify_sandbox,
)

__all__ = [
    "GRAPHQL_PATH",
    "RunningShopifySandbox",
    "SandboxControl",
    "SandboxControlError",
    "SandboxOptions",
    "ShopifySandbox",
    "start_shopify_sandbox",
]
