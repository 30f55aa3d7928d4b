"""SAP list and customer prices: sales pricing condition records
(``API_SLSPRICINGCONDITIONRECORD_SRV``), read as a snapshot since SAP keeps no last-changed date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from erp_shopify.config import SapConfig
from erp_shopify.erp.sap.odata import ODataClient, parse_date, results, string_literal
from erp_shopify.records import PriceRecord

PRICING = "API_SLSPRICINGCONDITIONRECORD_SRV"
_OPEN_END = date(9999, 12, 31)


def read_prices(odata: ODataClient, config: SapConfig, page_size: int) -> Iterator[list[PriceRecord]]:
    """The configured condition type's records, page by page, as price records."""
    params = {
        "$filter": (
            f"ConditionType eq {string_literal(config.condition_type)}"
            f" and SalesOrganization eq {string_literal(config.sales_organization)}"
            f" and DistributionChannel eq {string_literal(config.distribution_channel)}"
        ),
        "$expand": "to_SlsPrcgConditionRecord,to_SlsPrcgConditionRecord/to_SlsPrcgCndnRecordScale",
        "$orderby": "ConditionRecord,ConditionValidityEndDate",
    }
    for page in odata.pages(PRICING, "A_SlsPrcgCndnRecdValidity", params, page_size):
        records = [record for validity in page for record in price_records(validity)]
        if records:
            yield records


def price_records(validity: dict[str, Any]) -> list[PriceRecord]:
    """One validity period of a condition record as price records: the base price plus one record
    per quantity scale line. Deleted records and non-positive rates yield nothing."""
    record = validity.get("to_SlsPrcgConditionRecord") or {}
    if not record or record.get("ConditionIsDeleted"):
        return []
    per = Decimal(record.get("ConditionQuantity") or 1) or Decimal(1)
    rate = Decimal(record["ConditionRateValue"])
    if rate <= 0:
        return []
    valid_from = parse_date(validity.get("ConditionValidityStartDate"))
    valid_to = parse_date(validity.get("ConditionValidityEndDate"))
    common = {
        "item_code": validity["Material"],
        "price_list": price_list_of(validity),
        "currency": record["ConditionCurrency"],
        "valid_from": valid_from.date() if valid_from else None,
        "valid_to": valid_to.date() if valid_to and valid_to.date() < _OPEN_END else None,
    }
    prices = [PriceRecord(price=rate / per, **common)]
    for scale in results(record.get("to_SlsPrcgCndnRecordScale")):
        quantity = Decimal(scale.get("ConditionScaleQuantity") or 0)
        if quantity > 1:
            prices.append(
                PriceRecord(price=Decimal(scale["ConditionRateValue"]) / per, min_quantity=int(quantity), **common)
            )
    return prices


def price_list_of(validity: dict[str, Any]) -> str:
    """Which price list a condition feeds: a customer's own, a customer price group's, or retail."""
    if validity.get("Customer"):
        return str(validity["Customer"])
    if validity.get("CustomerPriceGroup"):
        return f"price-group:{validity['CustomerPriceGroup']}"
    return "retail"
