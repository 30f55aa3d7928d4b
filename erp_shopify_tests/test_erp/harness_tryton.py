"""A real trytond (demo database copy) behind the fault proxy, driven through Tryton's own RPC.

The adapter under test talks to the proxy; the harness talks to trytond directly, so injected
faults never reach the harness's own stock moves and sale counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from erp_shopify.config import Secret, TrytonConfig
from erp_shopify.erp.tryton.adapter import TrytonAdapter
from erp_shopify.erp.tryton.rpc import TrytonRpc
from erp_shopify.records import Address
from erp_shopify.retrying import RetryPolicy
from erp_shopify_sandbox import tryton_demo
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.tryton import TrytonSandbox

LOGIN_ENV = "ERP_SHOPIFY_TEST_TRYTON_LOGIN"
PASSWORD_ENV = "ERP_SHOPIFY_TEST_TRYTON_PASSWORD"
ADAPTER_TIMEOUT = 8.0


ALL = {"active_test": False}


class TrytonHarness:
    name = "tryton"
    location = tryton_demo.WAREHOUSE

    def __init__(self, sandbox: TrytonSandbox) -> None:
        self.sandbox = sandbox
        os.environ[LOGIN_ENV] = sandbox.server.login
        os.environ[PASSWORD_ENV] = sandbox.server.password
        self.config = TrytonConfig(
            kind="tryton",
            base_url=sandbox.url,
            database=sandbox.server.database,
            username=Secret(env=LOGIN_ENV),
            password=Secret(env=PASSWORD_ENV),
        )
        self.adapter = self.new_adapter()
        self.items = [code for code, *_ in tryton_demo.PRODUCTS]
        self.rpc = TrytonRpc(sandbox.server.url, sandbox.server.database, sandbox.server.login, sandbox.server.password)

    def new_adapter(self, **options: Any) -> TrytonAdapter:
        """A two-try budget, and a timeout long enough for a real Tryton's confirm on a loaded 2-core
        machine (2 s was not: a confirm took longer under a parallel test run) yet well below the
        hang of a lost answer (``lose_next_create_response``)."""
        options = {
            "timeout": ADAPTER_TIMEOUT,
            "retry": RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05),
        } | options
        return TrytonAdapter(self.config, **options)

    def _location(self, domain: list[Any]) -> int:
        ids: list[int] = self.rpc.model("stock.location", "search", domain, 0, 1, None)
        return ids[0]

    def product_id(self, item_code: str) -> int:
        ids: list[int] = self.rpc.model("product.product", "search", [("code", "=", item_code)], 0, 1, None)
        return ids[0]

    def available(self, item_code: str) -> Decimal:
        [row] = self.rpc.model(
            "product.product",
            "read",
            [self.product_id(item_code)],
            ["forecast_quantity"],
            context={"locations": [self._location([("code", "=", self.location)])], "stock_date_end": date.today()},
        )
        return Decimal(str(row["forecast_quantity"]))

    def set_stock(self, item_code: str, quantity: Decimal) -> None:
        """A confirmed stock inventory (Tryton's own count correction) for the difference."""
        delta = quantity - self.available(item_code)
        if not delta:
            return
        storage = self._location([("code", "=", "STO")])
        product = self.product_id(item_code)
        [row] = self.rpc.model("product.product", "read", [product], ["quantity"], context={"locations": [storage]})
        line = {"product": product, "quantity": row["quantity"] + float(delta)}
        ids = self.rpc.model("stock.inventory", "create", [{"location": storage, "lines": [["create", [line]]]}])
        self.rpc.model("stock.inventory", "confirm", ids)

    def put_product(self, code: str, title: str, sizes: dict[str, str] | None = None, *, deleted: bool = False) -> None:
        """A template with variants ``{item code: size}`` (suffix: the code after the template's),
        or a template with its one variant; written through Tryton's own RPC, as a user would."""
        found = self.rpc.model("product.template", "search", [("code", "=", code)], 0, 1, None, context=ALL)
        if not found:
            [unit] = self.rpc.model("product.uom", "search", [("name", "=", "Unit")], 0, 1, None)
            template = {"name": title, "code": code, "type": "goods", "default_uom": unit, "list_price": Decimal(10)}
            found = self.rpc.model("product.template", "create", [template])
            if not sizes:
                self.rpc.model("product.product", "create", [{"template": found[0]}])
        self.rpc.model("product.template", "write", found, {"name": title, "active": not deleted}, context=ALL)
        for item, size in (sizes or {}).items():
            suffix = item[len(code) :]
            variant = self.rpc.model("product.product", "search", [("code", "=", item)], 0, 1, None, context=ALL)
            if variant:
                self.rpc.model("product.product", "write", variant, {"description": size})
            else:
                self.rpc.model(
                    "product.product", "create", [{"template": found[0], "suffix_code": suffix, "description": size}]
                )

    def lose_next_create_response(self) -> None:
        self.sandbox.faults.set(Faults(timeout_after_commit_rate=1.0, hang_seconds=ADAPTER_TIMEOUT * 2))

    def inject_status(self, status: int) -> None:
        faults = {
            401: Faults(unauthorized=True),
            403: Faults(forbidden=True),
            429: Faults(throttle_rate=1.0, retry_after_seconds=0),
        }.get(status) or Faults(error_rate=1.0, error_status=status)
        self.sandbox.faults.set(faults)

    def clear_faults(self) -> None:
        self.sandbox.faults.set(Faults())

    def count_sales_orders(self, external_ref: str) -> int:
        count: int = self.rpc.model("sale.sale", "search_count", [("reference", "=", external_ref)])
        return count

    def ship(self, external_ref: str, item_code: str, quantity: Decimal, tracking: str) -> str:
        """Ship the sale's waiting shipment with ``quantity`` of the item (Tryton makes a backorder
        of the rest), its reference the tracking number: assign, pick, pack, done."""
        [sale] = self.rpc.model(
            "sale.sale", "search_read", [("reference", "=", external_ref)], 0, 1, None, ["shipments"]
        )
        waiting = [("id", "in", sale["shipments"]), ("state", "in", ["draft", "waiting", "assigned"])]
        [shipment] = self.rpc.model(
            "stock.shipment.out", "search_read", waiting, 0, 1, None, ["inventory_moves", "number"]
        )
        product = self.product_id(item_code)
        for move in self.rpc.model("stock.move", "read", shipment["inventory_moves"], ["product", "quantity"]):
            if move["product"] == product and move["quantity"] != float(quantity):
                self.rpc.model("stock.move", "write", [move["id"]], {"quantity": float(quantity)})
        self.rpc.model("stock.shipment.out", "write", [shipment["id"]], {"reference": tracking})
        for step in ("assign_force", "pick", "pack", "do"):
            self.rpc.model("stock.shipment.out", step, [shipment["id"]])
        return str(shipment["number"])

    def put_erp_customer(self, number: str, name: str, addresses: list[Address]) -> str:
        """A party created (or renamed, its addresses added) by a Tryton user; returns its code."""
        found = self.rpc.model("party.party", "search", [("code", "=", number)], 0, 1, None) if number else []
        if not found:
            found = self.rpc.model("party.party", "create", [{"name": name}])
            self.rpc.model(
                "party.address", "delete", self.rpc.model("party.address", "search", [("party", "in", found)])
            )
        self.rpc.model("party.party", "write", found, {"name": name})
        for address in addresses:
            [country] = self.rpc.model("country.country", "search", [("code", "=", address.country_code)], 0, 1, None)
            row = {
                "party": found[0],
                "party_name": address.company or address.name,
                "attn": address.name if address.company else None,
                "street_unstructured": address.address1,
                "postal_code": address.zip,
                "city": address.city,
                "country": country,
            }
            self.rpc.model("party.address", "create", [row])
        [party] = self.rpc.model("party.party", "read", found, ["code"])
        return str(party["code"])

    def count_customers(self, external_ref: str) -> int:
        domain = [("identifiers.code", "=", external_ref), ("identifiers.type", "=", None)]
        count: int = self.rpc.model("party.party", "search_count", domain, context=ALL)
        return count

    def lose_next_customer_create_response(self) -> None:
        self.lose_next_create_response()

    def retrack(self, document: str, tracking: str) -> None:
        ids = self.rpc.model("stock.shipment.out", "search", [("number", "=", document)], 0, 1, None)
        self.rpc.model("stock.shipment.out", "write", ids, {"reference": tracking})


@contextmanager
def harness() -> Iterator[TrytonHarness]:
    sandbox = TrytonSandbox()
    tryton = TrytonHarness(sandbox)
    try:
        yield tryton
    finally:
        tryton.adapter.close()
        tryton.rpc.close()
        sandbox.stop()
