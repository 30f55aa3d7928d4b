"""``erp-shopify metrics serve``: the pipeline's gauges for Prometheus, read when scraped.

What ``erp-shopify status`` shows, as gauges: the order stream's depth and its oldest queued
event's age, dead letters by error class, the pause flag of the ERP connection, units pending per
shop, per shop and domain the age of the last successful sync (from the Dagster instance of
``$DAGSTER_HOME``), and per shop the delivery latency histogram (``store/latency.py``). A custom
collector reads Redis and the instance on every scrape, through the same functions as ``status``:
no loop, no cache, a scrape is never older than its answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import click
import dagster as dg
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from erp_shopify.config import Settings, config_option, load_settings
from erp_shopify.delivery import open_queue
from erp_shopify.status_cli import DOMAINS, order_status, sync_status


class PipelineCollector(Collector):
    """The pipeline's gauges, read from Redis and the Dagster instance when Prometheus asks."""

    def __init__(self, settings: Settings, instance: dg.DagsterInstance) -> None:
        self.settings = settings
        self.instance = instance

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        orders = order_status(self.settings, now)
        yield GaugeMetricFamily("erp_shopify_queue_depth", "Order events queued for delivery.", orders["queued"])
        yield GaugeMetricFamily(
            "erp_shopify_queue_oldest_age_seconds",
            "Age of the oldest queued order event (0 when none is queued).",
            orders["oldest_age_seconds"] or 0,
        )
        dead = GaugeMetricFamily("erp_shopify_dead_letters", "Dead letters, by error class.", labels=["error_class"])
        for error_class, count in orders["dead_letters"].items():
            dead.add_metric([error_class], count)
        yield dead
        paused = GaugeMetricFamily(
            "erp_shopify_delivery_paused", "1 while delivery to the ERP connection is paused.", labels=["connection"]
        )
        paused.add_metric([orders["erp_connection"]], 1 if orders["paused"] else 0)
        yield paused
        yield self._pending_units()
        yield self._sync_ages(now)
        yield self._delivery_latency()

    def _pending_units(self) -> Metric:
        pending = GaugeMetricFamily(
            "erp_shopify_pending_units", "Units of orders not yet in the ERP, held back from Shopify.", labels=["shop"]
        )
        shops = self.settings.shop_names
        with open_queue(self.settings.redis) as parts:
            totals = parts.pending.all_totals(shops)
        for shop in shops:
            pending.add_metric([shop], sum(totals[shop].values()))
        return pending

    def _delivery_latency(self) -> Metric:
        latency = HistogramMetricFamily(
            "erp_shopify_delivery_latency_seconds",
            "Seconds from the receiver queueing an order event to the ERP acknowledging it.",
            labels=["shop"],
        )
        with open_queue(self.settings.redis) as parts:
            for shop in self.settings.shop_names:
                histogram = parts.latency.read(shop)
                buckets = [("+Inf" if math.isinf(b) else repr(b), n) for b, n in histogram.buckets]
                latency.add_metric([shop], buckets, histogram.sum)
        return latency

    def _sync_ages(self, now: float) -> Metric:
        ages = GaugeMetricFamily(
            "erp_shopify_sync_age_seconds",
            "Seconds since the last successful sync, per shop and domain (absent: never synced).",
            labels=["shop", "domain"],
        )
        for shop in self.settings.shop_names:
            for domain in DOMAINS:
                lag = sync_status(self.instance, shop, domain, now)["lag_seconds"]
                if lag is not None:
                    ages.add_metric([shop, domain], lag)
        return ages


def pipeline_registry(settings: Settings, instance: dg.DagsterInstance) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)  # no describe: a scrape reads Redis, registering must not
    registry.register(PipelineCollector(settings, instance))
    return registry


@click.group("metrics")
def metrics() -> None:
    """Prometheus metrics of the pipeline (the webhook receiver serves its own at /metrics)."""


@metrics.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=9464, show_default=True, type=int, help="Port of GET /metrics.")
@config_option
def serve(host: str, port: int, config_path: Path | None) -> None:
    """Serve queue depth, oldest event age, DLQ, pause, pending units and sync ages, read on each scrape."""
    settings = load_settings(config_path)
    with dg.DagsterInstance.get() as instance:
        server, thread = start_http_server(port, host, registry=pipeline_registry(settings, instance))
        click.echo(f"serving pipeline metrics on http://{host}:{server.server_port}/metrics")
        try:
            thread.join()
        except KeyboardInterrupt:
            server.shutdown()
