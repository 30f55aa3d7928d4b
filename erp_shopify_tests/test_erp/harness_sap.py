"""The SAP sandbox as an ERP contract backend, driven only through its control API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.config import SapConfig, Secret
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.records import Address
from erp_shopify.retrying import RetryPolicy
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox

ITEMS = ["MAT-BLUE-TEE", "MAT-RED-MUG", "MAT-GREEN-CAP"]
TIMEOUT = 1.0
FAST_RETRY = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05)


def sap_config(sandbox: SapSandbox) -> SapConfig:
    os.environ["SAP_SANDBOX_USER"], os.environ["SAP_SANDBOX_PASSWORD"] = USERNAME, PASSWORD
    return SapConfig(
        kind="sap",
        base_url=sandbox.odata_url,
        username=Secret(env="SAP_SANDBOX_USER"),
        password=Secret(env="SAP_SANDBOX_PASSWORD"),
    )


def adapter_for(sandbox: SapSandbox, **options: Any) -> SapAdapter:
    settings: dict[str, Any] = {"timeout": TIMEOUT, "retry": FAST_RETRY, "overlap": timedelta(seconds=30)}
    return SapAdapter(sap_config(sandbox), **{**settings, **options})


@dataclass
class SapHarness:
    sandbox: SapSandbox
    adapter: SapAdapter
    name: str = "sap"
    location: str = "1010/0001"

    def __post_init__(self) -> None:
        self.items = list(ITEMS)
        self.control = httpx.Client(base_url=self.sandbox.url, timeout=5)

    def control_call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.control.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    def set_stock(self, item_code: str, quantity: Decimal) -> None:
        self.control_call("POST", "/_sandbox/goods-movements", {"material": item_code, "set_quantity": str(quantity)})

    def lose_next_create_response(self) -> None:
        self.control_call("PUT", "/_sandbox/faults", {"timeout_after_commit_rate": 1.0, "hang_seconds": TIMEOUT * 2})

    def inject_status(self, status: int) -> None:
        if status == 403:
            self.control_call("PUT", "/_sandbox/settings", {"forbidden": True})
        elif status == 401:
            self.control_call("PUT", "/_sandbox/faults", {"unauthorized": True})
        elif status == 429:
            self.control_call("PUT", "/_sandbox/faults", {"throttle_rate": 1.0, "retry_after_seconds": 0.05})
        else:
            self.control_call("PUT", "/_sandbox/faults", {"error_rate": 1.0, "error_status": status})

    def clear_faults(self) -> None:
        self.control_call("PUT", "/_sandbox/faults", {})
        self.control_call("PUT", "/_sandbox/settings", {"forbidden": False})

    def put_product(self, code: str, title: str, sizes: dict[str, str] | None = None, *, deleted: bool = False) -> None:
        """A generic product with variants ``{item code: size}``, or a single-variant product."""
        specs: list[dict[str, Any]] = [
            {"product": code, "description": title, "brand": "ACME", "product_group": "TEES", "deleted": deleted}
        ]
        for item, size in (sizes or {}).items():
            specs.append({"product": item, "configurable_product": code, "size": size, "gtin": f"400{len(item)}"})
        self.control_call("PUT", "/_sandbox/products", specs)

    def put_erp_customer(self, number: str, name: str, addresses: list[Address], *, organization: bool = False) -> str:
        """An SAP user creates (``number`` empty) or edits a customer (``organization``: a company
        location's, named ``name``); returns its partner number."""
        first, _, last = name.rpartition(" ")
        names = {"organization": name} if organization else {"first_name": first, "last_name": last}
        spec = {
            "number": number,
            **names,
            "addresses": [
                {
                    "StreetName": a.address1,
                    "CityName": a.city,
                    "PostalCode": a.zip,
                    "Country": a.country_code,
                    "Region": a.province_code,
                    "CareOfName": a.name,
                    "AdditionalStreetPrefixName": a.company,
                }
                for a in addresses
            ],
        }
        return str(self.control_call("PUT", "/_sandbox/business-partners", [spec])["business_partners"][0])

    def count_customers(self, external_ref: str) -> int:
        return int(self.control_call("GET", f"/_sandbox/business-partners?external_ref={external_ref}")["count"])

    def lose_next_customer_create_response(self) -> None:
        self.lose_next_create_response()

    def count_sales_orders(self, external_ref: str) -> int:
        return int(self.control_call("GET", f"/_sandbox/orders?purchase_order_by_customer={external_ref}")["count"])

    def document_total(self, external_ref: str) -> Decimal:
        [order] = self.control_call("GET", f"/_sandbox/orders?purchase_order_by_customer={external_ref}")["orders"]
        taxes = sum((Decimal(item["TaxAmount"]) for item in order["items"]), Decimal(0))
        return Decimal(order["TotalNetAmount"]) + taxes

    def credit_total(self, external_ref: str) -> Decimal:
        return self.document_total(external_ref)  # the returns order: same reference field, its own type

    def ship(self, external_ref: str, item_code: str, quantity: Decimal, tracking: str) -> str:
        body = {
            "purchase_order_by_customer": external_ref,
            "lines": {item_code: str(quantity)},
            "bill_of_lading": tracking,
        }
        return str(self.control_call("POST", "/_sandbox/deliveries", body)["DeliveryDocument"])

    def retrack(self, document: str, tracking: str) -> None:
        self.control_call("PATCH", f"/_sandbox/deliveries/{document}", {"bill_of_lading": tracking})


@contextmanager
def harness(page_size: int = 1000, **adapter_options: Any) -> Iterator[SapHarness]:
    sandbox = SapSandbox(faults=Faults(seed=7), page_size=page_size).start()
    try:
        result = SapHarness(sandbox, adapter_for(sandbox, **adapter_options))
        result.control_call(
            "POST",
            "/_sandbox/seed",
            {
                "materials": ITEMS,
                "stock": [
                    {"material": item, "plant": "1010", "storage_location": "0001", "quantity": 100} for item in ITEMS
                ],
            },
        )
        try:
            yield result
        finally:
            result.adapter.close()
            result.control.close()
    finally:
        sandbox.stop()
