"""Prometheus metrics, scraped over real HTTP and read with prometheus_client's own parser: the
receiver's ``/metrics`` (real Redis), ``erp-shopify metrics serve``'s gauges (real Redis and a real
Dagster instance), and the shipped dashboard and alerts, which may name only metrics a scrape shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import pytest
import redis
import yaml
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families

from erp_shopify.config import RedisConfig, Settings
from erp_shopify.delivery import erp_connection, open_queue
from erp_shopify.ingest.app import create_app
from erp_shopify.metrics import pipeline_registry
from erp_shopify.store import EventStream
from erp_shopify.store.dlq import DeadLetter
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.test_ingest.conftest import DOMAIN, SECRET, Receiver, free_port, make_settings, order_payload

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
METRIC_NAME = re.compile(r"\berp_shopify_[a-z0-9_]+")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of a ``/metrics`` page: (name, labels) -> value."""
    text = httpx.get(url, timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, redis_url: str, key_prefix: str) -> Settings:
    monkeypatch.setenv("TEST_INGEST_TOKEN", "shpat_test")
    monkeypatch.setenv("TEST_INGEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TEST_INGEST_PREVIOUS_WEBHOOK_SECRET", "whsec-previous-9876543210")
    return make_settings().model_copy(update={"redis": RedisConfig(url=redis_url, key_prefix=key_prefix)})


@pytest.fixture
def receiver(settings: Settings, redis_client: redis.Redis, key_prefix: str) -> Iterator[Receiver]:
    app = create_app(settings)
    with ServerThread(app) as server, httpx.Client(timeout=10) as http:
        yield Receiver(server.url, http, EventStream(redis_client, key_prefix), app)


@pytest.fixture
def exporter(settings: Settings) -> Iterator[tuple[str, dg.DagsterInstance]]:
    with dg.instance_for_test() as instance:
        server, thread = start_http_server(0, "127.0.0.1", registry=pipeline_registry(settings, instance))
        try:
            yield f"http://127.0.0.1:{server.server_port}/metrics", instance
        finally:
            server.shutdown()
            thread.join(5)


def test_the_receiver_counts_requests_outcomes_and_refusals(receiver: Receiver) -> None:
    before = scrape(f"{receiver.url}/metrics")
    assert value(before, "erp_shopify_webhook_request_seconds_count") == 0
    receiver.send("orders/create", order_payload(), event_id="evt-1")
    receiver.send("orders/create", order_payload(), event_id="evt-1")
    receiver.send("orders/create", order_payload(), secret="not-the-secret")
    receiver.send("no/such-topic", {"admin_graphql_api_id": "gid://x"})
    samples = scrape(f"{receiver.url}/metrics")
    requests = "erp_shopify_webhook_requests_total"
    assert value(samples, requests, topic="orders/create", status="200") == 2
    assert value(samples, requests, topic="orders/create", status="401") == 1
    assert value(samples, requests, topic="other", status="400") == 1  # an unrouted topic is no label of its own
    assert value(samples, "erp_shopify_webhook_outcomes_total", outcome="queued") == 1
    assert value(samples, "erp_shopify_webhook_outcomes_total", outcome="duplicate") == 1
    assert value(samples, "erp_shopify_webhook_rejected_total", reason="bad_signature") == 1
    assert value(samples, "erp_shopify_webhook_rejected_total", reason="unknown_topic") == 1
    assert value(samples, "erp_shopify_webhook_request_seconds_count") == 4
    assert value(samples, "erp_shopify_webhook_request_seconds_bucket", le="+Inf") == 4


def test_the_exporter_reads_queue_dead_letters_pause_pending_sync_ages_and_latency_when_scraped(
    receiver: Receiver, exporter: tuple[str, dg.DagsterInstance], settings: Settings
) -> None:
    url, instance = exporter
    empty = scrape(url)
    assert value(empty, "erp_shopify_queue_depth") == 0
    assert value(empty, "erp_shopify_delivery_paused", connection="erp:tryton") == 0
    assert value(empty, "erp_shopify_pending_units", shop="demo-us") == 0
    assert value(empty, "erp_shopify_sync_age_seconds", shop="demo-us", domain="inventory") is None  # never synced

    _make_busy(receiver, settings, instance)
    samples = scrape(url)
    assert value(samples, "erp_shopify_queue_depth") == 1
    oldest = value(samples, "erp_shopify_queue_oldest_age_seconds")
    assert oldest is not None and 0 <= oldest < 60  # 0.0 is a right answer: the order came in just now
    assert value(samples, "erp_shopify_dead_letters", error_class="data") == 1
    assert value(samples, "erp_shopify_delivery_paused", connection="erp:tryton") == 1
    assert value(samples, "erp_shopify_pending_units", shop="demo-us") == 6  # 2 + 1 + 3 units with a SKU
    synced = value(samples, "erp_shopify_sync_age_seconds", shop="demo-us", domain="inventory")
    assert synced is not None and 0 <= synced < 60
    assert value(samples, "erp_shopify_sync_age_seconds", shop="demo-us", domain="prices") is None
    latency = "erp_shopify_delivery_latency_seconds"
    assert value(empty, f"{latency}_count", shop="demo-us") == 0
    assert value(samples, f"{latency}_bucket", shop="demo-us", le="1.0") == 1
    assert value(samples, f"{latency}_bucket", shop="demo-us", le="30.0") == 1
    assert value(samples, f"{latency}_bucket", shop="demo-us", le="+Inf") == 2
    assert value(samples, f"{latency}_sum", shop="demo-us") == pytest.approx(42.7)


def _make_busy(receiver: Receiver, settings: Settings, instance: dg.DagsterInstance) -> None:
    """An order queued, delivery paused, a dead letter, an inventory sync of demo-us done."""
    assert receiver.send("orders/create", order_payload(), event_id="evt-1").json()["status"] == "queued"
    with open_queue(settings.redis) as parts:
        parts.pauses.pause(erp_connection(settings), "HTTP 401 from the ERP")
        letter = DeadLetter(
            shop="demo-us",
            topic="orders/create",
            order_ref="gid://shopify/Order/1",
            event_id="evt-0",
            raw_body=b"{}",
            headers={},
            error_class="data",
            message="no SKU",
        )
        parts.dead_letters.add(letter)
        parts.latency.observe([("demo-us", 0.7), ("demo-us", 42.0)])  # what two delivered orders record
    instance.report_runless_asset_event(dg.AssetMaterialization("inventory_levels", partition="demo-us"))


def _expressions() -> Iterator[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield target["expr"]
    for group in yaml.safe_load((DEPLOY / "prometheus-alerts.yaml").read_text())["groups"]:
        for rule in group["rules"]:
            yield rule["expr"]


def test_the_dashboard_and_alerts_name_only_metrics_a_scrape_shows(
    receiver: Receiver, exporter: tuple[str, dg.DagsterInstance], settings: Settings
) -> None:
    _make_busy(receiver, settings, exporter[1])
    receiver.send("orders/create", order_payload(), secret="not-the-secret")
    seen = {name for name, _ in scrape(f"{receiver.url}/metrics")} | {name for name, _ in scrape(exporter[0])}
    used = {name for expr in _expressions() for name in METRIC_NAME.findall(expr)}
    assert len(used) >= 8
    assert sorted(used - seen) == []


@pytest.mark.slow  # two uvicorn worker processes
def test_several_workers_report_their_sum_through_the_multiprocess_folder(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    config = tmp_path / "shops.yaml"
    shop = {"name": "demo-us", "domain": DOMAIN, "access_token": {"env": "T"}, "webhook_secret": {"env": "S"}}
    erp = {"kind": "tryton", "base_url": "http://127.0.0.1:1", "database": "t", "username": {"env": "T"}}
    config.write_text(
        yaml.safe_dump(
            {
                "erp": {**erp, "password": {"env": "T"}},
                "shops": [{**shop, "locations": {"WH1": "gid://shopify/Location/1"}}],
                "redis": {"url": redis_url, "key_prefix": key_prefix},
            }
        )
    )
    stale = tmp_path / "multiproc" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left by a previous run")
    port = free_port()
    env = {**os.environ, "T": "unused", "S": SECRET, "PROMETHEUS_MULTIPROC_DIR": str(stale.parent)}
    command = [str(Path(sys.executable).parent / "erp-shopify"), "webhooks", "serve", "--port", str(port)]
    command += ["--workers", "2", "--config", str(config)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}/readyz"):
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            time.sleep(0.1)
        # A new connection for each request, so that both workers answer some.
        with httpx.Client(timeout=10, headers={"Connection": "close"}) as http:
            sent = Receiver(url, http, EventStream(redis.Redis.from_url(redis_url), key_prefix), None)
            for n in range(20):
                assert sent.send("orders/create", order_payload(n), event_id=f"evt-{n}").status_code == 200
        scrapes = [scrape(f"{url}/metrics") for _ in range(6)]
    finally:
        server.terminate()
        server.wait(30)
    queued = {value(s, "erp_shopify_webhook_outcomes_total", outcome="queued") for s in scrapes}
    assert queued == {20}  # whichever worker answers the scrape, it reports both workers' counts
    assert not stale.exists()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
