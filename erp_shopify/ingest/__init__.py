"""The Shopify webhook receiver: verify, filter and queue inbound events (``erp-shopify webhooks serve``)."""
