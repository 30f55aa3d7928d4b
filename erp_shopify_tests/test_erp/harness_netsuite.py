"""The NetSuite sandbox behind the ERP contract: driven through its ``/_sandbox`` control API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.config import NetSuiteConfig, Secret
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.records import Address
from erp_shopify.retrying import RetryPolicy
from erp_shopify_sandbox.netsuite import ACCOUNT_ID, CHARGE_ITEMS, DISCOUNT_ITEM, ENV, SEED_ITEMS, NetSuiteSandbox
from erp_shopify_tests.test_erp.harness import exported

QUICK_RETRIES = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05)


def netsuite_config(sandbox: NetSuiteSandbox) -> NetSuiteConfig:
    return NetSuiteConfig(
        kind="netsuite",
        base_url=sandbox.url,
        account_id=ACCOUNT_ID,
        discount_item=DISCOUNT_ITEM,
        charge_items=CHARGE_ITEMS,
        **{field: Secret(env=env) for field, env in ENV.items()},
    )


def sandbox_environment(sandbox: NetSuiteSandbox) -> AbstractContextManager[None]:
    return exported(sandbox.environment())


class NetSuiteHarness:
    name = "netsuite"
    location = "1"

    def __init__(self, sandbox: NetSuiteSandbox, adapter: NetSuiteAdapter) -> None:
        self.sandbox = sandbox
        self.adapter = adapter
        self.items = list(SEED_ITEMS[:2])
        self.control = httpx.Client(base_url=f"{sandbox.url}/_sandbox", timeout=10)

    def _faults(self, **faults: Any) -> None:
        self.control.put("/faults", json=faults).raise_for_status()

    def set_stock(self, item_code: str, quantity: Decimal) -> None:
        body = {"item": item_code, "location": self.location, "quantity": str(quantity)}
        self.control.put("/stock", json=body).raise_for_status()

    def put_product(self, code: str, title: str, sizes: dict[str, str] | None = None, *, deleted: bool = False) -> None:
        """A matrix parent with children ``{item code: size}``, or a plain item."""
        specs: list[dict[str, Any]] = [
            {"itemid": code, "displayname": title, "manufacturer": "ACME", "isinactive": "T" if deleted else "F"}
        ]
        if sizes:
            specs[0]["matrixtype"] = "PARENT"
        for item, size in (sizes or {}).items():
            specs.append({"itemid": item, "parent": code, "matrixtype": "CHILD", "custitem_size": size})
        self.control.put("/items", json=specs).raise_for_status()

    def lose_next_create_response(self) -> None:
        # Longer than the adapter's timeout, short enough not to hold the sandbox's shutdown long.
        self._faults(timeout_after_commit_rate=1.0, hang_seconds=3.0)

    def inject_status(self, status: int) -> None:
        if status == 401:
            self._faults(unauthorized=True)
        elif status == 403:  # the token's role lost its permissions
            self.control.put("/permissions", json={"granted": False}).raise_for_status()
        elif status == 429:
            self._faults(throttle_rate=1.0, retry_after_seconds=0)
        elif status >= 500:
            self._faults(error_rate=1.0, error_status=status)
        else:
            raise ValueError(f"the NetSuite sandbox cannot inject HTTP {status}")

    def clear_faults(self) -> None:
        self._faults()
        self.control.put("/permissions", json={"granted": True}).raise_for_status()

    def put_erp_customer(self, number: str, name: str, addresses: list[Address], *, organization: bool = False) -> str:
        """A NetSuite user creates (``number`` empty) or edits a customer (``organization``: a company
        location's, named ``name``); returns its internal id."""
        first, _, last = name.rpartition(" ")
        book = [
            {
                "addressee": a.name,
                "attention": a.company,
                "addr1": a.address1,
                "addr2": a.address2,
                "city": a.city,
                "zip": a.zip,
                "state": a.province_code,
                "country": a.country_code,
            }
            for a in addresses
        ]
        names = {"companyName": name} if organization else {"firstName": first, "lastName": last}
        spec = {"id": number, **names, "addresses": book}
        response = self.control.put("/customers", json=[spec])
        response.raise_for_status()
        return str(response.json()["customers"][0])

    def count_customers(self, external_ref: str) -> int:
        response = self.control.get("/customers", params={"externalId": external_ref})
        response.raise_for_status()
        return int(response.json()["count"])

    def lose_next_customer_create_response(self) -> None:
        self.lose_next_create_response()

    def count_sales_orders(self, external_ref: str) -> int:
        response = self.control.get("/orders", params={"externalId": external_ref})
        response.raise_for_status()
        return int(response.json()["count"])

    def document_total(self, external_ref: str) -> Decimal:
        response = self.control.get("/orders", params={"externalId": external_ref})
        response.raise_for_status()
        return Decimal(str(response.json()["total"]))

    def credit_total(self, external_ref: str) -> Decimal:
        params = {"externalId": external_ref, "type": "creditMemo"}
        response = self.control.get("/orders", params=params)
        response.raise_for_status()
        return Decimal(str(response.json()["total"]))

    def ship(self, external_ref: str, item_code: str, quantity: Decimal, tracking: str) -> str:
        body = {"order": external_ref, "item": item_code, "quantity": str(quantity), "tracking": tracking}
        response = self.control.post("/item-fulfillments", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    def retrack(self, document: str, tracking: str) -> None:
        self.control.patch(f"/item-fulfillments/{document}", json={"tracking": tracking}).raise_for_status()

    def close(self) -> None:
        self.control.close()


@contextmanager
def harness(**sandbox_options: Any) -> Iterator[NetSuiteHarness]:
    sandbox = NetSuiteSandbox(**sandbox_options).start()
    try:
        with sandbox_environment(sandbox):
            adapter = NetSuiteAdapter(netsuite_config(sandbox), page_size=2, timeout=1.5, retry=QUICK_RETRIES)
        test_harness = NetSuiteHarness(sandbox, adapter)
        try:
            yield test_harness
        finally:
            test_harness.close()
            adapter.close()
    finally:
        sandbox.stop()
