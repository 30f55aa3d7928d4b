"""Serve an ASGI app on loopback: in a background thread (tests, benches, the demo) or in the
foreground (``erp-shopify sandbox``)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Protocol

import uvicorn


class ServerThread:
    """A uvicorn server on 127.0.0.1 in a daemon thread; ``port=0`` picks a free port."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, **uvicorn_options: Any) -> None:
        options = {"log_level": "warning", "access_log": False, "lifespan": "auto", **uvicorn_options}
        self.config = uvicorn.Config(app, host=host, port=port, **options)
        self.server = uvicorn.Server(self.config)
        self._thread = threading.Thread(target=self._run, name=f"asgi-{host}:{port}", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.config.host}:{self.config.port} did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RunningSandbox(Protocol):
    """What ``erp-shopify sandbox`` needs from every sandbox it starts (Shopify, SAP, NetSuite, Tryton)."""

    name: str
    url: str

    def describe(self) -> dict[str, str]:
        """What to print on start: URLs, credentials to use, environment variables to export."""

    def stop(self) -> None: ...
