"""Sales pricing in the SAP sandbox: condition records as the pricing API serves them, and the
price of a sales order item (a manual condition sent with it, else the valid condition record)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
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


# The sandbox's pricing customizing: condition type -> calculation type (C quantity, B fixed
# amount, A percentage) and whether it is a tax (condition class D: its amounts are the item's
# TaxAmount, not part of its NetAmount). Percentages apply to the item's net value before them.
CONDITION_TYPES: dict[str, tuple[str, bool]] = {
    "PPR0": ("C", False),  # price
    "PMP0": ("C", False),  # manual price
    "RB00": ("B", False),  # discount (value)
    "HB00": ("B", False),  # discount (value), header
    "HD00": ("B", False),  # freight, header
    "KF00": ("B", False),  # freight (value)
    "TTX1": ("A", True),  # output tax
    "MWST": ("A", True),  # output tax
}


def price_item(order: dict[str, Any], item: dict[str, Any], elements: Any, validities: list[dict[str, Any]]) -> None:
    """Manual conditions sent with the item win; otherwise the valid condition record prices it
    (the customer's own before the general one), as SAP's pricing procedure would. Each
    condition's amount is rounded to the cent; taxes (percentages of the net value) make TaxAmount."""
    given = elements.get("results", []) if isinstance(elements, dict) else list(elements or [])
    item["to_PricingElement"] = []
    net = tax = Decimal(0)
    for counter, element in enumerate(given, start=1):
        condition_type = str(element.get("ConditionType", ""))
        try:
            rate = Decimal(str(element["ConditionRateValue"]))
        except (KeyError, ArithmeticError):
            raise BusinessError("V1/806", f"Enter a condition rate for item {item['SalesOrderItem']}") from None
        if condition_type not in CONDITION_TYPES:
            raise BusinessError("VK/002", f"Condition type {condition_type} is not defined in pricing procedure")
        calculation, is_tax = CONDITION_TYPES[condition_type]
        base = net if calculation == "A" else item["RequestedQuantity"]
        element_row = _pricing_element(
            item, condition_type, rate, counter, manual=True, base=base, calculation=calculation
        )
        item["to_PricingElement"].append(element_row)
        if is_tax:
            tax += element_row["ConditionAmount"]
        else:
            net += element_row["ConditionAmount"]
    if not item["to_PricingElement"]:
        list_price = _list_price(validities, order, item["Material"])
        if list_price is not None:
            element_row = _pricing_element(item, "PPR0", list_price, 1, manual=False, base=item["RequestedQuantity"])
            item["to_PricingElement"].append(element_row)
            net = element_row["ConditionAmount"]
    item["NetAmount"], item["TaxAmount"] = net, tax


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


def _pricing_element(
    item: dict[str, Any],
    condition_type: str,
    rate: Decimal,
    counter: int,
    *,
    manual: bool,
    base: Decimal,
    calculation: str = "C",
) -> dict:
    """One condition: its amount is rate x quantity (C), the rate itself (B) or rate percent of
    ``base`` (A), rounded half up to the cent (the transaction currency's decimals)."""
    amount = {"C": rate * base, "B": rate, "A": rate * base / 100}[calculation]
    return {
        "SalesOrder": item["SalesOrder"],
        "SalesOrderItem": item["SalesOrderItem"],
        "PricingProcedureStep": "10",
        "PricingProcedureCounter": str(counter),
        "ConditionType": condition_type,
        "ConditionRateValue": rate,
        "ConditionCurrency": item["TransactionCurrency"],
        "ConditionQuantity": Decimal(1),
        "ConditionAmount": amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        "TransactionCurrency": item["TransactionCurrency"],
        "ConditionIsManuallyChanged": manual,
    }


def _day(raw: Any) -> datetime | None:
    if not raw:
        return None
    parsed = date.fromisoformat(str(raw)[:10])
    return datetime(parsed.year, parsed.month, parsed.day)
