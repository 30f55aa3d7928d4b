"""Order delivery Shopify -> ERP as plain functions: deliver a batch, replay dead letters, resume,
hand a failed run's batch back.

Dagster (``defs/orders``) and the command line (``erp-shopify dlq``, ``erp-shopify resume``) call
these same functions; nothing here knows about either.
"""

from erp_shopify.delivery.batch import BatchReport, Outcome, deliver_batch
from erp_shopify.delivery.claims import deliver_while_queued, run_consumer
from erp_shopify.delivery.parts import QueueParts, erp_connection, open_queue
from erp_shopify.delivery.replay import ReplaySelection, Resumed, release_failed_run, replay, resume

__all__ = [
    "BatchReport",
    "Outcome",
    "QueueParts",
    "ReplaySelection",
    "Resumed",
    "deliver_batch",
    "deliver_while_queued",
    "erp_connection",
    "open_queue",
    "release_failed_run",
    "replay",
    "resume",
    "run_consumer",
]
