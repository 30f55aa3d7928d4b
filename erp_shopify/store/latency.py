"""The delivery latency histogram: seconds from the receiver queueing an order event to the ERP
acknowledging it, per shop.

Delivery runs are short-lived processes (one per batch), so an in-process histogram would die with
each run; the counts live in Redis instead, one hash per shop holding a count per bucket (not
cumulative: a sample touches one field) and the sum, and ``erp-shopify metrics serve`` turns them
into a Prometheus histogram when scraped. An event replayed from the dead-letter queue is measured
from its re-queueing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from erp_shopify.store.keys import Keys, text

# Upper bounds in seconds: near real time is a few seconds; a paused ERP is minutes to hours.
BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, math.inf)
SUM = "sum"


def _bucket(seconds: float) -> str:
    return repr(next(b for b in BUCKETS if seconds <= b))


@dataclass(frozen=True)
class LatencyHistogram:
    buckets: list[tuple[float, int]]  # (upper bound, cumulative count), +Inf last
    sum: float

    @property
    def count(self) -> int:
        return self.buckets[-1][1]


class DeliveryLatency:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def observe(self, samples: Iterable[tuple[str, float]]) -> None:
        """Count each (shop, seconds) sample, all in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for shop, seconds in samples:
            key = self.keys.delivery_latency(shop)
            pipe.hincrby(key, _bucket(max(seconds, 0.0)), 1)
            pipe.hincrbyfloat(key, SUM, max(seconds, 0.0))
        pipe.execute()

    def read(self, shop: str) -> LatencyHistogram:
        raw = {text(k): text(v) for k, v in self.client.hgetall(self.keys.delivery_latency(shop)).items()}
        cumulative, buckets = 0, []
        for bound in BUCKETS:
            cumulative += int(raw.get(repr(bound), 0))
            buckets.append((bound, cumulative))
        return LatencyHistogram(buckets, float(raw.get(SUM, 0.0)))
