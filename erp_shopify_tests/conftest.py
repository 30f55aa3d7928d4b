"""Shared fixtures: real Redis (isolated by key prefix), temporary Dagster instances, sandboxes.

Tests never assume an empty Redis: each test gets a unique key prefix and deletes only its own keys.
A test marked ``ON_SINGLE_AND_CLUSTER`` (``redis_cluster.py``) also runs on a Redis Cluster of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from erp_shopify_tests.redis_cluster import RedisClusterProcesses, RedisTarget

REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcesses]:
    """Three primaries started once for the whole run, stopped at its end."""
    cluster = RedisClusterProcesses(Path(tmp_path_factory.mktemp("redis-cluster"))).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def redis_cluster_target(redis_cluster: RedisClusterProcesses) -> RedisTarget:
    return RedisTarget(redis_cluster.url, cluster=True)


@pytest.fixture
def redis_target(request: pytest.FixtureRequest) -> RedisTarget:
    """The single Redis, or the cluster when a test is parametrised with ``"cluster"``."""
    if getattr(request, "param", "single") == "cluster":
        cluster: RedisClusterProcesses = request.getfixturevalue("redis_cluster")
        return RedisTarget(cluster.url, cluster=True)
    return RedisTarget(REDIS_URL)


@pytest.fixture
def redis_url(redis_target: RedisTarget) -> str:
    return redis_target.url


@pytest.fixture
def key_prefix(redis_target: RedisTarget) -> Iterator[str]:
    """A Redis key prefix owned by this test; its keys are deleted afterwards (on every primary)."""
    prefix = f"test-erp-shopify:{uuid.uuid4().hex[:12]}"
    yield prefix
    with redis_target.client() as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def redis_client(redis_target: RedisTarget) -> Iterator[redis.Redis]:
    with redis_target.client() as client:
        yield client
