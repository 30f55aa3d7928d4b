"""A real three-primary Redis Cluster on loopback, started by the tests themselves.

Three ``redis-server --cluster-enabled yes`` on free ports in a temporary folder, joined by
``redis-cli --cluster create``: the slots are spread over the three primaries, so keys of different
hash tags really live on different servers, and a script or transaction whose keys span slots is
refused with ``CROSSSLOT`` as it would be in production.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from erp_shopify.config import RedisConfig
from erp_shopify.store.connection import connect

PRIMARIES = 3
READY_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisClusterProcesses:
    """Start with ``start()``, stop with ``stop()``; ``url`` names one node (the client finds the rest)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ports: list[int] = []
        self.servers: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> RedisClusterProcesses:
        server = shutil.which("redis-server") or "redis-server"
        try:
            for index in range(PRIMARIES):
                port = free_port()
                node = self.folder / f"node-{index}"
                node.mkdir(parents=True)
                options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
                cluster = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--dir", str(node)]
                bus = ["--cluster-port", str(free_port())]  # not port + 10000, which may be past 65535
                self.servers.append(subprocess.Popen([server, *options, *cluster, *bus], stdout=subprocess.DEVNULL))
                self.ports.append(port)
                _wait_for_ping(port, self.servers[-1])
            addresses = [f"127.0.0.1:{port}" for port in self.ports]
            subprocess.run(
                [shutil.which("redis-cli") or "redis-cli", "--cluster", "create", *addresses, "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=READY_SECONDS,
            )
            for port in self.ports:
                _wait_for_cluster_ok(port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        self.servers.clear()


def _wait_for_ping(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    with redis.Redis(host="127.0.0.1", port=port) as client:
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if server.poll() is not None:
                    raise RuntimeError(f"redis-server on port {port} exited with {server.returncode}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def _wait_for_cluster_ok(port: int) -> None:
    """Every node must see all slots served before a test may start (the join propagates by gossip)."""
    deadline = time.monotonic() + READY_SECONDS
    with redis.Redis(host="127.0.0.1", port=port) as client:
        while b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cluster node on port {port} did not report cluster_state:ok")
            time.sleep(0.05)


@dataclass(frozen=True)
class RedisTarget:
    """Where a test keeps its Redis state: the shared single Redis, or the tests' own cluster."""

    url: str
    cluster: bool = False

    def config(self, key_prefix: str) -> RedisConfig:
        return RedisConfig(url=self.url, key_prefix=key_prefix, cluster=self.cluster)

    def settings(self, key_prefix: str) -> dict[str, Any]:
        """The ``redis`` section of a shops file."""
        return {"url": self.url, "key_prefix": key_prefix, "cluster": self.cluster}

    def client(self) -> redis.Redis:
        return connect(RedisConfig(url=self.url, cluster=self.cluster))


# A test that takes ``redis_target`` (or a fixture built on it) runs on a single Redis and, among the
# slow tests, on a three-primary cluster.
ON_SINGLE_AND_CLUSTER = pytest.mark.parametrize(
    "redis_target", ["single", pytest.param("cluster", marks=pytest.mark.slow)], indirect=True
)
