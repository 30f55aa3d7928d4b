"""``erp-shopify webhooks serve`` as deployed, in its own process(es), for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

START_SECONDS = 120  # uvicorn spawns and imports each worker in turn: 35 s for four on a loaded machine


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
    # uvicorn's log goes to a file: a pipe nobody reads fills up and blocks the server.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env={**os.environ, **env}, stderr=log, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _ready(f"http://127.0.0.1:{port}/readyz"):
                if server.poll() is not None or time.monotonic() > deadline:
                    _stop(server)
                    log.seek(0)
                    raise RuntimeError(f"the receiver did not start: {log.read().decode()[-2000:]}")
                time.sleep(0.1)
            yield port
        finally:
            _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
