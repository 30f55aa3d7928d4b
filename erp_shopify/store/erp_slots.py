"""ERP request slots shared by every delivery run: a counting semaphore in Redis, with leases.

An ERP's own limit is per account or connection (NetSuite's concurrency governance, an SAP
gateway's sessions), not per Dagster run: when the sensor runs several deliveries at once, the
requests in flight across all of them must stay under ``delivery.concurrency``. Dagster's pools
bound ops (here: runs), not the requests inside them, hence this.

A slot is a member of one sorted set scored by its lease's expiry; taking one first drops expired
leases, so the slots of a run that died come back after ``lease_seconds`` without anyone's help.
A waiting thread polls (a few ms apart, jittered): requests last tens of ms, so a freed slot is
taken again within a small share of a request. Each process first takes a local slot of the same
count, so no more threads poll Redis than could ever send.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from erp_shopify.store.keys import Keys

# A request holds its slot for at most this long before another may take it: longer than any ERP
# client's timeout, so only a dead holder's slot is ever taken back.
SLOT_LEASE_SECONDS = 120
POLL_SECONDS = 0.003

# KEYS[1] the slots; ARGV: token, now, lease_seconds, limit. Answers 1 (taken) or 0 (all busy).
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])))
return 1
"""


class ErpSlots:
    """``limit`` ERP requests in flight across every process sharing ``connection``'s slots."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        connection: str,
        limit: int,
        *,
        lease_seconds: float = SLOT_LEASE_SECONDS,
    ) -> None:
        self.client = client
        self.key = Keys(prefix).erp_slots(connection)
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.local = threading.BoundedSemaphore(limit)
        self._take = client.register_script(_TAKE)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of one ERP request."""
        token = uuid.uuid4().hex
        with self.local:
            while not self._take(keys=[self.key], args=[token, repr(time.time()), self.lease_seconds, self.limit]):
                time.sleep(POLL_SECONDS * (0.5 + random.random()))
            try:
                yield
            finally:
                self.client.zrem(self.key, token)

    def in_use(self) -> int:
        """Slots held now (leases not yet expired)."""
        return int(self.client.zcount(self.key, time.time(), "+inf"))
