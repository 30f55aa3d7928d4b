"""The Oracle sandbox's pod: on-hand balances per item, organization, subinventory and lot, approved price
lists with charges and tiers, and Order Management orders keyed by (source system, source id).

Rows are plain dicts in the resource's attribute names, so the service can filter them with ``q=``
and trim them with ``fields``. An on-hand row at zero is removed, as Oracle keeps no balance row for
nothing on hand. Every method takes the lock: requests arrive on uvicorn's thread, the control API
and tests on others.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erp_shopify_sandbox.oracle.catalog import Catalog
from erp_shopify_sandbox.oracle.parties import ORGANIZATION_FIELDS, Parties, party_ids
from erp_shopify_sandbox.oracle.pricing import PricingError, price_lines

SEED_ITEMS = ["AS54888", "AS54999", "AS55111", "AS55222", "AS55333"]
SEED_ORGANIZATION = "M1"
SEED_SUBINVENTORIES = ["FinGood", "Stores"]
SEED_CUSTOMERS = {"1006", "1007"}
SEED_BUSINESS_UNIT = "Vision Operations"
RETAIL_PRICE_LIST = "Corporate Segment Price List"


class OrderError(ValueError):
    """An order body Oracle would refuse (400) with this detail and error code."""

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.code = code


def _sale_price(currency: str, price: Decimal, tiers: list[dict[str, Any]], charge_id: int) -> dict[str, Any]:
    """A price list item's sale-price charge, valid from the start of 2026, with its tier lines."""
    return {
        "PriceListChargeId": charge_id,
        "PricingChargeDefinitionCode": "QP_SALE_PRICE",
        "CurrencyCode": currency,
        "BasePrice": float(price),
        "StartDate": "2026-01-01T00:00:00+00:00",
        "EndDate": None,
        "pricingTiers": tiers,
    }


class Pod:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.balances: dict[tuple[str, str, str, str], Decimal] = {}  # (item, org, subinventory, lot) -> on hand
        self.orders: dict[tuple[str, str], dict[str, Any]] = {}
        self.price_lists: list[dict[str, Any]] = []
        self.freight_surcharge = Decimal(0)  # a shipping charge rule of the pod's own, added to every order
        self._next_id = 300000100000000
        self.catalog = Catalog(self.lock, SEED_ORGANIZATION, SEED_ITEMS)
        ids = party_ids()
        self.persons = Parties(self.lock, self.catalog.stamps, ids)
        self.organizations = Parties(self.lock, self.catalog.stamps, ids, ORGANIZATION_FIELDS)
        for n, item in enumerate(SEED_ITEMS):
            self.balances[(item, SEED_ORGANIZATION, SEED_SUBINVENTORIES[0], "")] = Decimal(100 + n)
            if n % 2:
                self.balances[(item, SEED_ORGANIZATION, SEED_SUBINVENTORIES[1], "")] = Decimal(10 + n)
        self.add_price_list(RETAIL_PRICE_LIST, "USD", {item: Decimal("19.99") + n for n, item in enumerate(SEED_ITEMS)})

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- inventory -----------------------------------------------------------------------------

    def set_onhand(self, item: str, organization: str, subinventory: str, quantity: Decimal, lot: str = "") -> None:
        """The quantity on hand of one balance: an item in a subinventory, of one lot when lot controlled."""
        with self.lock:
            if quantity == 0:
                self.balances.pop((item, organization, subinventory, lot), None)
            else:
                self.balances[(item, organization, subinventory, lot)] = quantity

    def onhand_rows(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "ItemNumber": item,
                    "OrganizationCode": org,
                    "SubinventoryCode": sub,
                    "LotNumber": lot or None,
                    "PrimaryUOMCode": "Ea",
                    "QuantityOnhand": float(qty),
                    "AvailableToTransact": float(qty),
                }
                for (item, org, sub, lot), qty in sorted(self.balances.items())
            ]

    def known_item(self, item: str) -> bool:
        with self.lock:
            return any(key[0] == item for key in self.balances) or self.catalog.known_item(item)

    # -- pricing -------------------------------------------------------------------------------

    def add_price_list(
        self,
        name: str,
        currency: str,
        prices: dict[str, Decimal],
        tiers: dict[str, list[tuple[int, Decimal]]] | None = None,
    ) -> None:
        with self.lock:
            items = []
            for item, price in prices.items():
                lines = [
                    {
                        "TierLineId": self._id(),
                        "TierFrom": start,
                        "AdjustmentTypeCode": "PRICE_OVERRIDE",
                        "AdjustmentAmount": float(amount),
                    }
                    for start, amount in (tiers or {}).get(item, [])
                ]
                headers = [{"TierHeaderId": self._id(), "lines": lines}] if lines else []
                charge = _sale_price(currency, price, headers, self._id())
                items.append({"PriceListItemId": self._id(), "Item": item, "PricingUOMCode": "Ea", "charges": [charge]})
            self.price_lists.append(
                {
                    "PriceListId": self._id(),
                    "PriceListName": name,
                    "CurrencyCode": currency,
                    "StatusCode": "APPROVED",
                    "StartDate": "2026-01-01T00:00:00+00:00",
                    "EndDate": None,
                    "items": items,
                }
            )

    def set_price(self, list_name: str, item: str, currency: str, price: Decimal) -> None:
        """Set one item's sale price in a price list (created in ``currency`` when new), in that currency."""
        with self.lock:
            lists = [p for p in self.price_lists if p["PriceListName"] == list_name]
            if not lists:
                self.add_price_list(list_name, currency, {})
                lists = [self.price_lists[-1]]
            items = lists[0]["items"]
            entry = next((i for i in items if i["Item"] == item), None)
            if entry is None:
                entry = {"PriceListItemId": self._id(), "Item": item, "PricingUOMCode": "Ea", "charges": []}
                items.append(entry)
            charges = [c for c in entry["charges"] if c["CurrencyCode"] != currency]
            charges.append(_sale_price(currency, price, [], self._id()))
            entry["charges"] = charges

    # -- orders --------------------------------------------------------------------------------

    def find_order(self, system: str, source_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self.orders.get((system, source_id))

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            system, source_id = body.get("SourceTransactionSystem"), body.get("SourceTransactionId")
            if not system or not source_id:
                raise OrderError("SourceTransactionSystem and SourceTransactionId are required.", "FOM-MISSING-KEY")
            if (system, source_id) in self.orders:
                raise OrderError(
                    f"An order with source transaction {system}:{source_id} already exists.", "DOO-DUPLICATE-ORDER"
                )
            if not self.known_party(body.get("BuyingPartyNumber")):
                raise OrderError(f"The buying party {body.get('BuyingPartyNumber')} isn't valid.", "DOO-INVALID-PARTY")
            for ship_to in body.get("shipToCustomer") or []:
                if "PartyNumber" in ship_to and not self.known_party(ship_to["PartyNumber"]):
                    raise OrderError(
                        f"The ship-to party {ship_to['PartyNumber']} isn't valid.", "DOO-INVALID-SHIP-TO-PARTY"
                    )
            lines = body.get("lines") or []
            if not lines:
                raise OrderError("The order must have at least one line.", "DOO-NO-LINES")
            for line in lines:
                if not self.known_item(str(line.get("ProductNumber"))):
                    raise OrderError(f"The item {line.get('ProductNumber')} isn't valid.", "DOO-INVALID-ITEM")
                if line.get("TransactionCategoryCode") == "RETURN":
                    ref = (line.get("ReferenceSourceTransactionSystem"), line.get("ReferenceSourceTransactionId"))
                    if ref not in self.orders:
                        raise OrderError(f"The referenced order {ref[0]}:{ref[1]} doesn't exist.", "DOO-INVALID-REF")
            try:
                currency = str(body.get("TransactionalCurrencyCode") or "")
                returning = all(line.get("TransactionCategoryCode") == "RETURN" for line in lines)
                surcharge = Decimal(0) if returning else self.freight_surcharge
                totals = price_lines(lines, currency, self._primary_unit, surcharge)
            except PricingError as exc:
                raise OrderError(str(exc), exc.code) from None
            header_id = self._id()
            order = {
                **{k: v for k, v in body.items() if k != "lines"},
                "HeaderId": header_id,
                "OrderNumber": str(header_id - 300000100000000 + 520000),
                "StatusCode": "OPEN",
                "CreationDate": datetime.now(UTC).isoformat(),
                "lines": [{**line, "LineId": self._id(), "StatusCode": "AWAIT_SHIPPING"} for line in lines],
                "totals": [{**total, "OrderTotalId": self._id()} for total in totals],
            }
            self.orders[(system, source_id)] = order
            return order

    def _primary_unit(self, item: str) -> str | None:
        """The item's primary unit of measure in the item master, when the catalog has the item."""
        with self.lock:
            found = self.catalog.items.get(item)
            return found.get("PrimaryUOMValue") if found else None

    def known_party(self, number: Any) -> bool:
        """A seeded customer account's party, or a person or organization of the registry."""
        with self.lock:
            return number in SEED_CUSTOMERS or number in self.persons.persons or number in self.organizations.persons

    def cancel_order(self, order: dict[str, Any], reason: str | None) -> dict[str, Any]:
        with self.lock:
            if order["StatusCode"] == "CLOSED":
                raise OrderError("A closed order can't be canceled.", "DOO-CANNOT-CANCEL")
            order.update(StatusCode="CANCELED", CanceledFlag=True, CancelReasonCode=reason)
            for line in order["lines"]:
                line["StatusCode"] = "CANCELED"
            return order

    def order_rows(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {**order, "lines": [dict(line) for line in order["lines"]], "totals": list(order.get("totals", []))}
                for order in self.orders.values()
            ]
