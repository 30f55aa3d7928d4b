"""The one config loader: shops, the ERP connection and Redis, from one YAML file.

Secrets never appear in the file: it names the environment variables that hold them, and they are
read only when a client is built (``Secret.value()``), so they cannot leak into logs, asset
metadata or the dead-letter queue by way of the configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CONFIG_ENV = "ERP_SHOPIFY_CONFIG"
DEFAULT_CONFIG = Path("config/shops.yaml")
SHOPIFY_API_VERSION = "2026-10"

# The one command-line option naming the shops file, for every command that reads it. A path that
# does not exist is left to ``load_settings``, whose message names the file and what to do.
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Shops file (default ${CONFIG_ENV} or {DEFAULT_CONFIG}).",
)


class ConfigError(ValueError):
    """A configuration problem, naming the file, the shop and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Secret(_Model):
    """A reference to a secret held in an environment variable."""

    env: str

    def value(self) -> str:
        value = os.environ.get(self.env)
        if not value:
            raise ConfigError(f"environment variable {self.env} is not set (it holds a secret named in the config)")
        return value

    def __repr__(self) -> str:  # never show a value, only where it comes from
        return f"Secret(env={self.env!r})"


class SafetyStock(_Model):
    default: int = Field(0, ge=0)
    per_location: dict[str, int] = Field(default_factory=dict)  # ERP location -> units
    per_sku: dict[str, int] = Field(default_factory=dict)  # SKU -> units (wins over location)


class PriceList(_Model):
    """A Shopify B2B price list fed from an ERP price list / customer group."""

    erp_price_list: str
    shopify_price_list_id: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class ShopFulfillment(_Model):
    """How this shop's fulfillments look: whether Shopify emails the customer, and the carrier
    name and tracking link sent with the ERP's tracking numbers (``{number}`` is replaced)."""

    notify_customer: bool = False
    tracking_company: str = ""
    tracking_url: str = ""  # e.g. "https://carrier.example/track?n={number}"; empty: Shopify builds one


class ShopConfig(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")  # the Dagster partition key
    domain: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
    api_url: str | None = None  # defaults to https://<domain>; the sandbox sets a loopback URL
    access_token: Secret
    webhook_secret: Secret
    previous_webhook_secret: Secret | None = None  # valid for up to an hour after a rotation
    plan: Literal["standard", "advanced", "plus", "enterprise"] = "standard"
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    erp_price_list: str = "retail"
    locations: dict[str, str]  # ERP location code -> Shopify location GID
    safety_stock: SafetyStock = SafetyStock()
    price_lists: list[PriceList] = Field(default_factory=list)
    sku_overrides: dict[str, str] = Field(default_factory=dict)  # ERP item code -> Shopify SKU
    fulfillment: ShopFulfillment = ShopFulfillment()
    # The ERP's one-time customer (its number) that guest checkouts are sold to, where the ERP
    # keeps customers in sync; empty: the ERP connection's own default sold-to party.
    guest_customer: str = Field("", max_length=35, pattern=r"^(\S(.*\S)?)?$")
    # Customers created in the ERP are created in this shop too (by customId = the ERP number).
    # At most one shop per ERP should: the customer then belongs to that shop's references.
    erp_born_customers: bool = False

    @field_validator("locations")
    @classmethod
    def _location_gids(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("at least one ERP location must map to a Shopify location")
        for erp_location, gid in value.items():
            if not re.fullmatch(r"gid://shopify/Location/\d+", gid):
                raise ValueError(f"{erp_location!r} maps to {gid!r}, which is not a Shopify Location GID")
        return value

    @property
    def graphql_url(self) -> str:
        base = (self.api_url or f"https://{self.domain}").rstrip("/")
        return f"{base}/admin/api/{SHOPIFY_API_VERSION}/graphql.json"


class _ErpConnection(_Model):
    """What every ERP connection has: how long one request may take before it counts as lost
    (a transient failure, retried; a write is then searched for before it is sent again)."""

    request_timeout_seconds: float = Field(30, gt=0, le=600)


class SapConfig(_ErpConnection):
    kind: Literal["sap"]
    base_url: str
    auth: Literal["basic", "oauth2"] = "basic"
    username: Secret | None = None
    password: Secret | None = None
    token_url: str | None = None
    client_id: Secret | None = None
    client_secret: Secret | None = None
    sales_organization: str = "1010"
    distribution_channel: str = "10"
    division: str = "00"
    sales_order_type: str = "OR"
    sold_to_party: str = "1000001"
    condition_type: str = "PPR0"
    rejection_reason: str = "10"  # SalesDocumentRjcnReason set on every item of a cancelled order
    credit_order_type: str = "CBAR"  # returns order type that carries a Shopify refund
    manual_price_condition_type: str = "PMP0"  # item condition carrying the Shopify unit price (tax excluded)
    discount_condition_type: str = "RB00"  # item condition (value) carrying a line's own discount
    order_discount_condition_type: str = "RB00"  # item condition (value) carrying its share of order discounts
    tax_condition_type: str = "TTX1"  # item condition (percentage) carrying one Shopify tax rate
    shipping_material: str = "SHIPPING"  # service material of the item that carries a shipping line
    shipping_condition_type: str = "KF00"  # freight condition (value) pricing that item
    # tip / duty / fee (and a refund's adjustment) -> the service material of the item that carries it,
    # priced by the manual price condition
    charge_materials: dict[str, str] = Field(default_factory=lambda: {"tip": "TIP", "duty": "DUTY", "fee": "FEE"})
    tracking_field: str = "BillOfLading"  # the outbound delivery header property holding the tracking number
    delivery_overlap_days: int = Field(1, ge=1)  # LastChangeDate has no time: re-read this many days
    product_language: str = "EN"  # the to_Description language that titles products in Shopify


class NetSuiteConfig(_ErpConnection):
    kind: Literal["netsuite"]
    base_url: str
    account_id: str
    consumer_key: Secret
    consumer_secret: Secret
    token_id: Secret
    token_secret: Secret
    subsidiary: str = "1"
    customer: str = "1"
    # itemid of a Discount item: a line discount is its line after the item, order discounts the
    # header discountItem; "" sends every line at its discounted amount instead
    discount_item: str = ""
    tax_codes: dict[str, str] = Field(default_factory=dict)  # Shopify tax title -> tax code id (tax details)
    # tip / duty / fee (and a refund's adjustment) -> itemid of the Other Charge (or Service) item of
    # its line; a charge whose kind is not listed is a data error naming this setting
    charge_items: dict[str, str] = Field(default_factory=dict)
    account_timezone: str = "UTC"  # SuiteQL compares dates in the account's zone (Setup > Company)
    # Shopify option name -> the item field holding a matrix child's value of that option
    matrix_options: dict[str, str] = Field(default_factory=lambda: {"Size": "custitem_size"})

    @field_validator("account_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'America/Los_Angeles')") from None
        return value


class TrytonConfig(_ErpConnection):
    kind: Literal["tryton"]
    base_url: str
    database: str
    username: Secret
    password: Secret
    warehouses: list[str] = Field(default_factory=list)  # warehouse codes; empty = all
    party: str = "Shopify Customer"
    shipping_product: str = ""  # product code of the shipping-cost line ("" = a line without product)
    charge_products: dict[str, str] = Field(default_factory=dict)  # tip / duty / fee -> product code (none: no product)
    # Shopify tax title -> Tryton tax name; a title not listed finds the percentage tax of its rate
    taxes: dict[str, str] = Field(default_factory=dict)


class OracleConfig(_ErpConnection):
    """Oracle Fusion Cloud SCM REST (``/fscmRestApi/resources/11.13.18.05``): Basic auth, or OAuth 2.0
    client credentials from the pod's OCI IAM identity domain with a self-signed JWT client assertion
    (``token_url`` is the domain's ``/oauth2/v1/token``; ``private_key`` the PEM whose certificate the
    confidential application trusts, ``key_id`` that certificate's alias; ``scope`` the Fusion
    resource's, e.g. ``urn:opc:resource:fa:instanceid=...urn:opc:resource:consumer::all``)."""

    kind: Literal["oracle"]
    base_url: str
    auth: Literal["basic", "oauth2"] = "basic"
    username: Secret | None = None
    password: Secret | None = None
    token_url: str | None = None
    client_id: Secret | None = None
    private_key: Secret | None = None
    key_id: str | None = None
    scope: str | None = None
    source_system: str = "SHOPIFY"  # SourceTransactionSystem: registered in Oracle as an order source
    business_unit: str = "Vision Operations"
    buying_party_number: str = "1006"  # the customer account orders are placed for
    organizations: list[str] = Field(default_factory=list)  # inventory organization codes; empty = all
    subinventories: list[str] = Field(default_factory=list)  # subinventory codes; empty = all
    retail_price_list: str = "Corporate Segment Price List"  # the price list reported as "retail"
    uom: str = "Ea"  # OrderedUOMCode of a return line whose sold line names no unit (else: the item's primary unit)
    cancel_reason: str = "CUSTOMER_REQUEST"
    return_reason: str = "CUSTOMER_RETURN"
    item_organization: str = "V1"  # the item master organization whose itemsV2 rows are the product master
    # Shopify option name -> the descriptive flexfield segment (ItemDFF) holding a SKU item's value
    item_options: dict[str, str] = Field(default_factory=lambda: {"Size": "size"})
    # tip / duty / fee, and a refund's "adjustment" -> the pricing charge definition code of its charge:
    # definitions the pod's pricing administrator creates (codes without the QP prefix; docs/erp.md)
    charge_definitions: dict[str, str] = Field(
        default_factory=lambda: {
            "tip": "SHOPIFY_TIP",
            "duty": "SHOPIFY_DUTY",
            "fee": "SHOPIFY_FEE",
            "adjustment": "SHOPIFY_REFUND_ADJUSTMENT",
        }
    )

    @model_validator(mode="after")
    def _credentials_for_the_auth(self) -> OracleConfig:
        needed = (
            ("username", "password") if self.auth == "basic" else ("token_url", "client_id", "private_key", "scope")
        )
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth {self.auth} needs {', '.join(missing)}")
        return self


ErpConfig = Annotated[SapConfig | NetSuiteConfig | TrytonConfig | OracleConfig, Field(discriminator="kind")]


class RedisConfig(_Model):
    """``url`` is ``redis://``, ``rediss://`` (TLS) or ``unix://``; one that carries a password is a
    secret reference (``url: {env: REDIS_URL}``), read only when a client is built. ``cluster: true``
    says the URL names one node of a Redis Cluster (the client finds the others itself)."""

    url: str | Secret = "redis://127.0.0.1:6379/0"
    key_prefix: str = "erp_shopify"
    cluster: bool = False

    @field_validator("key_prefix")
    @classmethod
    def _no_hash_tag_in_the_prefix(cls, value: str) -> str:
        if not value or re.search(r"[{}\s]", value):
            raise ValueError("must be non-empty, without braces or spaces (braces would decide the keys' cluster slot)")
        return value

    @field_validator("url")
    @classmethod
    def _no_password_in_the_file(cls, value: str | Secret) -> str | Secret:
        if isinstance(value, Secret):
            return value
        parsed = urlsplit(value)
        if parsed.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("expected a redis://, rediss:// or unix:// URL, or {env: VARIABLE} holding one")
        if parsed.password:
            raise ValueError("the URL carries a password: name the variable that holds it instead, {env: REDIS_URL}")
        return value

    def connection_url(self) -> str:
        """The URL to connect with (a secret reference resolved now; never log it)."""
        return self.url.value() if isinstance(self.url, Secret) else self.url


class DeliveryConfig(_Model):
    concurrency: int = Field(5, ge=1, le=64)  # ERP requests in flight, across all delivery runs together
    batch_size: int = Field(1000, ge=1, le=5000)
    # deliver_orders runs the sensor keeps going at once. One: its threads fill the ERP slots and it
    # keeps claiming; more runs add process starts and slot contention, not throughput (benchmarks.md).
    max_concurrent_runs: int = Field(1, ge=1, le=64)
    max_attempts: int = Field(5, ge=1, le=50)
    initial_backoff_seconds: float = Field(0.5, ge=0)
    max_backoff_seconds: float = Field(30, ge=0)
    sensor_interval_seconds: int = Field(10, ge=1)
    # A run that finished its batch claims the next while the queue has one, for up to this long (a
    # new run costs a process start). It holds one "erp" pool slot meanwhile, of the four the
    # inventory and price steps share. 0: one batch per run.
    keep_claiming_seconds: int = Field(600, ge=0, le=3600)
    lease_seconds: int = Field(300, ge=1)  # an in-flight event a crashed worker held is taken over after this
    order_wait_seconds: int = Field(3600, ge=0)  # a cancel/refund waits this long for its order, then DLQ
    dlq_retention_days: float = Field(30, gt=0)  # dead letters (customer data) expire after this

    @property
    def dlq_retention_seconds(self) -> float:
        return self.dlq_retention_days * 86400


class IngestConfig(_Model):
    """The webhook receiver: its body cap and how long an event id is remembered for dedupe."""

    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    dedupe_ttl_seconds: int = Field(48 * 3600, ge=48 * 3600)  # Shopify redelivers up to a day late


class InventoryConfig(_Model):
    schedule: str | None = None  # a cron expression; None: the sync policy's cadence
    overlap_seconds: int = Field(300, ge=0)
    bulk_read_above: int = Field(20_000, ge=1)  # catalogs larger than this are read by bulk operation
    max_unmapped_share: float = Field(0.2, ge=0, le=1)  # the xref check blocks above this
    drift_sample_size: int = Field(50, ge=1)
    max_drift_share: float = Field(0.05, ge=0, le=1)
    stale_after_minutes: int = Field(60, ge=1)  # a shop not synced for longer fails inventory_fresh and alerts


class FulfillmentConfig(_Model):
    schedule: str | None = None  # a cron expression; None: the sync policy's cadence
    workers: int = Field(4, ge=1, le=32)  # orders fulfilled in parallel (one order's deliveries in turn)


class PricingConfig(_Model):
    schedule: str | None = None  # a cron expression; None: the sync policy's cadence
    max_change_percent: Decimal = Field(Decimal("50"), gt=0)


class ProductsConfig(_Model):
    """The product master sync: its cadence, the ``customId`` metafield that keys every product, and
    which Shopify-owned fields (``policy.HANDOVER_PRODUCT_FIELDS``) the ERP is given."""

    schedule: str | None = None  # a cron expression; None: the sync policy's cadence
    id_namespace: str = "erp"
    id_key: str = "item"
    erp_owns: list[Literal["tags"]] = Field(default_factory=list)
    synchronous_up_to_variants: int = Field(100, ge=1)  # larger products run as a ProductSetOperation
    write_concurrency: int = Field(4, ge=1, le=16)


class Settings(_Model):
    erp: ErpConfig
    shops: list[ShopConfig]
    redis: RedisConfig = RedisConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    ingest: IngestConfig = IngestConfig()
    inventory: InventoryConfig = InventoryConfig()
    pricing: PricingConfig = PricingConfig()
    fulfillments: FulfillmentConfig = FulfillmentConfig()
    products: ProductsConfig = ProductsConfig()
    alert_webhook_url: Secret | None = None

    @model_validator(mode="after")
    def _unique_shop_names(self) -> Settings:
        seen: set[str] = set()
        for shop in self.shops:
            if shop.name in seen:
                raise ValueError(f"shop name {shop.name!r} appears twice")
            seen.add(shop.name)
        return self

    def shop(self, name: str) -> ShopConfig:
        for shop in self.shops:
            if shop.name == name:
                return shop
        raise KeyError(f"no shop named {name!r} in the configuration (known: {', '.join(self.shop_names)})")

    @property
    def shop_names(self) -> list[str]:
        return [shop.name for shop in self.shops]


def _describe(error: Mapping[str, Any], data: Any) -> str:
    """'shops[1] (demo-us).locations: ...' from a pydantic error location."""
    loc = error["loc"]
    parts: list[str] = []
    node = data
    for i, step in enumerate(loc):
        if isinstance(step, int):
            parts[-1] = f"{parts[-1]}[{step}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if i >= 1 and loc[i - 1] == "shops" and isinstance(node, dict) and node.get("name"):
                    parts[-1] += f" (shop {node['name']!r})"
            continue
        parts.append(str(step))
        node = node.get(step) if isinstance(node, dict) else None
    return f"{'.'.join(parts) or '<root>'}: {error['msg']}"


def parse_settings(data: Any, *, source: str = "<config>") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        details = "\n".join(f"  {_describe(err, data)}" for err in exc.errors())
        raise ConfigError(f"{source}: invalid configuration\n{details}") from None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load and validate the configuration file (``$ERP_SHOPIFY_CONFIG`` or ``config/shops.yaml``)."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_settings(data, source=str(path))
