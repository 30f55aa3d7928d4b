"""A delivery worker in its own process, for the crash test: claims a batch and delivers it.

``python -m erp_shopify_tests.test_delivery.worker <count>`` with ``ERP_SHOPIFY_CONFIG`` and the
secrets' environment variables set, exactly as a Dagster run process would have them.
"""

from __future__ import annotations

import sys

from erp_shopify.config import load_settings
from erp_shopify.delivery import QueueParts, deliver_batch
from erp_shopify.erp import build_adapter
from erp_shopify.notify import Notifier
from erp_shopify.store.connection import connect


def main(count: int) -> None:
    settings = load_settings()
    parts = QueueParts.connect(connect(settings.redis), settings.redis.key_prefix)
    events = parts.stream.claim_batch("doomed-worker", count)
    print(f"claimed {len(events)}", flush=True)
    adapter = build_adapter(settings.erp)
    report = deliver_batch(events, adapter, parts, settings, Notifier(None), owner="doomed-worker")
    print(report.summary(), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
