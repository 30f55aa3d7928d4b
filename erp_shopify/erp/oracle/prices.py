"""Oracle Pricing's price lists as our ``PriceRecord``: ``priceLists`` -> ``items`` -> ``charges``
(the sale price, ``BasePrice``, with its validity) -> ``pricingTiers`` -> ``lines`` (quantity breaks).

A tier line adjusts the charge's base price from its ``TierFrom`` quantity on: a price override, an
amount off, or a percent off. Pure mapping; the adapter does the paging.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erp_shopify.erp.oracle.rest import children
from erp_shopify.records import PriceRecord

RESOURCE = "priceLists"
LIST_FIELDS = ("PriceListId", "PriceListName", "CurrencyCode", "StartDate", "EndDate")
ITEM_EXPAND = "charges,charges.pricingTiers,charges.pricingTiers.lines"
SALE_PRICE = "QP_SALE_PRICE"


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _tier_price(base: Decimal, line: dict[str, Any]) -> Decimal:
    amount = Decimal(str(line.get("AdjustmentAmount", 0)))
    kind = line.get("AdjustmentTypeCode", "PRICE_OVERRIDE")
    if kind == "DISCOUNT_AMOUNT":
        price = base - amount
    elif kind == "DISCOUNT_PERCENT":
        price = base * (1 - amount / 100)
    else:
        price = amount
    return price.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()


def price_records(price_list: dict[str, Any], item: dict[str, Any], retail_list: str) -> Iterator[PriceRecord]:
    """The sale-price charges of one price-list item, each with its quantity breaks."""
    name = "retail" if price_list["PriceListName"] == retail_list else price_list["PriceListName"]
    for charge in children(item, "charges"):
        if charge.get("PricingChargeDefinitionCode", SALE_PRICE) != SALE_PRICE or charge.get("BasePrice") is None:
            continue
        base = Decimal(str(charge["BasePrice"]))
        common = {
            "item_code": item["Item"],
            "price_list": name,
            "currency": charge.get("CurrencyCode") or price_list["CurrencyCode"],
            "valid_from": _day(charge.get("StartDate") or price_list.get("StartDate")),
            "valid_to": _day(charge.get("EndDate") or price_list.get("EndDate")),
        }
        yield PriceRecord(price=base, **common)
        for tier in children(charge, "pricingTiers"):
            for line in children(tier, "lines"):
                quantity = int(Decimal(str(line.get("TierFrom", 1))))
                if quantity > 1:
                    yield PriceRecord(price=_tier_price(base, line), min_quantity=quantity, **common)
