"""The Redis epoch: whether this Redis can be trusted to remember every order it handed out.

Delivery skips the ERP search before a create only when the ledger proves that nothing of the order
was ever sent (``Ledger.begin``'s ``first_send``). That proof lives in Redis, so a Redis that lost
its data (restarted without persistence, flushed, evicted, failed over to a replica that missed the
last writes) would turn a Shopify redelivery of an order already in the ERP into a "first send": a
duplicate. The epoch key tells the two apart. It holds the time from which first sends are trusted:

- ``start_new_epoch`` writes ``0`` (trusted at once) on a Redis that never held this deployment's
  orders; the demo, the tests and ``erp-shopify doctor --new-deployment`` call it;
- when ``begin`` finds the key missing, the data was lost: it writes ``now + retention`` in the same
  script, so every create searches the ERP until every marker the loss could have erased would have
  expired anyway.

Both writes are ``SET NX``: the key is written once per life of the data, never moved by hand.
"""

from __future__ import annotations

import time

import redis

from erp_shopify.store.keys import Keys, text


def start_new_epoch(client: redis.Redis, prefix: str) -> bool:
    """Declare a Redis that never held this deployment's orders: first sends are trusted at once.
    False (and nothing written) when the epoch exists already."""
    return bool(client.set(Keys(prefix).epoch, "0", nx=True))


def trusted_from(client: redis.Redis, prefix: str) -> float | None:
    """The time from which first sends skip the ERP search; None when the epoch is missing (a new
    Redis not yet declared, or one that lost its data and has not delivered since)."""
    raw = client.get(Keys(prefix).epoch)
    return None if raw is None else float(text(raw))


def describe_epoch(value: float | None, *, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if value is None:
        return "missing: no first send is trusted (new Redis not declared, or its data was lost)"
    if value <= now:
        return "ok: first sends of new orders skip the ERP search"
    return f"recovering from a data loss: every create searches the ERP for {(value - now) / 3600:.0f} h more"
