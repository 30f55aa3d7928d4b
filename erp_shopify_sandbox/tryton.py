"""A real Tryton for ``erp-shopify sandbox --erp tryton`` and for the tests.

``trytond`` runs as a child process on loopback with a private copy of the demo database, behind
the fault proxy so latency, 5xx, 429, 401 and lost answers can be injected in front of it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from erp_shopify_sandbox import tryton_demo
from erp_shopify_sandbox.faults import Faults, FaultState
from erp_shopify_sandbox.proxy import fault_proxy
from erp_shopify_sandbox.server import ServerThread

_WRITES = {"create", "write", "delete", "quote", "confirm", "draft", "cancel", "process"}


def losable_write(path: str, body: bytes) -> bool:
    """The JSON-RPC calls whose answer a "timeout after commit" fault may lose: writes to sales and
    to parties (customers)."""
    try:
        method = str(json.loads(body).get("method", ""))
    except (ValueError, AttributeError):
        return False
    return method.startswith(("model.sale.", "model.party.")) and method.rsplit(".", 1)[-1] in _WRITES


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TrytonServer:
    """``trytond -c conf -d demo`` on 127.0.0.1 with its own copy of the demo database."""

    database = tryton_demo.DATABASE
    login = tryton_demo.ADMIN_LOGIN
    password = tryton_demo.ADMIN_PASSWORD

    def __init__(self, port: int = 0) -> None:
        self.port = port or _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="erp-shopify-tryton-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> TrytonServer:
        tryton_demo.copy_database(tryton_demo.demo_template(), self.folder)
        config = tryton_demo.write_config(self.folder, port=self.port)
        trytond = Path(sys.executable).parent / "trytond"
        log = open(self.folder / "trytond.log", "wb")  # noqa: SIM115 (the child owns it while it runs)
        self.process = subprocess.Popen(
            [str(trytond), "-c", str(config), "-d", self.database],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.folder / "trytond.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"trytond did not start on port {self.port}:\n{output}")
            time.sleep(0.1)
        return self

    def _answers(self) -> bool:
        payload = {"id": 0, "method": "common.db.login", "params": [self.login, {"password": self.password}]}
        try:
            return httpx.post(f"{self.url}/{self.database}/rpc/", json=payload, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class TrytonSandbox:
    """A real trytond behind the fault proxy: what ``erp-shopify sandbox --erp tryton`` serves."""

    name = "tryton"

    def __init__(self, port: int = 0, faults: Faults | None = None) -> None:
        self.faults = FaultState(faults)
        self.server = TrytonServer().start()
        try:
            self.proxy = ServerThread(fault_proxy(self.server.url, self.faults, losable_write), port=port).start()
        except Exception:
            self.server.stop()
            raise
        self.url = self.proxy.url

    def describe(self) -> dict[str, str]:
        return {
            "url": self.url,
            "upstream trytond": self.server.url,
            "database": self.server.database,
            "login": self.server.login,
            "password": f"{self.server.password} (a throwaway demo database)",
            "faults": f"{self.url}/_sandbox/faults",
            "products": ", ".join(code for code, *_ in tryton_demo.PRODUCTS),
        }

    def stop(self) -> None:
        self.proxy.stop()
        self.server.stop()


def start(port: int, faults: Faults) -> TrytonSandbox:
    """Start trytond with the demo data and the fault proxy on ``port`` (0 = any free port)."""
    return TrytonSandbox(port, faults)
