"""ERP request slots shared by every delivery run: a counting semaphore in Redis, with leases.

An ERP's own limit is per account or connection (NetSuite's concurrency governance, an SAP
gateway's sessions), not per Dagster run: when the sensor runs several deliveries at once, the
requests in flight across all of them must stay under ``delivery.concurrency``. Dagster's pools
bound ops (here: runs), not the requests inside them, hence this.

A slot is a member of one sorted set scored by its lease's expiry; taking one first drops expired
leases, so the slots of a run that died come back after ``lease_seconds`` without anyone's help.
Releasing a slot also pushes a wake-up onto a list that waiting threads block on (``BLPOP``), so a
freed slot is taken again at once without anyone polling Redis in a loop. A wake-up stays in the
list until a waiter takes it, so none is missed; the waiters look again after ``WAKE_SECONDS`` only
to notice an expired lease (a dead holder), which is rare, hence a long wait: polling every 50 ms
cost four concurrent runs 20 waiters waking 400 times a second on a CPU-starved machine (the
daemon bench, docs/benchmarks.md). Each process first takes a local slot of the same count, so no
more threads wait on Redis than could ever send.
"""

from __future__ import annotations

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
WAKE_SECONDS = 1.0  # at most a quarter of the lease (a test's short lease is noticed in time)

# KEYS[1] the slots, KEYS[2] the wake-ups; ARGV: token, now, lease_seconds, limit. Answers 1 (taken)
# or 0 (all busy).
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])))
return 1
"""

# KEYS[1] the slots, KEYS[2] the wake-ups; ARGV: token, limit. One wake-up per free slot at most.
_GIVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], 1)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[2], 60)
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
        keys = Keys(prefix)
        self.key, self.wake_key = keys.erp_slots(connection), keys.erp_slot_wakeups(connection)
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.local = threading.BoundedSemaphore(limit)
        self._take = client.register_script(_TAKE)
        self._give = client.register_script(_GIVE)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of one ERP request."""
        token = uuid.uuid4().hex
        keys = [self.key, self.wake_key]
        wait = min(WAKE_SECONDS, self.lease_seconds / 4)
        with self.local:
            while not self._take(keys=keys, args=[token, repr(time.time()), self.lease_seconds, self.limit]):
                self.client.blpop([self.wake_key], timeout=wait)
            try:
                yield
            finally:
                self._give(keys=keys, args=[token, self.limit])

    def in_use(self) -> int:
        """Slots held now (leases not yet expired)."""
        return int(self.client.zcount(self.key, time.time(), "+inf"))
