"""``erp-shopify dev`` as an operator runs it: a storefront order placed with the printed curl
reaches the ERP through the daemon's ``order_sensor``, and SIGTERM stops ``dagster dev`` with its
whole process group and the sandboxes."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from erp_shopify.config import CONFIG_ENV

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lines:
    """The dev command's output, read on a thread so the pipe never fills."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.text = ""
        assert process.stdout is not None
        self._stdout = process.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._stdout:
            self.text += line

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (found := re.search(pattern, self.text, re.MULTILINE)) is None:
            assert time.monotonic() < deadline, f"{pattern!r} not printed in {timeout:.0f} s:\n{self.text[-3000:]}"
            time.sleep(0.2)
        return found


def _group_gone(pgid: int, timeout: float = 10.0) -> bool:
    """No process left in the group (killed ones may linger as zombies until init reaps them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_dev_delivers_a_curl_order_through_the_daemon_and_sigterm_stops_everything(
    tmp_path: Path, key_prefix: str
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != CONFIG_ENV} | {"DAGSTER_HOME": str(tmp_path)}
    command = [str(Path(sys.executable).parent / "erp-shopify"), "dev", "--port", str(port), "--key-prefix", key_prefix]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = Lines(process)
    try:
        curl = output.wait_for(r"^  (curl -s -X POST .*)$", 120).group(1)
        erp_orders = output.wait_for(r"See it in the ERP:  curl -s (\S+)$", 5).group(1)
        pgid = int(output.wait_for(r"dagster dev \(pid (\d+)\)", 30).group(1))
        placed = subprocess.run(shlex.split(curl), capture_output=True, text=True, check=True).stdout
        reference = f"demo-us-{json.loads(placed)['legacy_id']}"
        deadline = time.monotonic() + 120  # the daemon's first ticks come after the code server starts
        found: list[dict] = []
        while not found and time.monotonic() < deadline:
            orders = httpx.get(erp_orders, timeout=5).json()["orders"]
            found = [o for o in orders if o["PurchaseOrderByCustomer"] == reference]
            time.sleep(0.5)
        assert len(found) == 1, output.text[-3000:]
        assert found[0]["items"][0]["Material"] == "SKU-0000010"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert _group_gone(pgid)
        assert "stopped: dagster dev and the sandboxes" in output.text
        with pytest.raises(httpx.TransportError):
            httpx.get(erp_orders, timeout=2)  # the sandboxes are gone with the process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
