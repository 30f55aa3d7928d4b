"""What Redis must be for the product to be correct, checked against a running server.

Redis holds the order stream, the idempotency ledger, the order-sent markers and the event-id
dedupe: it is a correctness store, not a cache (docs/deployment.md says why for each setting).
``assess`` reads ``CONFIG GET`` and ``INFO replication``; managed services often refuse
``CONFIG``, and then a setting is reported ``unknown``, never failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis
import redis.asyncio

from erp_shopify.store.keys import text

SETTINGS = ("appendonly", "appendfsync", "maxmemory-policy")


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    name: str
    status: Status
    detail: str


def assess(config: Mapping[str, str] | None, replicas: int | None) -> list[Finding]:
    """The requirements against ``config`` (None: CONFIG GET refused) and the connected replicas."""
    if config is None:
        unknown = "CONFIG GET refused (managed Redis?): check it in the provider's settings"
        findings = [Finding(name, Status.UNKNOWN, unknown) for name in ("persistence", "eviction")]
    else:
        findings = [_persistence(config), _eviction(config)]
    if replicas is None:
        findings.append(Finding("replica", Status.UNKNOWN, "INFO replication refused"))
    elif replicas:
        findings.append(Finding("replica", Status.OK, f"{replicas} connected"))
    else:
        findings.append(Finding("replica", Status.FAIL, "no replica: a lost host loses the queue (needed for HA)"))
    return findings


def _persistence(config: Mapping[str, str]) -> Finding:
    aof, fsync = config.get("appendonly", ""), config.get("appendfsync", "")
    if aof != "yes":
        return Finding("persistence", Status.FAIL, "appendonly is not yes: a restart loses queued orders")
    if fsync not in ("everysec", "always"):
        return Finding("persistence", Status.FAIL, f"appendfsync {fsync}: needs everysec or always")
    return Finding("persistence", Status.OK, f"AOF, appendfsync {fsync}")


def _eviction(config: Mapping[str, str]) -> Finding:
    policy = config.get("maxmemory-policy", "")
    if policy == "noeviction":
        return Finding("eviction", Status.OK, "noeviction")
    return Finding("eviction", Status.FAIL, f"maxmemory-policy {policy}: needs noeviction (evicts ledger keys)")


def _config(reply: Any) -> dict[str, str]:
    return {text(k): text(v) for k, v in dict(reply).items()}


def _replicas(info: Mapping[str, Any]) -> int:
    return int(info.get("connected_slaves", 0))


def check(client: redis.Redis) -> list[Finding]:
    config = replicas = None
    with suppress(redis.exceptions.ResponseError):
        config = _config(client.config_get(*SETTINGS))
    with suppress(redis.exceptions.ResponseError):
        replicas = _replicas(client.info("replication"))
    return assess(config, replicas)


async def check_async(client: redis.asyncio.Redis) -> list[Finding]:
    """``check`` for the receiver's client."""
    config = replicas = None
    with suppress(redis.exceptions.ResponseError):
        config = _config(await client.config_get(*SETTINGS))
    with suppress(redis.exceptions.ResponseError):
        replicas = _replicas(await client.info("replication"))
    return assess(config, replicas)


def all_met(findings: list[Finding]) -> bool:
    """No requirement known to be unmet (``unknown`` does not count against it)."""
    return all(finding.status is not Status.FAIL for finding in findings)
