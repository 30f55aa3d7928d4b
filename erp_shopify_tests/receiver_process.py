"""``erp-shopify webhooks serve`` as deployed, in its own process(es), for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

START_SECONDS = 60  # uvicorn and the product's imports, on a loaded machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(config: Path, env: dict[str, str], *, workers: int = 1) -> Iterator[int]:
    """The receiver for the shops file ``config`` with ``workers`` uvicorn processes on a free port:
    its port once ``/readyz`` answers; stopped (and waited for) on exit."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "erp-shopify"), "webhooks", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--config", str(config)]
    server = subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _ready(f"http://127.0.0.1:{port}/readyz"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the receiver did not start: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(30)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
