"""SAP-specific behaviour of the adapter, against the SAP sandbox over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from erp_shopify.config import SapConfig, Secret
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.erp.sap.journal import Journal
from erp_shopify.errors import DataError, ErrorClass, IntegrationError
from erp_shopify.records import Address, CreditLine, CreditNote, Customer, SalesOrder, SalesOrderLine
from erp_shopify_sandbox.sap import CLIENT_ID, CLIENT_SECRET, TOKEN_PATH
from erp_shopify_tests.test_erp.harness_sap import FAST_RETRY, ITEMS, SapHarness, adapter_for, harness, sap_config


@pytest.fixture
def sap() -> Iterator[SapHarness]:
    with harness() as running:
        yield running


def _order(ref: str, item: str = ITEMS[0], quantity: int = 2) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="demo-eu",
        currency="EUR",
        ordered_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        customer=Customer(email="ada@example.com", name="Ada Lovelace"),
        ship_to=Address(name="Ada Lovelace", city="London", country_code="GB"),
        lines=[SalesOrderLine(item_code=item, quantity=Decimal(quantity), unit_price=Decimal("19.90"))],
    )


def _drain(sap: SapHarness, cursor: str | None) -> tuple[list, str | None]:
    rows = []
    for page in sap.adapter.inventory_changes(cursor):
        rows.extend(page.rows)
        cursor = page.cursor
    return rows, cursor


def _post(sap: SapHarness, material: str, quantity: int, at: datetime | None = None) -> str:
    body: dict = {"items": [{"material": material, "quantity": quantity, "movement_type": "501"}]}
    if at is not None:
        body["at"] = at.isoformat()
    answer = sap.control_call("POST", "/_sandbox/goods-movements", body)
    return f"{answer['MaterialDocumentYear']}/{answer['MaterialDocument']}/0001"


def test_concurrent_first_requests_of_a_fresh_client_share_one_session_and_token(sap: SapHarness) -> None:
    # Each request without a cookie opens a new SAP session, and a token taken in one session is
    # refused in another: a fresh client's first concurrent requests must open one session only.
    sap.control_call("PUT", "/_sandbox/faults", {"latency_ms": 150})  # they all arrive cookie-less
    sessions_before = len(sap.sandbox.app.sessions)
    adapter = adapter_for(sap.sandbox)
    refs = [f"fresh-{i}" for i in range(5)]
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            reads = [pool.submit(adapter.find_sales_order, f"absent-{ref}") for ref in refs]
            writes = [pool.submit(adapter.create_sales_order, _order(ref), known_new=True) for ref in refs]
            assert [read.result() for read in reads] == [None] * len(refs)
            documents = [write.result() for write in writes]
    finally:
        adapter.close()
    assert len(sap.sandbox.app.sessions) - sessions_before == 1
    assert len({d.number for d in documents}) == len(refs)
    assert [sap.count_sales_orders(ref) for ref in refs] == [1] * len(refs)


def test_expired_csrf_token_is_fetched_again_and_the_write_succeeds(sap: SapHarness) -> None:
    first = sap.adapter.create_sales_order(_order("csrf-1"))
    sap.control_call("POST", "/_sandbox/csrf/expire")  # the security session timed out in SAP
    second = sap.adapter.create_sales_order(_order("csrf-2"))
    assert second.number != first.number
    assert sap.count_sales_orders("csrf-2") == 1


def test_journal_follows_server_next_links_inside_each_client_window() -> None:
    with harness(page_size=3) as sap:  # the server pages by 3, the adapter asks for windows of 4
        sap.adapter.page_size = 4
        start = sap.adapter.journal_position()
        expected = {_post(sap, ITEMS[n % 3], 1) for n in range(10)}
        rows, _ = _drain(sap, start)
    assert sorted(r.change_id for r in rows) == sorted(expected)


def test_documents_created_in_the_cursor_second_or_committed_late_are_still_read(sap: SapHarness) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = _post(sap, ITEMS[0], 1, at=now)
    rows, cursor = _drain(sap, None)
    assert first in {r.change_id for r in rows}
    same_second = _post(sap, ITEMS[1], 1, at=now)
    late = _post(sap, ITEMS[2], 1, at=now - timedelta(seconds=10))  # back-dated, inside the 30 s overlap
    rows, _ = _drain(sap, cursor)
    assert {r.change_id for r in rows} == {same_second, late}


def test_stock_change_reports_unrestricted_stock_summed_over_batches(sap: SapHarness) -> None:
    sap.control_call(
        "POST",
        "/_sandbox/seed",
        {
            "stock": [
                {"material": ITEMS[0], "plant": "1010", "storage_location": "0001", "batch": "B1", "quantity": 5},
                {"material": ITEMS[0], "plant": "1010", "storage_location": "0001", "stock_type": "07", "quantity": 50},
            ]
        },
    )
    start = sap.adapter.journal_position()
    _post(sap, ITEMS[0], 3)  # unbatched 100 + 3, batch B1 5; blocked stock (07) is not for sale
    rows, _ = _drain(sap, start)
    assert [(r.location, r.available) for r in rows] == [("1010/0001", Decimal(108))]


def test_cursor_stays_short_when_many_documents_share_the_overlap_window(sap: SapHarness) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sap.control_call(
        "POST",
        "/_sandbox/seed",
        {"movements": [{"material": ITEMS[0], "quantity": 1, "movement_type": "501", "at": now.isoformat()}] * 300},
    )
    rows, cursor = _drain(sap, None)
    assert len(rows) == 300
    assert cursor is not None and len(cursor) < 120
    assert len(Journal.decode(cursor, timedelta(seconds=30)).seen) == 300


def test_an_order_in_sap_is_already_out_of_available_stock(sap: SapHarness) -> None:
    start = sap.adapter.journal_position()
    sap.adapter.create_sales_order(_order("consume-1", quantity=4))
    rows, _ = _drain(sap, start)
    assert [(r.item_code, r.available) for r in rows] == [(ITEMS[0], Decimal(96))]


def test_cancel_rejects_every_item_returns_the_stock_and_is_idempotent(sap: SapHarness) -> None:
    created = sap.adapter.create_sales_order(_order("cancel-1", quantity=4))
    cancelled = sap.adapter.cancel_sales_order("cancel-1")
    again = sap.adapter.cancel_sales_order("cancel-1")
    assert (cancelled.number, cancelled.status, again.status) == (created.number, "cancelled", "cancelled")
    stock = sap.control_call("GET", f"/_sandbox/stock?material={ITEMS[0]}")
    assert Decimal(stock[0]["MatlWrhsStkQtyInMatlBaseUnit"]) == Decimal(100)


def test_credit_is_a_returns_order_referencing_the_sale_and_created_once(sap: SapHarness) -> None:
    sale = sap.adapter.create_sales_order(_order("sale-7"))
    credit = CreditNote(
        external_ref="refund-7",
        order_ref="sale-7",
        currency="EUR",
        amount=Decimal("19.90"),
        lines=[CreditLine(item_code=ITEMS[0], quantity=Decimal(1), amount=Decimal("19.90"))],
    )
    first, second = sap.adapter.create_credit(credit), sap.adapter.create_credit(credit)
    orders = sap.control_call("GET", "/_sandbox/orders?purchase_order_by_customer=refund-7")["orders"]
    assert first == second and first.number != sale.number
    assert [o["SalesOrderType"] for o in orders] == ["CBAR"]


def test_reference_longer_than_35_characters_is_refused_before_any_request(sap: SapHarness) -> None:
    too_long = "x" * 36
    order = SalesOrder.model_construct(**{**_order("ok").__dict__, "external_ref": too_long})
    with pytest.raises(DataError, match="36 characters"):
        sap.adapter.create_sales_order(order)
    assert sap.count_sales_orders(too_long) == 0


def test_unknown_material_keeps_sap_message_and_code(sap: SapHarness) -> None:
    with pytest.raises(DataError) as failure:
        sap.adapter.create_sales_order(_order("bad-material", item="NO-SUCH-MATERIAL"))
    assert "NO-SUCH-MATERIAL" in failure.value.message
    assert failure.value.codes == ("V1/392",)
    assert failure.value.body["error"]["innererror"]["errordetails"][0]["code"] == "V1/392"


def test_price_snapshot_maps_validity_scales_customers_and_skips_deleted(sap: SapHarness) -> None:
    sap.control_call(
        "PUT",
        "/_sandbox/conditions",
        [
            {
                "material": ITEMS[0],
                "rate": "1990",
                "quantity": 100,
                "currency": "EUR",
                "valid_from": "2026-01-01",
                "scales": [{"quantity": 10, "rate": "1790"}],
            },
            {
                "material": ITEMS[0],
                "customer": "1000042",
                "rate": "15.00",
                "currency": "EUR",
                "valid_from": "2026-01-01",
                "valid_to": "2026-12-31",
            },
            {"material": ITEMS[1], "customer_price_group": "02", "rate": "7.50", "currency": "EUR"},
            {"material": ITEMS[2], "rate": "3.00", "currency": "EUR", "deleted": True},
            {"material": ITEMS[2], "rate": "3.00", "currency": "EUR", "distribution_channel": "20"},
        ],
    )
    records = [r for page in sap.adapter.prices() for r in page]
    summary = sorted((r.item_code, r.price_list, r.price, r.min_quantity, r.valid_from, r.valid_to) for r in records)
    assert summary == [
        (ITEMS[0], "1000042", Decimal("15.00"), 1, date(2026, 1, 1), date(2026, 12, 31)),
        (ITEMS[0], "retail", Decimal("17.9"), 10, date(2026, 1, 1), None),
        (ITEMS[0], "retail", Decimal("19.9"), 1, date(2026, 1, 1), None),
        (ITEMS[1], "price-group:02", Decimal("7.50"), 1, date(2000, 1, 1), None),
    ]


def test_snapshot_of_named_items_and_of_all_stock(sap: SapHarness) -> None:
    named = [level for page in sap.adapter.inventory_snapshot([ITEMS[1]]) for level in page]
    every = [level for page in sap.adapter.inventory_snapshot() for level in page]
    assert [(s.item_code, s.available) for s in named] == [(ITEMS[1], Decimal(100))]
    assert sorted(s.item_code for s in every) == sorted(ITEMS)


def test_wrong_password_is_a_system_failure(sap: SapHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAP_TEST_WRONG_PASSWORD", "not-the-password")
    config = sap_config(sap.sandbox).model_copy(update={"password": Secret(env="SAP_TEST_WRONG_PASSWORD")})
    wrong = SapAdapter(config, timeout=1.0, retry=FAST_RETRY)
    with pytest.raises(IntegrationError) as failure:
        wrong.health()
    wrong.close()
    assert failure.value.error_class is ErrorClass.SYSTEM and failure.value.status == 401
    assert "not-the-password" not in str(failure.value.to_dict())


def _oauth2_adapter(sap: SapHarness) -> SapAdapter:
    config = SapConfig(
        kind="sap",
        base_url=sap.sandbox.odata_url,
        auth="oauth2",
        token_url=f"{sap.sandbox.url}{TOKEN_PATH}",
        client_id=Secret(env="SAP_TEST_CLIENT_ID"),
        client_secret=Secret(env="SAP_TEST_CLIENT_SECRET"),
    )
    return SapAdapter(config, timeout=1.0, retry=FAST_RETRY)


def test_oauth2_client_credentials_token_is_fetched_and_used(sap: SapHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAP_TEST_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SAP_TEST_CLIENT_SECRET", CLIENT_SECRET)
    adapter = _oauth2_adapter(sap)
    document = adapter.create_sales_order(_order("oauth-1"))
    adapter.close()
    assert sap.count_sales_orders("oauth-1") == 1 and document.external_ref == "oauth-1"


def test_oauth2_refused_client_is_a_system_failure(sap: SapHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAP_TEST_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SAP_TEST_CLIENT_SECRET", "wrong-secret")
    adapter = _oauth2_adapter(sap)
    with pytest.raises(IntegrationError) as failure:
        adapter.health()
    adapter.close()
    assert (failure.value.error_class, failure.value.status) == (ErrorClass.SYSTEM, 401)
    assert "wrong-secret" not in str(failure.value.to_dict())


def test_order_carries_the_shopify_net_price_as_a_manual_condition(sap: SapHarness) -> None:
    line = SalesOrderLine(item_code=ITEMS[0], quantity=Decimal(3), unit_price=Decimal("19.90"), discount=Decimal("5"))
    order = _order("priced-1").model_copy(update={"lines": [line]})
    sap.adapter.create_sales_order(order)
    [stored] = sap.control_call("GET", "/_sandbox/orders?purchase_order_by_customer=priced-1")["orders"]
    assert Decimal(stored["TotalNetAmount"]) == Decimal("54.700")  # 3 x 19.90 - 5.00
