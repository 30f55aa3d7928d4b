"""Tryton-specific behaviour, against a real trytond (demo database copy) per test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from erp_shopify.erp.tryton.adapter import TrytonAdapter
from erp_shopify.errors import DataError
from erp_shopify.records import Address, CreditLine, CreditNote, Customer, SalesOrder, SalesOrderLine
from erp_shopify_tests.test_erp.harness_tryton import TrytonHarness, harness

pytestmark = pytest.mark.slow


@pytest.fixture
def tryton() -> Iterator[TrytonHarness]:
    with harness() as running:
        yield running


def _order(ref: str, item: str = "SKU-MUG", quantity: int = 2) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="demo-eu",
        currency="EUR",
        ordered_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        customer=Customer(email="ada@example.com", name="Ada Lovelace"),
        ship_to=Address(name="Ada Lovelace", address1="1 Analytical Way", city="London", zip="N1", country_code="GB"),
        lines=[SalesOrderLine(item_code=item, quantity=Decimal(quantity), unit_price=Decimal("9.50"))],
    )


def _drain(tryton: TrytonHarness, cursor: str | None, **options: Any) -> tuple[list[Any], str | None]:
    adapter = tryton.new_adapter(**options) if options else tryton.adapter
    rows = []
    for page in adapter.inventory_changes(cursor):
        rows.extend(page.rows)
        cursor = page.cursor
    return rows, cursor


def _count(tryton: TrytonHarness, changes: dict[str, Decimal]) -> None:
    """One inventory for several products: Tryton creates all its moves in one transaction."""
    storage = tryton.rpc.model("stock.location", "search", [("code", "=", "STO")], 0, 1, None)[0]
    lines = [{"product": tryton.product_id(code), "quantity": float(quantity)} for code, quantity in changes.items()]
    ids = tryton.rpc.model("stock.inventory", "create", [{"location": storage, "lines": [["create", lines]]}])
    tryton.rpc.model("stock.inventory", "confirm", ids)


def _draft_sale(tryton: TrytonHarness, ref: str, *, with_lines: bool) -> int:
    """What a crash between ``create`` and ``confirm`` leaves behind."""
    party = tryton.rpc.model("party.party", "search", [("name", "=", "Shopify Customer")], 0, 1, None)[0]
    address = tryton.rpc.model("party.address", "search", [("party", "=", party)], 0, 1, None)[0]
    currency = tryton.rpc.model("currency.currency", "search", [("code", "=", "EUR")], 0, 1, None)[0]
    values: dict[str, Any] = {
        "party": party,
        "invoice_address": address,
        "shipment_address": address,
        "currency": currency,
        "reference": ref,
        "invoice_method": "manual",
    }
    if with_lines:
        product = tryton.product_id("SKU-MUG")
        line = {"type": "line", "product": product, "unit": 1, "quantity": 2.0, "unit_price": Decimal("9.50")}
        values["lines"] = [["create", [line]]]
    [sale_id] = tryton.rpc.model("sale.sale", "create", [values])
    return int(sale_id)


@pytest.mark.parametrize("with_lines", [True, False], ids=["draft-with-lines", "header-only"])
def test_a_draft_left_by_a_crash_is_resumed_not_duplicated(tryton: TrytonHarness, with_lines: bool) -> None:
    draft_id = _draft_sale(tryton, "crash-1001", with_lines=with_lines)
    document = tryton.adapter.create_sales_order(_order("crash-1001"))
    [sale] = tryton.rpc.model("sale.sale", "search_read", [("reference", "=", "crash-1001")], 0, None, None, ["state"])
    assert sale["id"] == draft_id
    assert sale["state"] in ("confirmed", "processing")
    assert document.status == sale["state"]
    lines = tryton.rpc.model("sale.line", "search_read", [("sale", "=", draft_id)], 0, None, None, ["quantity"])
    assert [line["quantity"] for line in lines] == [2.0]


def test_moves_sharing_a_create_date_are_each_delivered_once(tryton: TrytonHarness) -> None:
    start = tryton.adapter.journal_position()
    _count(tryton, {"SKU-TEE-S": Decimal(12), "SKU-TEE-M": Decimal(13)})
    moves = tryton.rpc.model("stock.move", "search_read", [], 0, 2, [("id", "DESC")], ["create_date"])
    assert moves[0]["create_date"] == moves[1]["create_date"]
    rows, cursor = _drain(tryton, start)
    assert {(r.item_code, r.available) for r in rows} == {("SKU-TEE-S", Decimal(12)), ("SKU-TEE-M", Decimal(13))}
    again, cursor = _drain(tryton, cursor)
    assert again == []
    tryton.set_stock("SKU-TEE-S", Decimal(3))
    rows, _ = _drain(tryton, cursor)
    assert [(r.item_code, r.available) for r in rows] == [("SKU-TEE-S", Decimal(3))]


def test_a_read_resumed_from_a_page_cursor_delivers_only_the_rest(tryton: TrytonHarness) -> None:
    start = tryton.adapter.journal_position()
    _count(tryton, {"SKU-TEE-S": Decimal(21), "SKU-TEE-M": Decimal(22)})
    first = next(tryton.new_adapter(page_size=1).inventory_changes(start))  # then the run crashes
    rest, _ = _drain(tryton, first.cursor, page_size=1)
    assert len(first.rows) == 1
    assert [r.item_code for r in rest] == [
        code for code in ("SKU-TEE-S", "SKU-TEE-M") if code != first.rows[0].item_code
    ]


def _second_warehouse(tryton: TrytonHarness, code: str) -> int:
    zones = tryton.rpc.model(
        "stock.location",
        "create",
        [{"name": f"{code} {zone}", "code": f"{code}-{zone}", "type": "storage"} for zone in ("IN", "OUT", "STO")],
    )
    [warehouse] = tryton.rpc.model(
        "stock.location",
        "create",
        [
            {
                "name": code,
                "code": code,
                "type": "warehouse",
                "input_location": zones[0],
                "output_location": zones[1],
                "storage_location": zones[2],
                "lost_found_location": tryton.rpc.model(
                    "stock.location", "search", [("type", "=", "lost_found")], 0, 1, None
                )[0],
            }
        ],
    )
    tryton.rpc.model("stock.location", "write", zones, {"parent": warehouse})
    lines = [{"product": tryton.product_id("SKU-MUG"), "quantity": 7.0}]
    ids = tryton.rpc.model("stock.inventory", "create", [{"location": zones[2], "lines": [["create", lines]]}])
    tryton.rpc.model("stock.inventory", "confirm", ids)
    return int(warehouse)


def test_quantities_are_reported_per_warehouse(tryton: TrytonHarness) -> None:
    _second_warehouse(tryton, "WH2")
    levels = [level for page in tryton.adapter.inventory_snapshot(["SKU-MUG"]) for level in page]
    assert {(level.location, level.available) for level in levels} == {("WH", Decimal(120)), ("WH2", Decimal(7))}
    only = tryton.config.model_copy(update={"warehouses": ["WH2"]})
    levels = [level for page in TrytonAdapter(only).inventory_snapshot(["SKU-MUG"]) for level in page]
    assert [(level.location, level.available) for level in levels] == [("WH2", Decimal(7))]


def test_a_confirmed_sale_lowers_availability_and_a_planned_receipt_does_not_raise_it(tryton: TrytonHarness) -> None:
    start = tryton.adapter.journal_position()
    tryton.adapter.create_sales_order(_order("lower-1", quantity=5))
    supplier = tryton.rpc.model("stock.location", "search", [("code", "=", "SUP")], 0, 1, None)[0]
    storage = tryton.rpc.model("stock.location", "search", [("code", "=", "STO")], 0, 1, None)[0]
    currency = tryton.rpc.model("currency.currency", "search", [("code", "=", "EUR")], 0, 1, None)[0]
    receipt = {
        "product": tryton.product_id("SKU-MUG"),
        "unit": 1,
        "quantity": 50.0,
        "from_location": supplier,
        "to_location": storage,
        "planned_date": date.today() + timedelta(days=10),
        "unit_price": Decimal("4.00"),
        "currency": currency,
    }
    tryton.rpc.model("stock.move", "create", [receipt])
    rows, _ = _drain(tryton, start)
    assert [r.available for r in rows if r.item_code == "SKU-MUG"] == [Decimal(115)]


def test_a_refund_is_one_return_sale_however_often_it_is_sent(tryton: TrytonHarness) -> None:
    tryton.adapter.create_sales_order(_order("refunded-1", quantity=3))
    credit = CreditNote(
        external_ref="refund-1",
        order_ref="refunded-1",
        currency="EUR",
        lines=[CreditLine(item_code="SKU-MUG", quantity=Decimal(1), amount=Decimal("9.50"))],
        amount=Decimal("12.50"),
        reason="damaged",
    )
    first = tryton.adapter.create_credit(credit)
    second = tryton.adapter.create_credit(credit)
    assert first == second
    assert tryton.count_sales_orders("refund-1") == 1
    [sale] = tryton.rpc.model(
        "sale.sale", "search_read", [("reference", "=", "refund-1")], 0, 1, None, ["total_amount"]
    )
    assert sale["total_amount"] == Decimal("-12.50")


def test_a_refund_for_an_unknown_order_is_a_data_error(tryton: TrytonHarness) -> None:
    credit = CreditNote(external_ref="refund-2", order_ref="never-sent", currency="EUR", amount=Decimal(5))
    with pytest.raises(DataError, match="never-sent"):
        tryton.adapter.create_credit(credit)
    assert tryton.count_sales_orders("refund-2") == 0


def test_cancel_a_quotation_and_refuse_a_sale_already_shipping(tryton: TrytonHarness) -> None:
    sale_id = _draft_sale(tryton, "cancel-1", with_lines=True)
    tryton.rpc.model("sale.sale", "quote", [sale_id])
    assert tryton.adapter.cancel_sales_order("cancel-1").status == "cancelled"
    assert tryton.adapter.cancel_sales_order("cancel-1").status == "cancelled"  # again: no error
    tryton.adapter.create_sales_order(_order("cancel-2"))
    with pytest.raises(DataError, match="processing"):
        tryton.adapter.cancel_sales_order("cancel-2")


def test_an_expired_session_is_renewed_once(tryton: TrytonHarness) -> None:
    tryton.adapter.health()
    session = {"Authorization": tryton.adapter.rpc._authorization or ""}  # the adapter's current session
    logout = {"id": 1, "method": "common.db.logout", "params": []}
    assert httpx.post(tryton.adapter.rpc.url, json=logout, headers=session).status_code == 200
    assert httpx.post(tryton.adapter.rpc.url, json=logout, headers=session).status_code == 401  # it is gone
    assert tryton.adapter.find_sales_order("nothing-here") is None


def test_prices_are_list_prices_in_the_company_currency(tryton: TrytonHarness) -> None:
    prices = {p.item_code: (p.price_list, p.currency, p.price) for page in tryton.adapter.prices() for p in page}
    assert prices["SKU-TEE-S"] == ("retail", "EUR", Decimal("19.90"))
    assert prices["SKU-MUG"] == ("retail", "EUR", Decimal("9.50"))
