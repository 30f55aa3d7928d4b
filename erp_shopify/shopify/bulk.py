"""Bulk exports: ``bulkOperationRunQuery``, poll until done, stream the JSONL result.

Catalogues too large for paging are read this way. The result file can reach 100 MB, so it is
read line by line and each line handed to the caller as soon as it arrives; nothing holds the
whole file. Nested connections come as separate lines carrying ``__parentId``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from erp_shopify.errors import DataError, SystemFailure, TransientError

if TYPE_CHECKING:
    from erp_shopify.shopify.client import ShopifyClient

RUNNING = frozenset({"CREATED", "RUNNING", "CANCELING"})


class BulkOperationFailed(DataError):
    """A bulk operation ended without a result (canceled, expired, or a TIMEOUT of its query)."""


def run_query(
    client: ShopifyClient,
    query: str,
    *,
    poll_interval: float = 1.0,
    max_poll_interval: float = 10.0,
    timeout: float = 4 * 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Start a bulk export of ``query`` and yield each object of its result, in file order.

    The operation starts when the iterator is first advanced. Polling backs off from
    ``poll_interval`` to ``max_poll_interval``; each poll is an ordinary paced query.
    """
    started = client.execute("bulk_operation_run_query", {"query": query})
    operation = started["bulkOperationRunQuery"]["bulkOperation"]
    operation = wait(client, operation["id"], poll_interval, max_poll_interval, timeout, sleep)
    url = operation.get("url")
    if not url:  # completed with no objects: Shopify gives no file
        return
    for line in client.stream_lines(url):
        if line.strip():
            yield json.loads(line)


def wait(
    client: ShopifyClient,
    operation_id: str,
    poll_interval: float,
    max_poll_interval: float,
    timeout: float,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Poll ``bulkOperation(id:)`` until it leaves the running states; raise unless COMPLETED."""
    deadline = time.monotonic() + timeout
    interval = poll_interval
    while True:
        operation = client.execute("bulk_operation", {"id": operation_id})["bulkOperation"]
        if operation is None:
            raise DataError(f"bulk operation {operation_id} does not exist", system="shopify")
        if operation["status"] not in RUNNING:
            break
        if time.monotonic() > deadline:
            raise TransientError(f"bulk operation {operation_id} still {operation['status']} after {timeout:g} s")
        sleep(interval)
        interval = min(interval * 1.5, max_poll_interval)
    if operation["status"] == "COMPLETED":
        return operation
    message = f"bulk operation {operation_id} ended {operation['status']} ({operation.get('errorCode') or 'no code'})"
    codes = tuple(c for c in (operation["status"], operation.get("errorCode")) if c)
    if operation.get("errorCode") == "ACCESS_DENIED":
        raise SystemFailure(message, body=operation, codes=codes, system="shopify")
    if operation.get("errorCode") == "INTERNAL_SERVER_ERROR":
        raise TransientError(message, body=operation, codes=codes, system="shopify")
    raise BulkOperationFailed(message, body=operation, codes=codes, system="shopify")
