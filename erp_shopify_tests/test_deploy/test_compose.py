"""deploy/docker-compose.yaml is a deployment that works, not an illustration.

Docker does not run here, so the slow test starts the command and environment of each service built
from the project image (code location over gRPC, daemon, webserver, webhook receiver) as local
processes, with the stores the compose file names stood in for on loopback: this machine's
Postgres (a database of the test's own), the compose file's Redis command (a primary and its
replica, private servers), moto for MinIO, and the project's sandboxes for SAP and Shopify. Only
hostnames, ports and paths inside the image are replaced (``compose.py``), plus the Postgres
database and role of this machine. A storefront order then reaches SAP through the daemon's sensor
and a run the code server launches; ERP stock reaches Shopify through the schedule's run."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg2
import pytest
import redis
import yaml
from prometheus_client.parser import text_string_to_metric_families

from erp_shopify.config import parse_settings
from erp_shopify.policy import routed_topics
from erp_shopify.store.durability import Status, assess
from erp_shopify_sandbox.sap import PASSWORD, USERNAME
from erp_shopify_sandbox.shopify.ids import gid
from erp_shopify_sandbox.shopify.webhooks import TOPICS
from erp_shopify_tests.test_deploy.compose import (
    DEPLOY,
    Network,
    dockerfile_env,
    entry_point,
    load_compose,
    local_command,
    local_environment,
    project_services,
    started,
)
from erp_shopify_tests.test_deploy.object_store import CREDENTIALS, s3_client, s3_server
from erp_shopify_tests.test_ingest.conftest import free_port, start_redis
from erp_shopify_tests.test_sync.world import World, sku, world

T = TypeVar("T")
SHOP = "main"  # the shop of deploy/shops.example.yaml
DOTENV = {  # deploy/.env as an operator fills it in (deploy/.env.example)
    "DAGSTER_PG_PASSWORD": "trust-auth-ignores-it",
    "OBJECT_STORE_USER": CREDENTIALS["AWS_ACCESS_KEY_ID"],
    "OBJECT_STORE_PASSWORD": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    "SAP_USERNAME": USERNAME,
    "SAP_PASSWORD": PASSWORD,
    "SHOPIFY_ACCESS_TOKEN": "shpat_world",  # what the sync world's Shopify sandbox accepts
    "SHOPIFY_WEBHOOK_SECRET": "world-webhook-secret",
}
CONTAINER_PORTS = {"code": "4000", "webserver": "3000", "receiver": "8070", "metrics": "9464"}
STOCK = 7  # each SKU's units in SAP (world)
ENDED = ("SUCCESS", "FAILURE", "CANCELED")
DEADLINE = 360.0  # a loaded machine: process starts, the next minute's schedule tick, a run each


def _flags(command: list[str]) -> dict[str, str]:
    return {flag[2:]: value for flag, value in itertools.pairwise(command) if flag.startswith("--")}


def _secret_names(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_secret_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_secret_names(v) for v in node))
    return set()


def _commented_block(text: str, first_line: str) -> dict[str, Any]:
    """A YAML example kept in comments (``# run_launcher:`` ...), parsed."""
    lines = text.splitlines()
    start = lines.index(f"# {first_line}")
    block = []
    for line in lines[start:]:
        if line.strip() == "#":
            break
        block.append(line[2:])
    return yaml.safe_load("\n".join(block))


def test_the_compose_redis_keeps_every_write_and_never_evicts() -> None:
    services = load_compose(DOTENV)["services"]
    for name in ("redis", "redis-replica"):
        flags = _flags(services[name]["command"])
        findings = assess(flags, replicas=1)
        assert [(f.name, f.status) for f in findings] == [
            ("persistence", Status.OK),
            ("eviction", Status.OK),
            ("replica", Status.OK),
        ]
    assert _flags(services["redis-replica"]["command"])["replicaof"] == "redis"


def test_the_webserver_and_daemon_load_the_code_location_from_the_code_service() -> None:
    services = load_compose(DOTENV)["services"]
    [server] = [entry["grpc_server"] for entry in yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"]]
    code = _flags(services["code"]["command"])
    assert (server["host"], str(server["port"]), server["location_name"]) == (
        "code",
        code["port"],
        code["location-name"],
    )
    image_workspace = f"{dockerfile_env()['DAGSTER_HOME']}/workspace.yaml"
    for name in ("daemon", "webserver"):
        assert _flags(services[name]["command"])["workspace"] == image_workspace


def test_every_variable_a_run_needs_is_given_to_runs_in_compose_and_in_the_launcher_examples() -> None:
    """Runs inherit the code service's environment: it holds the secrets the example shops file
    names and every variable the instance config reads; the Docker launcher example passes them all."""
    run_env = load_compose(DOTENV)["services"]["code"]["environment"]
    example = yaml.safe_load((DEPLOY / "shops.example.yaml").read_text())
    parse_settings(example)  # a valid shops file
    instance_text = (DEPLOY / "dagster.yaml").read_text()
    needed = (
        _secret_names(example)
        | _secret_names(yaml.safe_load(instance_text))
        | {"ERP_SHOPIFY_CONFIG", "ERP_SHOPIFY_IO", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    )
    assert needed <= set(run_env)
    docker = _commented_block(instance_text, "run_launcher:")
    assert docker["run_launcher"]["class"] == "DockerRunLauncher"
    assert needed <= set(docker["run_launcher"]["config"]["env_vars"]) | {"DAGSTER_HOME"}
    k8s_comment = instance_text[instance_text.index("K8sRunLauncher") :]
    assert all(name in k8s_comment for name in needed - {"ERP_SHOPIFY_CONFIG"})


# --- the deployment, run -----------------------------------------------------------------------


def _until(what: str, probe: Callable[[], T | None], deadline: float = DEADLINE) -> T:
    """Poll ``probe`` until it answers something; fail naming ``what`` after ``deadline`` s."""
    end = time.monotonic() + deadline
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline:.0f} s: {what}")
        time.sleep(0.5)


@contextmanager
def _fresh_database() -> Iterator[str]:
    """A database of this test's own in this machine's Postgres (trust auth), dropped afterwards."""
    name = f"erp_shopify_compose_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _stop_redis(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(10)


def _redis_pair(services: dict[str, Any], folder: Path, stack: ExitStack) -> int:
    """The compose file's Redis and replica commands as private servers; the primary's port."""
    ports = free_port(), free_port()
    for name, port in zip(("redis", "redis-replica"), ports, strict=True):
        (folder / name).mkdir()
        options = services[name]["command"][1:]
        if "--replicaof" in options:
            at = options.index("--replicaof")
            options[at + 1 : at + 3] = ["127.0.0.1", str(ports[0])]
        server = start_redis(port, *options, "--dir", str(folder / name))
        stack.callback(_stop_redis, server)
    primary = redis.Redis(port=ports[0])
    stack.callback(primary.close)
    _until("the replica connected", lambda: int(primary.info("replication")["connected_slaves"]), 30)
    return ports[0]


def _shops_file(w: World, path: Path) -> Path:
    """deploy/shops.example.yaml pointed at the sandboxes: their URLs and location ids, and the
    inventory schedule every minute so that the test sees its run."""
    data = yaml.safe_load((DEPLOY / "shops.example.yaml").read_text())
    data["erp"]["base_url"] = w.sap.odata_url
    [shop] = data["shops"]
    shop.update(domain=f"{SHOP}.myshopify.com", api_url=w.shops[SHOP].url)
    shop["locations"] = {location: gid("Location", i) for i, location in enumerate(shop["locations"])}
    data["inventory"] = {"schedule": "* * * * *"}
    path.write_text(yaml.safe_dump(data))
    return path


def _runs(webserver: str) -> list[dict[str, Any]]:
    query = "{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"
    answer = httpx.post(f"{webserver}/graphql", json={"query": query}, timeout=30).json()
    return list(answer["data"]["runsOrError"]["results"])


def _finished_run(webserver: str, job: str, launched_by: tuple[str, str]) -> dict[str, Any] | None:
    """A run of ``job`` that the daemon's sensor or schedule (``("sensor", name)``) launched, ended."""
    kind, name = launched_by
    for run in _runs(webserver):
        tags = {t["key"]: t["value"] for t in run["tags"]}
        if run["jobName"] == job and tags.get(f"dagster/{kind}_name") == name and run["status"] in ENDED:
            return run
    return None


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _grpc_ready(port: int, env: dict[str, str]) -> bool:
    check = [entry_point("dagster"), "api", "grpc-health-check", "--port", str(port)]
    return subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_compose_services_deliver_an_order_to_the_erp_and_erp_stock_to_shopify(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    compose = load_compose(DOTENV)
    ours = project_services(compose)
    assert set(ours) == {"code", "daemon", "webserver", "receiver", "metrics"}
    env = ours["code"]["environment"]
    bucket = env["ERP_SHOPIFY_LOG_BUCKET"]
    assert env["ERP_SHOPIFY_IO"].startswith(f"s3://{bucket}/")
    image_home = dockerfile_env()["DAGSTER_HOME"]
    home, logs = tmp_path / "home", tmp_path / "logs"
    home.mkdir()
    logs.mkdir()
    ports = {inside: free_port() for inside in CONTAINER_PORTS.values()}

    with ExitStack() as stack:
        w = stack.enter_context(world(tmp_path, redis_url, key_prefix, items=20, shops=(SHOP,), stock=STOCK))
        endpoint = stack.enter_context(s3_server(bucket))
        redis_port = _redis_pair(compose["services"], tmp_path, stack)
        database = stack.enter_context(_fresh_database())
        shops_file = _shops_file(w, tmp_path / "deploy-shops.yaml")
        s3_port = int(endpoint.rsplit(":", 1)[1])
        network = Network(
            hosts={
                "postgres:5432": ("127.0.0.1", 5432),
                "redis:6379": ("127.0.0.1", redis_port),
                "minio:9000": ("127.0.0.1", s3_port),
            },
            paths={
                image_home: str(home),
                "/config/shops.yaml": str(shops_file),
                "/tmp/receiver-metrics": str(tmp_path / "metrics"),
            },
            overrides={"DAGSTER_PG_DB": database, "DAGSTER_PG_USER": "postgres"},  # this machine's role
        )
        shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")  # the image's COPY
        workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
        server = workspace["load_from"][0]["grpc_server"]
        server.update(host="127.0.0.1", port=ports[str(server["port"])])
        (home / "workspace.yaml").write_text(yaml.safe_dump(workspace))

        def start(name: str) -> dict[str, str]:
            service_env = local_environment(ours[name], network)
            argv = local_command(ours[name]["command"], network, ports)
            stack.enter_context(started(argv, service_env, home, logs / f"{name}.log"))
            return service_env

        code_env = start("code")
        _until("the code server answers", lambda: _grpc_ready(ports["4000"], code_env), 180)
        # The one-time step of a new deployment, as docker-compose.yaml's header says.
        doctor = subprocess.run(
            local_command(["erp-shopify", "doctor", "--new-deployment"], network, ports),
            env=code_env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "replica: ok" in doctor.stdout
        for name in ("daemon", "webserver", "receiver", "metrics"):
            start(name)
        webserver = f"http://127.0.0.1:{ports['3000']}"
        receiver = f"http://127.0.0.1:{ports['8070']}"
        _until("the webserver answers", lambda: _answers(f"{webserver}/server_info"), 180)
        _until("the receiver answers", lambda: _answers(f"{receiver}/healthz"), 60)
        shop = w.shops[SHOP]
        for topic in sorted(routed_topics() & set(TOPICS)):
            shop.control.subscribe(topic, f"{receiver}/webhooks/shopify")

        order = shop.control.place_order({sku(1): 2})
        erp_orders = _until("the order in SAP", lambda: httpx.get(f"{w.sap.url}/_sandbox/orders").json()["orders"])
        assert len(erp_orders) == 1
        assert erp_orders[0]["PurchaseOrderByCustomer"] == f"{SHOP}-{order['legacy_id']}"
        delivery = _until(
            "deliver_orders ended", lambda: _finished_run(webserver, "deliver_orders", ("sensor", "order_sensor"))
        )
        assert delivery["status"] == "SUCCESS"

        def synced() -> bool:
            levels = {(lv["sku"], lv["location_id"]): lv["available"] for lv in shop.control.levels([sku(2)])}
            return levels.get((sku(2), gid("Location", 0))) == STOCK

        _until("SAP's stock in Shopify", synced)
        sync = _until(
            "inventory_sync ended",
            lambda: _finished_run(webserver, "inventory_sync", ("schedule", "inventory_schedule")),
        )
        assert sync["status"] == "SUCCESS"
        stored = {o["Key"] for o in s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])}
        assert f"{env['ERP_SHOPIFY_IO'].removeprefix(f's3://{bucket}/')}/sku_xref/{SHOP}" in stored
        assert any(key.startswith("compute-logs/") for key in stored)

        # The exporter reads the same Redis and instance: the delivered order and the sync it saw.
        exporter = f"http://127.0.0.1:{ports['9464']}/metrics"
        _until("the metrics exporter answers", lambda: _answers(exporter), 60)
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(httpx.get(exporter, timeout=30).text)
            for s in family.samples
        }
        assert samples[("erp_shopify_delivery_latency_seconds_count", (("shop", SHOP),))] >= 1
        assert ("erp_shopify_sync_age_seconds", (("domain", "inventory"), ("shop", SHOP))) in samples
