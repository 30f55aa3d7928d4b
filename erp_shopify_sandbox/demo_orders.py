"""The demo's Shopify -> ERP half: storefront orders in the sandbox shops, their webhooks queued by
the receiver, delivered by ``deliver_orders`` runs on the Dagster instance, then read back from the
ERP by their external reference.

Delivery goes the way the daemon takes it: ``order_sensor`` is evaluated (it claims a batch from the
stream and asks for one run), and that run executes on the real instance, so it shows in the UI's
run history. ``erp-shopify demo`` and the latency bench share these functions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click
import dagster as dg

from erp_shopify.config import Settings, load_settings
from erp_shopify.delivery import QueueParts
from erp_shopify.mapping.orders import external_ref
from erp_shopify.store.connection import connect

if TYPE_CHECKING:
    from erp_shopify_sandbox.demo import DemoWorld

LINES_PER_SHOP = {"demo-us": [{0: 2, 1: 1}, {2: 1}, {3: 3}], "demo-jp": [{0: 1}, {4: 2}]}


@dataclass
class StorefrontOrder:
    shop: str
    name: str  # "#1001", as the merchant sees it
    legacy_id: int
    lines: dict[str, int]
    events: list[str] = field(default_factory=lambda: ["orders/create"])

    @property
    def reference(self) -> str:
        """The ERP's idempotency key for this order (``<shop>-<legacy id>``)."""
        return external_ref(self.shop, str(self.legacy_id))


def order_skus(world: DemoWorld) -> list[str]:
    """SKUs the demo shops sell and the ERP knows under the same code (no override needed)."""
    erp = world.erp
    if erp.fixed_catalogue:
        return list(erp.item_codes)
    return [f"SKU-{n:07d}" for n in range(10, 15)]


def place_storefront_orders(world: DemoWorld) -> list[StorefrontOrder]:
    """A few checkouts per shop, then a partial refund of the first order and a cancel of the last."""
    skus = order_skus(world)
    placed: list[StorefrontOrder] = []
    for shop, baskets in LINES_PER_SHOP.items():
        control = world.shops[shop].control
        for basket in baskets:
            lines = {skus[i % len(skus)]: quantity for i, quantity in basket.items()}
            answer = control.place_order(lines)
            placed.append(StorefrontOrder(shop, answer["name"], int(answer["legacy_id"]), lines))
    first, last = placed[0], placed[-1]
    sku = next(iter(first.lines))
    world.shops[first.shop].control.refund_order(first.legacy_id, {sku: 1}, note="demo")
    first.events += ["refunds/create", "orders/updated"]
    world.shops[last.shop].control.cancel_order(last.legacy_id)
    last.events += ["orders/cancelled", "orders/updated"]
    return placed


@contextmanager
def queue_parts(settings: Settings) -> Iterator[QueueParts]:
    client = connect(settings.redis)
    try:
        yield QueueParts.connect(client, settings.redis.key_prefix)
    finally:
        client.close()


def wait_until_queued(parts: QueueParts, expected: int, timeout: float = 30.0) -> int:
    """Webhooks travel on the sandbox's own threads: wait for the receiver to queue ``expected``."""
    deadline = time.monotonic() + timeout
    while (depth := parts.stream.depth()) < expected:
        if time.monotonic() > deadline:
            raise click.ClickException(
                f"only {depth} of {expected} order events reached the queue in {timeout:.0f} s; "
                "`erp-shopify webhooks stats` shows what the receiver rejected"
            )
        time.sleep(0.1)
    return depth


def pending_units(parts: QueueParts, shops: list[str]) -> int:
    """Units in orders not yet in the ERP: held back from what the inventory sync offers for sale."""
    return sum(sum(parts.pending.totals(shop).values()) for shop in shops)


def deliver_queued(instance: dg.DagsterInstance, max_runs: int = 10) -> list[dg.ExecuteInProcessResult]:
    """Evaluate ``order_sensor`` and execute each run it asks for, until it finds nothing queued."""
    from erp_shopify.defs.orders.jobs import deliver_orders
    from erp_shopify.defs.orders.sensors import order_sensor
    from erp_shopify.defs.resources import resources

    bound = resources().resources
    runs: list[dg.ExecuteInProcessResult] = []
    cursor: str | None = None
    for _ in range(max_runs):
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=bound) as context:
            result = order_sensor(context)
        assert isinstance(result, dg.SensorResult)
        cursor = result.cursor
        if not result.run_requests:
            break
        for request in result.run_requests:
            run_config = {**request.run_config, "loggers": {"console": {"config": {"log_level": "WARNING"}}}}
            runs.append(
                deliver_orders.execute_in_process(
                    run_config=run_config,
                    instance=instance,
                    resources=bound,
                    tags={**request.tags, "erp_shopify/launched_by": "demo"},
                    raise_on_error=False,
                )
            )
    return runs


def order_summary(orders: list[StorefrontOrder], parts: QueueParts, pending_before: int) -> dict[str, int]:
    """Print one line per order as the ERP has it now, then the queue's state; returns the figures."""
    from erp_shopify.erp import build_adapter

    settings = load_settings()
    adapter = build_adapter(settings.erp)
    header = f"{'shop':<9} {'order':<7} {'external reference':<22} {'ERP document':<14} {'status':<20} events"
    click.echo(header)
    click.echo("-" * len(header))
    in_erp = 0
    try:
        for order in orders:
            document = adapter.find_sales_order(order.reference)
            in_erp += document is not None
            number, status = (document.number, document.status or "-") if document else ("(not yet)", "-")
            click.echo(
                f"{order.shop:<9} {order.name:<7} {order.reference:<22} {number:<14} {status:<20}"
                f" {', '.join(order.events)}"
            )
    finally:
        adapter.close()
    figures = {
        "orders_placed": len(orders),
        "orders_in_erp": in_erp,
        "queued": parts.stream.depth(),
        "dlq_depth": parts.dead_letters.depth(),
        "pending_before": pending_before,
        "pending_after": pending_units(parts, settings.shop_names),
    }
    click.echo(
        f"\norders in the ERP: {figures['orders_in_erp']} of {figures['orders_placed']}"
        f"   events still queued: {figures['queued']}   DLQ depth: {figures['dlq_depth']}"
        f"   pending units: {figures['pending_before']} before delivery, {figures['pending_after']} after"
    )
    return figures


def ship_two_orders(world: DemoWorld, orders: list[StorefrontOrder]) -> list[tuple[StorefrontOrder, str]]:
    """The warehouse ships two delivered orders: one line of the first (a partial delivery), the
    whole of the second; returns each with its tracking number."""
    if world.erp.ship is None:
        return []
    first, second = [o for o in orders if "orders/cancelled" not in o.events][:2]
    shipped = [
        (first, dict(list(first.lines.items())[-1:]), "1Z999AA10000000001"),
        (second, second.lines, "1Z999AA10000000002"),
    ]
    for order, lines, tracking in shipped:
        world.erp.ship(order.reference, lines, tracking)
    return [(order, tracking) for order, _, tracking in shipped]


def fulfil_and_show(instance: dg.DagsterInstance, shipped: list[tuple[StorefrontOrder, str]]) -> dict[str, str]:
    """Run ``fulfillments`` for each shop (as its schedule would), then print what Shopify shows:
    each order's fulfillment status and tracking. Returns order name -> status."""
    from erp_shopify.defs.fulfillments.assets import fulfillments
    from erp_shopify.defs.resources import resources
    from erp_shopify.shopify.client import ShopifyClient

    bound = resources().resources
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    for shop in sorted({order.shop for order, _ in shipped}):
        dg.materialize([fulfillments], instance=instance, resources=bound, partition_key=shop, run_config=quiet)
    settings = load_settings()
    header = f"{'shop':<9} {'order':<7} {'fulfillment status':<20} tracking"
    click.echo(header)
    click.echo("-" * len(header))
    statuses = {}
    for order, _ in shipped:
        with ShopifyClient.for_shop(settings.shop(order.shop)) as client:
            found = client.execute("order_fulfillment_orders", {"id": f"gid://shopify/Order/{order.legacy_id}"})[
                "order"
            ]
        tracking = [
            f"{t['company'] or ''} {t['number']} {t['url'] or ''}".strip()
            for f in found["fulfillments"]
            for t in f["trackingInfo"]
        ]
        statuses[order.name] = found["displayFulfillmentStatus"]
        click.echo(
            f"{order.shop:<9} {order.name:<7} {found['displayFulfillmentStatus']:<20} {'; '.join(tracking) or '-'}"
        )
    return statuses
