"""A delivery run keeps claiming batches while the queue has them.

A run costs seconds to start (a new process imports Dagster and the code location: 7 to 16 s
on a loaded machine), so when a burst is deeper than the batches the sensor may keep going at
once, a run that finished its batch claims the next itself instead of ending and leaving it to a
sensor tick and a new process. Measured in ``docs/benchmarks.md`` (``bench_daemon_delivery``).

The run claims under a consumer name of its own (``run_consumer``), so what a failed run held is
found in the consumer group by its run id and handed back at once (``release_failed_run``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from erp_shopify.config import Settings
from erp_shopify.delivery.batch import BatchReport, deliver_batch
from erp_shopify.delivery.parts import QueueParts
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.notify import Notifier
from erp_shopify.store.stream import QueuedEvent


def run_consumer(owner: str) -> str:
    """The consumer-group name under which the run ``owner`` claims its further batches."""
    return f"run:{owner}"


def deliver_while_queued(
    events: list[QueuedEvent],
    adapter: ErpAdapter,
    parts: QueueParts,
    settings: Settings,
    notifier: Notifier,
    *,
    owner: str,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[BatchReport]:
    """Deliver ``events``, then each further batch ``owner`` can claim, until the stream has none
    left, delivery is paused or ``delivery.keep_claiming_seconds`` have passed; a report per batch."""
    deadline = clock() + settings.delivery.keep_claiming_seconds
    while events:
        report = deliver_batch(events, adapter, parts, settings, notifier, owner=owner)
        yield report
        if report.paused is not None or clock() >= deadline:
            return
        events = parts.stream.claim_batch(run_consumer(owner), settings.delivery.batch_size)
