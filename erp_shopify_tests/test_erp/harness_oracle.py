"""The Oracle sandbox behind the ERP contract: driven through its ``/_sandbox`` control API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import redis

from erp_shopify.config import OracleConfig, Secret
from erp_shopify.erp.oracle.adapter import OracleAdapter
from erp_shopify.records import Address, Customer, SalesOrder, SalesOrderLine
from erp_shopify.retrying import RetryPolicy
from erp_shopify.store.onhand_snapshots import OnhandSnapshots
from erp_shopify_sandbox.oracle import ENV, SEED_ITEMS, SEED_ORGANIZATION, SEED_SUBINVENTORIES, OracleSandbox
from erp_shopify_tests.conftest import REDIS_URL
from erp_shopify_tests.test_erp.harness import exported

QUICK_RETRIES = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05)
LOCATION = f"{SEED_ORGANIZATION}/{SEED_SUBINVENTORIES[0]}"


def sales_order(ref: str, item: str = SEED_ITEMS[0], quantity: int = 2, party: str | None = None) -> SalesOrder:
    """An order of Ada's for ``quantity`` of ``item``, bought by ``party`` when given."""
    return SalesOrder(
        external_ref=ref,
        shop="demo-us",
        currency="USD",
        ordered_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        customer=Customer(email="ada@example.com", name="Ada Lovelace", erp_party=party),
        ship_to=Address(
            name="Ada Lovelace", address1="1 Analytical Way", city="Austin", zip="78701", country_code="US"
        ),
        lines=[SalesOrderLine(item_code=item, quantity=Decimal(quantity), unit_price=Decimal("19.90"))],
    )


def oracle_config(sandbox: OracleSandbox, **options: Any) -> OracleConfig:
    secrets: dict[str, Any] = {field: Secret(env=env) for field, env in ENV.items()}
    return OracleConfig(kind="oracle", base_url=sandbox.url, **{**secrets, **options})


def sandbox_environment(sandbox: OracleSandbox) -> AbstractContextManager[None]:
    return exported(sandbox.environment())


class OracleHarness:
    name = "oracle"
    location = LOCATION

    def __init__(self, sandbox: OracleSandbox, adapter: OracleAdapter) -> None:
        self.sandbox = sandbox
        self.adapter = adapter
        self.items = list(SEED_ITEMS[:2])
        self.control = httpx.Client(base_url=f"{sandbox.url}/_sandbox", timeout=10)

    def set_faults(self, **faults: Any) -> None:
        self.control.put("/faults", json=faults).raise_for_status()

    def set_stock(self, item_code: str, quantity: Decimal, location: str = LOCATION, lot: str = "") -> None:
        body = {"item": item_code, "location": location, "quantity": str(quantity), "lot": lot}
        self.control.put("/stock", json=body).raise_for_status()

    def put_product(self, code: str, title: str, sizes: dict[str, str] | None = None, *, deleted: bool = False) -> None:
        """A style item with SKU items ``{item number: size}``, or a standalone item."""
        status = "Inactive" if deleted else "Active"
        specs: list[dict[str, Any]] = [
            {"ItemNumber": code, "ItemDescription": title, "ItemStatusValue": status, "StyleItemFlag": bool(sizes)}
        ]
        for item, size in (sizes or {}).items():
            sku = {"ItemNumber": item, "ItemDescription": f"{title} {size}", "StyleItemNumber": code}
            specs.append({**sku, "dff": {"size": size}})
        self.control.put("/items", json=specs).raise_for_status()

    def ship(self, external_ref: str, item_code: str, quantity: Decimal, tracking: str) -> str:
        body = {"order": external_ref, "item": item_code, "quantity": str(quantity), "waybill": tracking}
        response = self.control.post("/shipments", json=body)
        response.raise_for_status()
        return str(response.json()["Shipment"])

    def retrack(self, document: str, tracking: str) -> None:
        self.control.patch(f"/shipments/{document}", json={"waybill": tracking}).raise_for_status()

    def put_erp_customer(self, number: str, name: str, addresses: list[Address]) -> None:
        """A person an Oracle user enters (``number`` is Oracle's to give: a new one is created)."""
        first, _, last = name.partition(" ")
        body = {
            "FirstName": first,
            "LastName": last,
            "Address": [
                {"Address1": a.address1, "City": a.city, "PostalCode": a.zip, "Country": a.country_code}
                for a in addresses
            ],
        }
        self.control.put("/persons", json=body).raise_for_status()

    def put_erp_organization(self, name: str, addresses: list[Address]) -> str:
        """An organization an Oracle user enters; answers its party number."""
        body = {
            "OrganizationName": name,
            "Address": [
                {"Address1": a.address1, "City": a.city, "PostalCode": a.zip, "Country": a.country_code}
                for a in addresses
            ],
        }
        response = self.control.put("/organizations", json=body)
        response.raise_for_status()
        return str(response.json()["PartyNumber"])

    def count_customers(self, external_ref: str, parties: str = "persons") -> int:
        response = self.control.get(f"/{parties}", params={"SourceSystemReferenceValue": external_ref})
        response.raise_for_status()
        return int(response.json()["count"])

    def count_company_locations(self, external_ref: str) -> int:
        return self.count_customers(external_ref, "organizations")

    def lose_next_customer_create_response(self) -> None:
        self.lose_next_create_response()

    def lose_next_create_response(self) -> None:
        # Longer than the adapter's timeout, short enough not to hold the sandbox's shutdown long.
        self.set_faults(timeout_after_commit_rate=1.0, hang_seconds=3.0)

    def inject_status(self, status: int) -> None:
        if status == 401:
            self.set_faults(unauthorized=True)
        elif status == 403:
            self.set_faults(forbidden=True)
        elif status == 429:
            self.set_faults(throttle_rate=1.0, retry_after_seconds=0)
        elif status >= 500:
            self.set_faults(error_rate=1.0, error_status=status)
        else:
            raise ValueError(f"the Oracle sandbox cannot inject HTTP {status}")

    def clear_faults(self) -> None:
        self.set_faults()

    def count_sales_orders(self, external_ref: str) -> int:
        response = self.control.get("/orders", params={"SourceTransactionId": external_ref})
        response.raise_for_status()
        return int(response.json()["count"])

    def document_total(self, external_ref: str) -> Decimal:
        response = self.control.get("/orders", params={"SourceTransactionId": external_ref})
        response.raise_for_status()
        return Decimal(str(response.json()["total"]))

    def credit_total(self, external_ref: str) -> Decimal:
        """What the return order credits: the size of its primary total (return lines count negative)."""
        return -self.document_total(external_ref)

    def close(self) -> None:
        self.control.close()


@contextmanager
def snapshot_tables() -> Iterator[OnhandSnapshots]:
    """The on-hand snapshot tables under a key prefix of their own, deleted afterwards."""
    prefix = f"test-erp-shopify:{uuid.uuid4().hex[:12]}"
    tables = OnhandSnapshots(redis.Redis.from_url(REDIS_URL), prefix)
    try:
        yield tables
    finally:
        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)


@contextmanager
def harness(page_size: int = 2, **sandbox_options: Any) -> Iterator[OracleHarness]:
    sandbox = OracleSandbox(**sandbox_options).start()
    try:
        with snapshot_tables() as tables:
            with sandbox_environment(sandbox):
                adapter = OracleAdapter(
                    oracle_config(sandbox), page_size=page_size, timeout=1.5, retry=QUICK_RETRIES, tables=tables
                )
            test_harness = OracleHarness(sandbox, adapter)
            try:
                yield test_harness
            finally:
                test_harness.close()
                adapter.close()
    finally:
        sandbox.stop()
