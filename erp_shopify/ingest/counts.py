"""What the receiver did (queued, duplicate, echo, conflict, rejected_<why>), counted in process
and added to one Redis hash every second: several worker processes add up, ``erp-shopify webhooks
stats`` shows the total, and no webhook waits for a counter write."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import redis
import redis.asyncio
import redis.exceptions

from erp_shopify.store.keys import Keys, text


class IngestCounts:
    def __init__(self) -> None:
        self.local: Counter[str] = Counter()  # this process, since it started
        self._unflushed: Counter[str] = Counter()

    def add(self, name: str) -> None:
        self.local[name] += 1
        self._unflushed[name] += 1

    async def flush(self, client: redis.asyncio.Redis, prefix: str) -> None:
        """Add what was counted since the last flush; kept for the next one if Redis is down."""
        if not self._unflushed:
            return
        deltas, self._unflushed = self._unflushed, Counter()
        try:
            pipe = client.pipeline(transaction=False)
            for name, delta in deltas.items():
                pipe.hincrby(Keys(prefix).ingest_counters, name, delta)
            await pipe.execute()
        except redis.exceptions.RedisError:
            self._unflushed.update(deltas)

    async def flush_every(self, seconds: float, client: redis.asyncio.Redis, prefix: str) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.flush(client, prefix)

    @contextlib.asynccontextmanager
    async def flushing(self, client: redis.asyncio.Redis, prefix: str, seconds: float = 1.0) -> AsyncIterator[None]:
        """Flush every ``seconds`` while the receiver runs, and once more when it stops."""
        task = asyncio.create_task(self.flush_every(seconds, client, prefix))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush(client, prefix)


def read_counts(client: redis.Redis, prefix: str) -> dict[str, int]:
    """The totals of every receiver process that shares this Redis and key prefix."""
    raw = client.hgetall(Keys(prefix).ingest_counters)
    return {text(name): int(value) for name, value in sorted(raw.items())}  # type: ignore[union-attr]
