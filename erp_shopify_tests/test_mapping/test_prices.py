"""Prices: currency rounding, validity dates, change detection, anomalies and call grouping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from erp_shopify.config import PriceList, Secret, ShopConfig
from erp_shopify.mapping.prices import (
    empty_snapshot,
    price_anomalies,
    price_calls,
    price_changes,
    round_money,
    shop_prices,
)
from erp_shopify.mapping.xref import build_xref, variants_frame
from erp_shopify.records import PriceRecord

PL = "gid://shopify/PriceList/9"


def _shop(currency: str = "USD") -> ShopConfig:
    return ShopConfig(
        name="demo-us",
        domain="demo-us.myshopify.com",
        access_token=Secret(env="T"),
        webhook_secret=Secret(env="W"),
        currency=currency,
        locations={"1010/0001": "gid://shopify/Location/1"},
        price_lists=[PriceList(erp_price_list="wholesale", shopify_price_list_id=PL, currency=currency)],
    )


def _xref() -> pd.DataFrame:
    variants = variants_frame(
        {
            "sku": sku,
            "variant_id": f"gid://shopify/ProductVariant/{n}",
            "inventory_item_id": f"gid://shopify/InventoryItem/{n}",
            "product_id": f"gid://shopify/Product/{(n + 1) // 2}",
        }
        for n, sku in enumerate(["A", "B", "C"], 1)
    )
    return build_xref(variants, ["A", "B", "C"]).xref


def _price(item: str, price: str, **kw: object) -> PriceRecord:
    return PriceRecord(item_code=item, price_list="retail", currency="USD", price=Decimal(price), **kw)  # type: ignore[arg-type]


def test_money_is_rounded_to_the_currency_minor_unit() -> None:
    assert str(round_money(Decimal("1234.5"), "JPY")) == "1235"
    assert str(round_money(Decimal("19.995"), "USD")) == "20.00"
    assert str(round_money(Decimal("1.2345"), "KWD")) == "1.235"


def test_validity_dates_pick_the_price_in_force_today() -> None:
    records = [
        _price("A", "10", valid_to=date(2026, 10, 31)),
        _price("A", "12", valid_from=date(2026, 11, 1)),
        _price("B", "5", valid_from=date(2026, 12, 1)),
    ]
    frame = shop_prices(records, _xref(), _shop(), date(2026, 11, 15))
    assert frame[["item_code", "price"]].values.tolist() == [["A", "12.00"]]


def test_only_changed_prices_are_written_and_grouped_by_product() -> None:
    day = date(2026, 11, 15)
    before = shop_prices([_price("A", "10"), _price("B", "20"), _price("C", "30")], _xref(), _shop(), day)
    after = shop_prices(
        [_price("A", "11"), _price("B", "20"), _price("C", "30", compare_at_price=Decimal("35"))], _xref(), _shop(), day
    )
    changes = price_changes(after, before)
    assert changes["item_code"].tolist() == ["A", "C"]
    calls = list(price_calls(changes, after))
    assert [(c.mutation, c.variables["productId"], c.rows) for c in calls] == [
        ("productVariantsBulkUpdate", "gid://shopify/Product/1", 1),
        ("productVariantsBulkUpdate", "gid://shopify/Product/2", 1),
    ]
    assert calls[1].variables["variants"] == [
        {"id": "gid://shopify/ProductVariant/3", "price": "30.00", "compareAtPrice": "35.00"}
    ]
    assert price_changes(after, after).empty


def test_b2b_prices_and_quantity_breaks_go_to_their_price_list() -> None:
    wholesale = [
        PriceRecord(item_code="A", price_list="wholesale", currency="USD", price=Decimal("8")),
        PriceRecord(item_code="A", price_list="wholesale", currency="USD", price=Decimal("7"), min_quantity=10),
        PriceRecord(item_code="A", price_list="wholesale", currency="USD", price=Decimal("6"), min_quantity=50),
        PriceRecord(item_code="B", price_list="wholesale", currency="EUR", price=Decimal("1")),
    ]
    current = shop_prices(wholesale, _xref(), _shop(), date(2026, 11, 15))
    calls = list(price_calls(price_changes(current, empty_snapshot()), current))
    assert [c.mutation for c in calls] == ["priceListFixedPricesAdd", "quantityPricingByVariantUpdate"]
    assert calls[0].variables["prices"] == [
        {
            "variantId": "gid://shopify/ProductVariant/1",
            "price": {"amount": "8.00", "currencyCode": "USD"},
            "compareAtPrice": None,
        }
    ]
    breaks = calls[1].variables["input"]["quantityPriceBreaksToAdd"]  # type: ignore[index]
    assert [(b["minimumQuantity"], b["price"]["amount"]) for b in breaks] == [(10, "7.00"), (50, "6.00")]


def test_anomalies_flag_non_positive_prices_and_large_jumps() -> None:
    day = date(2026, 11, 15)
    before = shop_prices([_price("A", "10"), _price("B", "20"), _price("C", "30")], _xref(), _shop(), day)
    after = shop_prices([_price("A", "14"), _price("B", "0"), _price("C", "33")], _xref(), _shop(), day)
    anomalies = price_anomalies(price_changes(after, before), Decimal("50"))
    assert dict(zip(anomalies["item_code"], anomalies["problem"], strict=True)) == {
        "B": "price is not positive",
    }
    strict = price_anomalies(price_changes(after, before), Decimal("20"))
    assert strict.set_index("item_code").loc["A", "problem"] == "change of 40.0%"
