"""Pause flags per ERP connection: a system failure (401/403) stops delivery until an operator resumes.

While a connection is paused the delivery side leaves events in the stream (nothing is lost) and
the flag says why and since when. Pausing twice keeps the first reason and time: the first
failure is the one that explains the outage.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis

from erp_shopify.store.keys import Keys


@dataclass(frozen=True)
class Paused:
    reason: str
    since: float


class PauseFlags:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def pause(self, connection: str, reason: str, *, now: float | None = None) -> Paused:
        """Pause ``connection`` (e.g. ``"erp"`` or ``"shopify:demo-us"``); the flag in force."""
        flag = json.dumps({"reason": reason, "since": time.time() if now is None else now})
        self.client.set(self.keys.pause(connection), flag, nx=True)
        status = self.status(connection)
        assert status is not None
        return status

    def resume(self, connection: str) -> bool:
        """Lift the pause; False if it was not paused."""
        return bool(self.client.delete(self.keys.pause(connection)))

    def status(self, connection: str) -> Paused | None:
        raw = self.client.get(self.keys.pause(connection))
        if raw is None:
            return None
        data = json.loads(raw)
        return Paused(reason=data["reason"], since=float(data["since"]))
