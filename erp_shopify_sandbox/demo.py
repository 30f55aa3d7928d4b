"""``erp-shopify demo``: both directions of the integration on your machine, in about half a minute.

Starts the sandboxes in-process (two Shopify shops and an ERP) and the webhook receiver, subscribes
the shops to it, seeds them, writes a shops file under ``$DAGSTER_HOME`` pointing at them (secrets
exported as environment variables by the demo itself), registers the shops as partitions and
materialises xref, inventory and prices for every shop through a real Dagster instance. Then it
changes some ERP stock and syncs again, to show that only the changes travel, and places storefront
orders whose webhooks reach the ERP through the order sensor and a ``deliver_orders`` run
(``demo_orders``). ``erp-shopify dev`` reuses ``DemoWorld`` behind the Dagster UI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import dagster as dg
import httpx
import yaml

from erp_shopify.config import CONFIG_ENV, RedisConfig
from erp_shopify.store.connection import connect
from erp_shopify.store.epoch import start_new_epoch
from erp_shopify_sandbox.files import project_file
from erp_shopify_sandbox.shopify import RunningShopifySandbox, start_shopify_sandbox
from erp_shopify_sandbox.shopify.ids import gid

DEMO_CONFIG = project_file("config/demo.yaml")
PRODUCTS, VARIANTS_PER_PRODUCT = 60, 2
ERP_ONLY = ["ERP-ONLY-1", "ERP-ONLY-2", "ERP-ONLY-3"]  # items the shops do not sell: reported unmapped
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the tables tell the story
RENAMED = "MAT-0001"  # an ERP code that reaches its variant through sku_overrides


@dataclass
class ErpSide:
    """The demo's ERP sandbox: how to seed it and what the shops file must say about it."""

    name: str
    sandbox: Any
    config: dict[str, Any]
    env: dict[str, str]
    locations: list[str]  # ERP location codes, mapped to Shopify locations in order
    set_stock: Callable[[str, str, int], None]
    set_price: Callable[[str, str, Decimal], None]
    item_codes: list[str] = field(default_factory=list)
    fixed_catalogue: bool = False  # the ERP brings its own items (Tryton's demo database)
    currency: str | None = None  # every shop sells in it (the only currency the ERP has), else the file's
    # the warehouse ships (order reference, SKU -> units, tracking number); None: shipments not read
    ship: Callable[[str, dict[str, int], str], None] | None = None


def _sap() -> ErpSide:
    from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox

    sap = SapSandbox().start()

    def set_stock(code: str, location: str, units: int) -> None:
        if code not in sap.store.base_units:
            sap.store.add_material(code)
        plant, storage_location = location.split("/")
        sap.store.set_quantity(
            code, plant, storage_location, Decimal(units), at=datetime.now(UTC) - timedelta(seconds=5)
        )

    def set_price(code: str, currency: str, price: Decimal) -> None:
        sap.store.put_condition(
            {"material": code, "rate": str(price), "currency": currency, "condition_record": f"{code}-{currency}"}
        )

    config = {
        "kind": "sap",
        "base_url": sap.odata_url,
        "username": {"env": "DEMO_SAP_USERNAME"},
        "password": {"env": "DEMO_SAP_PASSWORD"},
    }
    env = {"DEMO_SAP_USERNAME": USERNAME, "DEMO_SAP_PASSWORD": PASSWORD}

    def ship(reference: str, lines: dict[str, int], tracking: str) -> None:
        body = {"purchase_order_by_customer": reference, "lines": lines, "bill_of_lading": tracking}
        httpx.post(f"{sap.url}/_sandbox/deliveries", json=body, timeout=10).raise_for_status()

    side = ErpSide("sap", sap, config, env, ["1010/0001", "1010/0002"], set_stock, set_price)
    side.ship = ship
    return side


def _netsuite() -> ErpSide:
    from erp_shopify_sandbox.netsuite import ACCOUNT_ID, ENV, NetSuiteSandbox

    netsuite = NetSuiteSandbox().start()
    config: dict[str, Any] = {"kind": "netsuite", "base_url": netsuite.url, "account_id": ACCOUNT_ID}
    config.update({name: {"env": env} for name, env in ENV.items()})

    def set_price(code: str, currency: str, price: Decimal) -> None:
        if currency in ("USD", "EUR"):  # the sandbox account's currencies
            netsuite.account.set_price(code, 1, currency, 1, price)

    def set_stock(code: str, location: str, units: int) -> None:
        netsuite.account.set_stock(code, int(location), Decimal(units))

    def ship(reference: str, lines: dict[str, int], tracking: str) -> None:
        for code, units in lines.items():  # one item fulfillment per item, each with its package
            body = {"order": reference, "item": code, "quantity": units, "tracking": tracking}
            httpx.post(f"{netsuite.url}/_sandbox/item-fulfillments", json=body, timeout=10).raise_for_status()

    side = ErpSide("netsuite", netsuite, config, netsuite.environment(), ["1", "2"], set_stock, set_price)
    side.ship = ship
    return side


def _tryton() -> ErpSide:
    """A real trytond (built once, then copied) with its demo products, stocked and priced in EUR."""
    from erp_shopify.erp.tryton.rpc import TrytonRpc
    from erp_shopify_sandbox import tryton_demo
    from erp_shopify_sandbox.tryton import TrytonSandbox

    tryton = TrytonSandbox()
    server = tryton.server
    rpc = TrytonRpc(server.url, server.database, server.login, server.password)

    def first(model: str, domain: list[Any]) -> int:
        ids: list[int] = rpc.model(model, "search", domain, 0, 1, None)
        return ids[0]

    def set_stock(code: str, location: str, units: int) -> None:
        """A confirmed stock inventory (Tryton's own count correction) in the warehouse's storage."""
        storage, product = (
            first("stock.location", [("code", "=", "STO")]),
            first("product.product", [("code", "=", code)]),
        )
        line = {"product": product, "quantity": float(units)}
        ids = rpc.model("stock.inventory", "create", [{"location": storage, "lines": [["create", [line]]]}])
        rpc.model("stock.inventory", "confirm", ids)

    config = {
        "kind": "tryton",
        "base_url": tryton.url,
        "database": server.database,
        "username": {"env": "DEMO_TRYTON_USERNAME"},
        "password": {"env": "DEMO_TRYTON_PASSWORD"},
    }
    env = {"DEMO_TRYTON_USERNAME": server.login, "DEMO_TRYTON_PASSWORD": server.password}
    side = ErpSide("tryton", tryton, config, env, [tryton_demo.WAREHOUSE], set_stock, lambda *_: None)
    side.item_codes, side.fixed_catalogue = [code for code, *_ in tryton_demo.PRODUCTS], True
    side.currency = "EUR"  # the demo company's currency: an order in another one is a data error
    return side


def _oracle() -> ErpSide:
    from erp_shopify_sandbox.oracle import ENV, RETAIL_PRICE_LIST, SEED_ORGANIZATION, SEED_SUBINVENTORIES, OracleSandbox

    oracle = OracleSandbox().start()
    config: dict[str, Any] = {"kind": "oracle", "base_url": oracle.url}
    config.update({name: {"env": env} for name, env in ENV.items()})

    def set_stock(code: str, location: str, units: int) -> None:
        organization, subinventory = location.split("/")
        oracle.pod.set_onhand(code, organization, subinventory, Decimal(units))

    def set_price(code: str, currency: str, price: Decimal) -> None:
        oracle.pod.set_price(RETAIL_PRICE_LIST, code, currency, price)

    def ship(reference: str, lines: dict[str, int], tracking: str) -> None:
        [order] = [o for o in oracle.pod.order_rows() if o["SourceTransactionId"] == reference]
        shipped = [
            {"item": code, "quantity": units, "subinventory": SEED_SUBINVENTORIES[0]} for code, units in lines.items()
        ]
        oracle.pod.catalog.ship(order["OrderNumber"], shipped, tracking, "UPS")

    locations = [f"{SEED_ORGANIZATION}/{sub}" for sub in SEED_SUBINVENTORIES]
    side = ErpSide("oracle", oracle, config, oracle.environment(), locations, set_stock, set_price)
    side.ship = ship
    return side


ERPS: dict[str, Callable[[], ErpSide]] = {"sap": _sap, "netsuite": _netsuite, "tryton": _tryton, "oracle": _oracle}


@dataclass
class DemoWorld:
    erp: ErpSide
    shops: dict[str, RunningShopifySandbox]
    config_path: Path
    env: dict[str, str]
    webhook_url: str  # the receiver every sandbox shop sends its webhooks to


def _shops_file(
    erp: ErpSide, shops: dict[str, RunningShopifySandbox], path: Path, key_prefix: str | None = None
) -> Path:
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    data["erp"] = erp.config
    if key_prefix:
        data["redis"]["key_prefix"] = key_prefix
    for shop in data["shops"]:
        shop["api_url"] = shops[shop["name"]].url
        shop["currency"] = erp.currency or shop["currency"]
        wanted = min(len(shop["locations"]), len(erp.locations))  # the demo file says how many
        shop["locations"] = {erp.locations[i]: gid("Location", i) for i in range(wanted)}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _seed(erp: ErpSide, shops: dict[str, RunningShopifySandbox]) -> None:
    count = PRODUCTS * VARIANTS_PER_PRODUCT
    codes = [f"SKU-{n:07d}" for n in range(count)]
    for sandbox in shops.values():
        state = sandbox.sandbox.state
        state.seed(PRODUCTS, variants_per_product=VARIANTS_PER_PRODUCT, locations=len(erp.locations), available=0)
        state.set_variant(5, sku="sku-0000005 ")  # typed by hand in the admin: matched after normalisation
        if erp.fixed_catalogue:  # the shop sells the ERP's own items under their codes
            for n, code in enumerate(erp.item_codes):
                state.set_variant(10 + n, sku=code)
    if erp.fixed_catalogue:
        return
    erp_codes = [RENAMED if n == 1 else code for n, code in enumerate(codes)] + ERP_ONLY
    for n, code in enumerate(erp_codes):
        for i, location in enumerate(erp.locations):
            erp.set_stock(code, location, 5 + (n * 7 + i * 3) % 40)
        erp.set_price(code, "USD", Decimal(f"{10 + n % 50}.99"))
        erp.set_price(code, "JPY", Decimal(1500 + 100 * (n % 50)))
    erp.item_codes = erp_codes


def _receive_webhooks(config_path: Path, shops: dict[str, RunningShopifySandbox], stack: ExitStack) -> str:
    """The ingest app on loopback, and every sandbox shop subscribed to it for each topic the sync
    policy routes (orders, refunds, inventory levels, products, customers). A sandbox signs with the
    secret it was started with, which is the one the shops file names: the receiver verifies it."""
    from erp_shopify.config import load_settings
    from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
    from erp_shopify.policy import routed_topics
    from erp_shopify_sandbox.server import ServerThread
    from erp_shopify_sandbox.shopify.webhooks import TOPICS

    receiver = ServerThread(create_app(load_settings(config_path))).start()
    stack.callback(receiver.stop)
    address = receiver.url + WEBHOOK_PATH
    for sandbox in shops.values():
        for topic in sorted(routed_topics() & set(TOPICS)):
            sandbox.control.subscribe(topic, address)
    return address


@contextmanager
def demo_world(erp_kind: str, home: Path, *, key_prefix: str | None = None) -> Iterator[DemoWorld]:
    """Sandboxes running and seeded, the webhook receiver subscribed to them, a shops file under
    ``home`` (its Redis ``key_prefix`` replaced when given), secrets in ``os.environ``."""
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    with ExitStack() as stack:
        erp = ERPS[erp_kind]()
        stack.callback(erp.sandbox.stop)
        shops: dict[str, RunningShopifySandbox] = {}
        env = dict(erp.env)
        for shop in data["shops"]:
            token, secret = f"shpat_demo_{shop['name']}", f"whsec_demo_{shop['name']}"
            sandbox = start_shopify_sandbox(
                shop_domain=shop["domain"],
                access_token=token,
                webhook_secret=secret,
                currency=erp.currency or shop["currency"],
                locations=0,
            )
            stack.callback(sandbox.stop)
            shops[shop["name"]] = sandbox
            env[shop["access_token"]["env"]], env[shop["webhook_secret"]["env"]] = token, secret
        os.environ.update(env)
        _seed(erp, shops)
        config_path = _shops_file(erp, shops, home / "demo-shops.yaml", key_prefix)
        os.environ[CONFIG_ENV] = str(config_path)
        env[CONFIG_ENV] = str(config_path)
        _forget_demo_state(config_path)
        webhook_url = _receive_webhooks(config_path, shops, stack)
        yield DemoWorld(erp, shops, config_path, env, webhook_url)


def dagster_home() -> Path:
    """``$DAGSTER_HOME`` (``make`` sets it), else ``./.dagster_home``, with the project's instance config."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(project_file("dagster.yaml"), home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _forget_demo_state(config_path: Path) -> None:
    """The sandboxes start empty, so the demo's own Redis keys (last written values) must too, and
    its Redis is a new deployment's."""
    config = RedisConfig.model_validate(yaml.safe_load(config_path.read_text())["redis"])
    with connect(config) as client:  # on a cluster: SCAN on every primary, DEL split by slot
        keys = list(client.scan_iter(match=f"{config.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        start_new_epoch(client, config.key_prefix)  # the ERP is empty too: first sends need no search


def _sync_all(
    instance: dg.DagsterInstance, shops: list[str], selection: list[str], *, full_resync: bool = False
) -> dict[str, dict[str, Any]]:
    from erp_shopify.defs.inventory.assets import inventory_levels
    from erp_shopify.defs.pricing.assets import price_changes, prices
    from erp_shopify.defs.resources import resources
    from erp_shopify.defs.xref.assets import sku_xref

    assets = [sku_xref, inventory_levels, price_changes, prices]
    figures: dict[str, dict[str, Any]] = {}
    for shop in shops:
        result = dg.materialize(
            assets,
            instance=instance,
            resources=resources().resources,
            partition_key=shop,
            selection=selection,
            run_config={**QUIET, "ops": {"inventory_levels": {"config": {"full_resync": full_resync}}}},
        )
        figures[shop] = {
            event.materialization.asset_key.to_user_string(): {
                k: v.value for k, v in event.materialization.metadata.items()
            }
            for event in result.get_asset_materialization_events()
        }
    return figures


def _table(title: str, figures: dict[str, dict[str, Any]]) -> None:
    click.echo(f"\n{title}")
    header = (
        f"{'shop':<9} {'changes read':>12} {'written':>8} {'unchanged':>9} {'unmapped':>8} {'prices':>7}  watermark"
    )
    click.echo(header)
    click.echo("-" * len(header))
    for shop, assets in figures.items():
        inv, prices = assets.get("inventory_levels", {}), assets.get("prices", {})
        mark = str(inv.get("watermark") or "")
        click.echo(
            f"{shop:<9} {inv.get('changes_read', 0):>12} {inv.get('written', 0):>8} {inv.get('unchanged', 0):>9}"
            f" {inv.get('unmapped_items', 0):>8} {prices.get('prices_written', '-')!s:>7}"
            f"  {mark[:40]}{'...' if len(mark) > 40 else ''}"
        )


@click.command("demo")
@click.option("--erp", "erp_kind", type=click.Choice(sorted(ERPS)), default="sap", show_default=True)
@click.option("--key-prefix", default=None, help="Redis key prefix instead of the demo file's (its keys are reset).")
def demo(erp_kind: str, key_prefix: str | None) -> None:
    """Run the ERP -> Shopify sync and the Shopify -> ERP order flow end to end against local sandboxes."""
    from erp_shopify.config import load_settings
    from erp_shopify.defs.shops import sync_shop_partitions
    from erp_shopify_sandbox import demo_orders

    home = dagster_home()
    with demo_world(erp_kind, home, key_prefix=key_prefix) as world, dg.DagsterInstance.get() as instance:
        click.echo(f"ERP sandbox ({erp_kind}): {world.erp.sandbox.url}")
        for name, sandbox in world.shops.items():
            click.echo(f"Shopify sandbox {name}: {sandbox.graphql_url}")
        click.echo(f"Webhook receiver: {world.webhook_url}")
        added, removed = sync_shop_partitions(instance, list(world.shops))
        click.echo(f"shops partitions: added {added or 'none'}, removed {removed or 'none'}")

        # The sandboxes are new, so the first inventory run is a full resync: an ERP snapshot, and
        # the journal position taken before it becomes the watermark of every later delta run.
        everything = ["sku_xref", "inventory_levels", "price_changes", "prices"]
        first = _sync_all(instance, list(world.shops), everything, full_resync=True)
        _table("First sync per shop (xref, full inventory resync, prices):", first)

        changed = world.erp.item_codes[:6]
        for n, code in enumerate(changed):
            world.erp.set_stock(code, world.erp.locations[0], 100 + n)
        second = _sync_all(instance, list(world.shops), ["inventory_levels"])
        _table(f"After {len(changed)} ERP stock changes, the next inventory run writes only those:", second)

        orders = demo_orders.place_storefront_orders(world)
        events = sum(len(order.events) for order in orders)
        with demo_orders.queue_parts(load_settings()) as parts:
            demo_orders.wait_until_queued(parts, events)
            held = demo_orders.pending_units(parts, list(world.shops))
            runs = demo_orders.deliver_queued(instance)
            ok = sum(run.success for run in runs)
            click.echo(
                f"\n{len(orders)} storefront orders (one refunded, one cancelled): {events} webhooks queued,"
                f" delivered by {ok} of {len(runs)} deliver_orders run(s) on the Dagster instance:"
            )
            demo_orders.order_summary(orders, parts, held)
        shipped = demo_orders.ship_two_orders(world, orders)
        if shipped:
            click.echo(
                f"\nThe warehouse ships {shipped[0][0].name} in part and {shipped[1][0].name} whole;"
                " the fulfillments run writes them to Shopify, once, with tracking:"
            )
            demo_orders.fulfil_and_show(instance, shipped)
        _next_steps(home, world.config_path)


def _next_steps(home: Path, config_path: Path) -> None:
    click.echo(f"\nDagster instance: {home}  (shops file: {config_path})")
    click.echo("What to do next:")
    click.echo("  make dev    the same world kept running under `dagster dev`, whose daemon runs order_sensor")
    click.echo("  http://127.0.0.1:3000   its UI: Assets -> inventory_levels and order_queue, Runs, Automation")
    click.echo(f"  export {CONFIG_ENV}={config_path}   then, from this folder:")
    click.echo("  .venv/bin/erp-shopify dlq list        orders waiting for a person (dlq show <id>, dlq replay --all)")
    click.echo("  .venv/bin/erp-shopify webhooks stats  what the receiver queued, dropped as echoes or rejected")
    click.echo("  .venv/bin/erp-shopify resume          lift a delivery pause (or the resume_deliveries job in the UI)")
