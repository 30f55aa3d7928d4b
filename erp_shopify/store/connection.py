"""The one way to open the product's Redis: ``connect`` (redis-py) for Dagster runs, sensors and the
command line, ``connect_async`` (``redis.asyncio``) for the webhook receiver.

Both answer a client that is a context manager (``with connect(settings.redis) as client:``,
``async with connect_async(...)``): leaving the block closes its connection pool, so no caller
keeps a client of its own beside these.
"""

from __future__ import annotations

import redis
import redis.asyncio

from erp_shopify.config import RedisConfig

# The receiver's pool makes a burst wait for a connection rather than fail, with short timeouts:
# Shopify waits 5 s for an answer, and a 503 in time beats a timeout.
RECEIVER_CONNECTIONS = 64
RECEIVER_WAIT_SECONDS = 2


def connect(config: RedisConfig) -> redis.Redis:
    """A client of the configured Redis (one connection pool, closed with the client)."""
    return redis.Redis.from_url(config.connection_url())


def connect_async(config: RedisConfig) -> redis.asyncio.Redis:
    """The receiver's client: a bounded, blocking pool that ``aclose()`` disconnects too."""
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        config.connection_url(),
        max_connections=RECEIVER_CONNECTIONS,
        timeout=RECEIVER_WAIT_SECONDS,
        socket_connect_timeout=1,
        socket_timeout=RECEIVER_WAIT_SECONDS,
    )
    return redis.asyncio.Redis.from_pool(pool)
