"""The receiver's Prometheus metrics: requests by topic and HTTP status, their latency, and every
outcome (queued, duplicate, echo, recheck, conflict, ignored; rejected by reason).

Several uvicorn workers are several processes, each counting its own requests. With
``PROMETHEUS_MULTIPROC_DIR`` set (an empty folder, wiped before the server starts), every process
writes its values to files there and ``/metrics`` adds up all of them, whichever worker answers the
scrape; without it, one process serves its own values. Each receiver counts into a registry of its
own, so two receivers in one process (as in tests) never collide.

Recording is a dictionary lookup and an addition under a lock, done once per request: the hot
path stays cheap. A topic label takes only topics the sync policy routes (anything else is
``other``): the header comes from the network, and a label must not grow without bound.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
REJECTED_PREFIX = "rejected_"
# Seconds: the receiver answers in milliseconds; its goal is p99 <= 10 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class IngestMetrics:
    def __init__(self, routed_topics: Collection[str]) -> None:
        self.topics = frozenset(routed_topics)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "erp_shopify_webhook_requests",
            "Webhook requests answered, by topic and HTTP status.",
            ("topic", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "erp_shopify_webhook_request_seconds",
            "Time from a webhook request's arrival to its answer.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outcomes = Counter(
            "erp_shopify_webhook_outcomes",
            "Webhooks answered 200, by what became of them (queued, duplicate, echo, recheck, conflict, ignored).",
            ("outcome",),
            registry=self.registry,
        )
        self.rejected = Counter(
            "erp_shopify_webhook_rejected",
            "Webhooks refused, by reason (bad_signature, unknown_shop, too_large, queue_unavailable, ...).",
            ("reason",),
            registry=self.registry,
        )

    def count(self, name: str) -> None:
        """One outcome, named as ``IngestCounts`` names it (``rejected_<reason>`` for a refusal)."""
        if name.startswith(REJECTED_PREFIX):
            self.rejected.labels(name[len(REJECTED_PREFIX) :]).inc()
        else:
            self.outcomes.labels(name).inc()

    def answered(self, topic: str, status: int, seconds: float) -> None:
        self.requests.labels(topic if topic in self.topics else "other", str(status)).inc()
        self.latency.observe(seconds)

    def exposition(self) -> bytes:
        """The text format of every process's values in multiprocess mode, else this receiver's."""
        if not os.environ.get(MULTIPROCESS_ENV):
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        return generate_latest(merged)


def reset_multiprocess_dir() -> None:
    """Empty ``PROMETHEUS_MULTIPROC_DIR`` before the workers start: files of a previous run would
    add to this run's values (a dead worker's pid can be reused)."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
