"""The one way to open the product's Redis: ``connect`` (redis-py) for Dagster runs, sensors and the
command line, ``connect_async`` (``redis.asyncio``) for the webhook receiver.

Both answer a client that is a context manager (``with connect(settings.redis) as client:``,
``async with connect_async(...)``): leaving the block closes its connection pool, so no caller
keeps a client of its own beside these.

With ``redis.cluster: true`` both answer redis-py's cluster client instead, started from the one
node the URL names: it learns the slot map, sends each command to the primary that owns its key's
slot and follows ``MOVED`` after a resharding or a failover. The stores call the same commands on
either client, since every script and transaction keeps its keys in one slot (``keys.py``), so the
cluster client is typed as the plain one here rather than at every store.
"""

from __future__ import annotations

from contextlib import suppress
from typing import cast

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster
import redis.exceptions

from erp_shopify.config import RedisConfig

# The receiver's pool makes a burst wait for a connection rather than fail, with short timeouts:
# Shopify waits 5 s for an answer, and a 503 in time beats a timeout.
RECEIVER_CONNECTIONS = 64
RECEIVER_WAIT_SECONDS = 2
# The cluster client's pools never wait (past their size a command fails at once), so the receiver
# bounds its webhooks in flight at RECEIVER_CONNECTIONS itself and each node's pool has room for
# those plus the counters' flush and /readyz.
CLUSTER_NODE_CONNECTIONS = RECEIVER_CONNECTIONS + 4


def connect(config: RedisConfig) -> redis.Redis:
    """A client of the configured Redis or Redis Cluster (its connection pools close with it)."""
    if config.cluster:
        return cast(redis.Redis, redis.cluster.RedisCluster.from_url(config.connection_url()))
    return redis.Redis.from_url(config.connection_url())


def connect_async(config: RedisConfig) -> redis.asyncio.Redis:
    """The receiver's client: a bounded, blocking pool that ``aclose()`` disconnects too (a cluster
    client: bounded pools per node; the receiver makes a burst wait, see ``CLUSTER_NODE_CONNECTIONS``)."""
    timeouts = {"socket_connect_timeout": 1, "socket_timeout": RECEIVER_WAIT_SECONDS}
    if config.cluster:
        cluster = redis.asyncio.cluster.RedisCluster.from_url(
            config.connection_url(), max_connections=CLUSTER_NODE_CONNECTIONS, **timeouts
        )
        return cast(redis.asyncio.Redis, cluster)
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        config.connection_url(), max_connections=RECEIVER_CONNECTIONS, timeout=RECEIVER_WAIT_SECONDS, **timeouts
    )
    return redis.asyncio.Redis.from_pool(pool)


async def learn_cluster(client: redis.asyncio.Redis) -> None:
    """A cluster client learns the slot map now, before it serves concurrent requests: learnt lazily,
    under the first burst redis-py's async cluster client sometimes sent on a connection it had just
    replaced (an ``AttributeError``, answered 500). A cluster that cannot be reached yet is learnt
    at the first command instead, and the webhook answered 503 until then."""
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        with suppress(redis.exceptions.RedisError, redis.exceptions.RedisClusterException):
            await client.initialize()
