"""Sales pricing in the SAP sandbox: condition records as the pricing API serves them, and the
price of a sales order item (a manual condition sent with it, else the valid condition record)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from erp_shopify_sandbox.sap.records import BusinessError

_OPEN_END = datetime(9999, 12, 31)


def condition_record(spec: dict[str, Any], record_id: str, *, etag: str) -> dict[str, Any]:
    """One condition record (with its quantity scales) under its validity period, linked both ways."""
    valid_to = _day(spec.get("valid_to")) or _OPEN_END
    record: dict[str, Any] = {
        "ConditionRecord": record_id,
        "ConditionSequentialNumber": "01",
        "ConditionTable": "305",
        "ConditionApplication": "V",
        "ConditionType": spec.get("condition_type", "PPR0"),
        "ConditionValidityStartDate": _day(spec.get("valid_from")) or datetime(2000, 1, 1),
        "ConditionValidityEndDate": valid_to,
        "CreationDate": _day(date.today().isoformat()),
        "PricingScaleType": "A" if spec.get("scales") else "",
        "PricingScaleBasis": "C" if spec.get("scales") else "",
        "ConditionCalculationType": "C",
        "ConditionRateValue": Decimal(str(spec["rate"])),
        "ConditionRateValueUnit": spec["currency"],
        "ConditionCurrency": spec["currency"],
        "ConditionQuantity": Decimal(str(spec.get("quantity", 1))),
        "ConditionQuantityUnit": "PC",
        "BaseUnit": "PC",
        "ConditionIsDeleted": bool(spec.get("deleted", False)),
        "ETag": etag,
    }
    record["to_SlsPrcgCndnRecordScale"] = [
        {
            "ConditionRecord": record_id,
            "ConditionSequentialNumber": "01",
            "ConditionScaleLine": f"{n:04d}",
            "ConditionScaleQuantity": Decimal(str(scale["quantity"])),
            "ConditionScaleQuantityUnit": "PC",
            "ConditionRateValue": Decimal(str(scale["rate"])),
            "ConditionRateValueUnit": spec["currency"],
            "ConditionCurrency": spec["currency"],
        }
        for n, scale in enumerate(spec.get("scales") or [], start=1)
    ]
    validity = {
        "ConditionRecord": record_id,
        "ConditionValidityEndDate": valid_to,
        "ConditionValidityStartDate": record["ConditionValidityStartDate"],
        "ConditionApplication": "V",
        "ConditionType": record["ConditionType"],
        "ConditionReleaseStatus": "",
        "SalesOrganization": spec.get("sales_organization", "1010"),
        "DistributionChannel": spec.get("distribution_channel", "10"),
        "Division": spec.get("division", ""),
        "Customer": spec.get("customer", ""),
        "CustomerPriceGroup": spec.get("customer_price_group", ""),
        "PriceListType": spec.get("price_list_type", ""),
        "Material": spec["material"],
        "to_SlsPrcgConditionRecord": record,
    }
    record["to_SlsPrcgCndnRecdValidity"] = [validity]
    return validity


def price_item(order: dict[str, Any], item: dict[str, Any], elements: Any, validities: list[dict[str, Any]]) -> None:
    """A manual price sent with the item wins; otherwise the valid condition record prices it
    (the customer's own before the general one), as SAP's pricing procedure would."""
    given = elements.get("results", []) if isinstance(elements, dict) else list(elements or [])
    item["to_PricingElement"] = []
    for counter, element in enumerate(given, start=1):
        try:
            rate = Decimal(str(element["ConditionRateValue"]))
        except (KeyError, ArithmeticError):
            raise BusinessError("V1/806", f"Enter a condition rate for item {item['SalesOrderItem']}") from None
        item["to_PricingElement"].append(
            _pricing_element(item, element.get("ConditionType", ""), rate, counter, manual=True)
        )
    if not item["to_PricingElement"]:
        list_price = _list_price(validities, order, item["Material"])
        if list_price is not None:
            item["to_PricingElement"].append(_pricing_element(item, "PPR0", list_price, 1, manual=False))
    if item["to_PricingElement"]:
        item["NetAmount"] = item["to_PricingElement"][-1]["ConditionAmount"]


def _list_price(validities: list[dict[str, Any]], order: dict[str, Any], material: str) -> Decimal | None:
    today = datetime.now(UTC).date()
    candidates = [
        v
        for v in validities
        if v["Material"] == material
        and v["ConditionType"] == "PPR0"
        and v["SalesOrganization"] == order["SalesOrganization"]
        and v["DistributionChannel"] == order["DistributionChannel"]
        and v["Customer"] in ("", order["SoldToParty"])
        and not v["CustomerPriceGroup"]
        and v["ConditionValidityStartDate"].date() <= today <= v["ConditionValidityEndDate"].date()
        and not v["to_SlsPrcgConditionRecord"]["ConditionIsDeleted"]
    ]
    if not candidates:
        return None
    record = max(candidates, key=lambda v: bool(v["Customer"]))["to_SlsPrcgConditionRecord"]
    return Decimal(record["ConditionRateValue"]) / (record["ConditionQuantity"] or Decimal(1))


def _pricing_element(item: dict[str, Any], condition_type: str, rate: Decimal, counter: int, *, manual: bool) -> dict:
    return {
        "SalesOrder": item["SalesOrder"],
        "SalesOrderItem": item["SalesOrderItem"],
        "PricingProcedureStep": "10",
        "PricingProcedureCounter": str(counter),
        "ConditionType": condition_type,
        "ConditionRateValue": rate,
        "ConditionCurrency": item["TransactionCurrency"],
        "ConditionQuantity": Decimal(1),
        "ConditionAmount": (rate * item["RequestedQuantity"]).quantize(Decimal("0.001")),
        "TransactionCurrency": item["TransactionCurrency"],
        "ConditionIsManuallyChanged": manual,
    }


def _day(raw: Any) -> datetime | None:
    if not raw:
        return None
    parsed = date.fromisoformat(str(raw)[:10])
    return datetime(parsed.year, parsed.month, parsed.day)
