"""What Redis must be for the product to be correct, checked against a running server.

Redis holds the order stream, the idempotency ledger, the order-sent markers and the event-id
dedupe: it is a correctness store, not a cache (docs/deployment.md says why for each setting).
``assess`` reads ``CONFIG GET`` and ``INFO replication``; managed services often refuse
``CONFIG``, and then a setting is reported ``unknown``, never failed. On a Redis Cluster every
primary is asked, and a requirement is met only when all of them meet it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

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
    """The requirements on this Redis, or on every primary of a cluster (each holds some slots)."""
    if isinstance(client, redis.cluster.RedisCluster):
        return _on_primaries(
            {
                node.name: (
                    _read(client.config_get, *SETTINGS, target_nodes=node),
                    _read(client.info, "replication", target_nodes=node),
                )
                for node in client.get_primaries()
            }
        )
    return _assess_replies(_read(client.config_get, *SETTINGS), _read(client.info, "replication"))


async def check_async(client: redis.asyncio.Redis) -> list[Finding]:
    """``check`` for the receiver's client."""
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        await client.initialize()  # learns the primaries (done already if any command ran)
        replies = {}
        for node in client.get_primaries():
            replies[node.name] = (
                await _read_async(client.config_get(*SETTINGS, target_nodes=node)),
                await _read_async(client.info("replication", target_nodes=node)),
            )
        return _on_primaries(replies)
    return _assess_replies(
        await _read_async(client.config_get(*SETTINGS)), await _read_async(client.info("replication"))
    )


def _read(command: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """A command's answer, None when the server refused it."""
    try:
        return command(*args, **options)
    except redis.exceptions.ResponseError:
        return None


async def _read_async(command: Awaitable[Any]) -> Any:
    try:
        return await command
    except redis.exceptions.ResponseError:
        return None


def _assess_replies(config: Any, replication: Any) -> list[Finding]:
    """``assess`` on the answers of CONFIG GET and INFO replication (None: refused)."""
    return assess(None if config is None else _config(config), None if replication is None else _replicas(replication))


def _on_primaries(replies: Mapping[str, tuple[Any, Any]]) -> list[Finding]:
    """A cluster's findings: each requirement as met as its worst primary, naming the primaries that
    fall short."""
    per_node = {node: _assess_replies(*answers) for node, answers in sorted(replies.items())}
    combined = []
    for index, first in enumerate(next(iter(per_node.values()))):
        findings = {node: found[index] for node, found in per_node.items()}
        worst = max(findings.values(), key=lambda f: _SEVERITY[f.status])
        if worst.status is Status.OK:
            combined.append(Finding(first.name, Status.OK, f"{worst.detail} (all {len(findings)} primaries)"))
        else:
            named = "; ".join(f"{node}: {f.detail}" for node, f in findings.items() if f.status is worst.status)
            combined.append(Finding(first.name, worst.status, named))
    return combined


_SEVERITY = {Status.OK: 0, Status.UNKNOWN: 1, Status.FAIL: 2}


def all_met(findings: list[Finding]) -> bool:
    """No requirement known to be unmet (``unknown`` does not count against it)."""
    return all(finding.status is not Status.FAIL for finding in findings)
