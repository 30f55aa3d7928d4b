"""The Oracle adapter against the Oracle sandbox: paging, q= filters, error classes, the snapshot
difference change feed, orders, returns and price lists."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
import redis

from erp_shopify.config import OracleConfig, Secret
from erp_shopify.erp import build_adapter
from erp_shopify.erp.oracle.adapter import OracleAdapter
from erp_shopify.erp.oracle.rest import oracle_error
from erp_shopify.errors import DataError, ErrorClass, IntegrationError, SystemFailure
from erp_shopify.records import CreditLine, CreditNote, InventoryChange
from erp_shopify.store.onhand_snapshots import OnhandSnapshots
from erp_shopify_sandbox.cli import start_erp
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.oracle import ENV, KEY_ID, SCOPE, SEED_ITEMS, SEED_ORGANIZATION, SEED_SUBINVENTORIES
from erp_shopify_sandbox.oracle.identity import key_pair
from erp_shopify_tests.conftest import REDIS_URL
from erp_shopify_tests.test_erp.harness_oracle import (
    QUICK_RETRIES,
    OracleHarness,
    harness,
    oracle_config,
    sales_order,
    sandbox_environment,
)

LOCATION = f"{SEED_ORGANIZATION}/{SEED_SUBINVENTORIES[0]}"
STORES = f"{SEED_ORGANIZATION}/{SEED_SUBINVENTORIES[1]}"


@pytest.fixture
def oracle() -> Iterator[OracleHarness]:
    with harness() as running:
        yield running


def _drain(adapter: OracleAdapter, cursor: str | None) -> tuple[list[InventoryChange], str | None]:
    rows: list[InventoryChange] = []
    for page in adapter.inventory_changes(cursor):
        rows.extend(page.rows)
        cursor = page.cursor
    return rows, cursor


def _adapter(oracle: OracleHarness, **config: object) -> OracleAdapter:
    """Another adapter on the same sandbox, with its snapshot tables under the harness's prefix."""
    assert oracle.adapter.tables is not None
    tables = OnhandSnapshots(redis.Redis.from_url(REDIS_URL), oracle.adapter.tables.keys.prefix)
    with sandbox_environment(oracle.sandbox):
        config_ = oracle_config(oracle.sandbox, **config)
        return OracleAdapter(config_, page_size=2, timeout=1.5, retry=QUICK_RETRIES, tables=tables)


# -- paging and q= filters ---------------------------------------------------------------------


def test_paging_by_two_reads_every_balance_exactly_once(oracle: OracleHarness) -> None:
    levels = [(s.item_code, s.location) for page in oracle.adapter.inventory_snapshot() for s in page]
    expected = {
        (r["ItemNumber"], f"{r['OrganizationCode']}/{r['SubinventoryCode']}") for r in oracle.sandbox.pod.onhand_rows()
    }
    assert len(levels) == len(expected) == 7  # five items, two of them in a second subinventory
    assert set(levels) == expected


def test_configured_subinventories_limit_every_read(oracle: OracleHarness) -> None:
    adapter = _adapter(oracle, subinventories=[SEED_SUBINVENTORIES[1]])
    try:
        locations = {s.location for page in adapter.inventory_snapshot() for s in page}
        changes, _ = _drain(adapter, None)
    finally:
        adapter.close()
    assert locations == {STORES}
    assert {c.location for c in changes} == {STORES}


def test_snapshot_of_named_items_filters_by_item_number_even_with_quotes(oracle: OracleHarness) -> None:
    oracle.set_stock("O'BRIEN-MUG", Decimal(4))
    levels = [s for page in oracle.adapter.inventory_snapshot(["O'BRIEN-MUG", SEED_ITEMS[1]]) for s in page]
    assert sorted((s.item_code, s.location, s.available) for s in levels) == [
        (SEED_ITEMS[1], f"{SEED_ORGANIZATION}/FinGood", Decimal(101)),
        (SEED_ITEMS[1], STORES, Decimal(11)),
        ("O'BRIEN-MUG", f"{SEED_ORGANIZATION}/FinGood", Decimal(4)),
    ]


# -- error classes -----------------------------------------------------------------------------


def test_unknown_item_is_a_data_error_carrying_oracles_code_and_detail(oracle: OracleHarness) -> None:
    with pytest.raises(DataError) as failure:
        oracle.adapter.create_sales_order(sales_order("oracle-bad-item", item="NO-SUCH-ITEM"), known_new=True)
    assert failure.value.status == 400
    assert failure.value.codes == ("DOO-INVALID-ITEM",)
    assert "NO-SUCH-ITEM" in failure.value.message


def test_throttling_carries_the_servers_retry_after(oracle: OracleHarness) -> None:
    oracle.set_faults(throttle_rate=1.0, retry_after_seconds=0.05)
    with pytest.raises(IntegrationError) as failure:
        oracle.adapter.health()
    assert (failure.value.error_class, failure.value.retry_after) == (ErrorClass.TRANSIENT, 0.05)
    assert len(failure.value.attempts) == QUICK_RETRIES.max_attempts


def test_a_plain_text_error_body_is_classified_by_status_and_kept() -> None:
    response = httpx.Response(409, text="The order is being processed by another user.")
    error = oracle_error(response)
    assert (error.error_class, error.message, error.body) == (
        ErrorClass.DATA,
        "The order is being processed by another user.",
        "The order is being processed by another user.",
    )


def test_wrong_password_is_a_system_failure(oracle: OracleHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV["username"], oracle.sandbox.username)
    monkeypatch.setenv(ENV["password"], "not-the-password")
    adapter = OracleAdapter(oracle_config(oracle.sandbox), retry=QUICK_RETRIES)
    try:
        with pytest.raises(IntegrationError) as failure:
            adapter.health()
    finally:
        adapter.close()
    assert (failure.value.error_class, failure.value.status) == (ErrorClass.SYSTEM, 401)


# -- snapshot difference change feed -----------------------------------------------------------


def test_change_to_a_row_still_ahead_of_the_read_is_delivered_exactly_once(oracle: OracleHarness) -> None:
    cursor = oracle.adapter.journal_position()
    oracle.set_stock(SEED_ITEMS[0], Decimal(1))  # so that the first page carries a change
    pages = oracle.adapter.inventory_changes(cursor)
    first = next(pages)  # the first two balances only
    oracle.set_stock(SEED_ITEMS[4], Decimal(55))  # the last balance: still ahead
    rows = list(first.rows)
    cursor = first.cursor
    for page in pages:
        rows.extend(page.rows)
        cursor = page.cursor
    later, _ = _drain(oracle.adapter, cursor)
    delivered = [r.available for r in rows + later if r.item_code == SEED_ITEMS[4]]
    assert delivered == [Decimal(55)]


def test_a_read_resumed_from_a_page_cursor_neither_skips_nor_repeats(oracle: OracleHarness) -> None:
    cursor = oracle.adapter.journal_position()
    for n, item in enumerate(SEED_ITEMS):
        oracle.set_stock(item, Decimal(200 + n))
    pages = oracle.adapter.inventory_changes(cursor)
    first = next(pages)
    pages.close()  # the run stops after its first page, keeping that page's cursor
    resumed, _ = _drain(oracle.adapter, first.cursor)
    delivered = [(r.item_code, r.available) for r in first.rows + resumed]
    assert sorted(delivered) == [(item, Decimal(200 + n)) for n, item in enumerate(SEED_ITEMS)]


def test_a_balance_that_disappears_is_delivered_once_as_zero(oracle: OracleHarness) -> None:
    cursor = oracle.adapter.journal_position()
    oracle.set_stock(SEED_ITEMS[1], Decimal(0), location=STORES)
    rows, cursor = _drain(oracle.adapter, cursor)
    again, _ = _drain(oracle.adapter, cursor)
    assert [(r.item_code, r.location, r.available) for r in rows] == [(SEED_ITEMS[1], STORES, Decimal(0))]
    assert again == []


def _table_keys(oracle: OracleHarness) -> list[bytes]:
    assert oracle.adapter.tables is not None
    return list(oracle.adapter.tables.client.scan_iter(match=f"{oracle.adapter.tables.keys.prefix}:onhand:*"))


def test_the_cursor_of_a_large_catalogue_only_names_its_table_in_redis(oracle: OracleHarness) -> None:
    for n in range(2000):
        oracle.sandbox.pod.set_onhand(f"BULK-{n:05d}", SEED_ORGANIZATION, "FinGood", Decimal(n % 97 + 1))
    adapter = _adapter(oracle)
    adapter.page_size = 500
    try:
        cursor = adapter.journal_position()
    finally:
        adapter.close()
    [table] = _table_keys(oracle)
    assert cursor is not None and len(cursor) < 120
    assert oracle.adapter.tables is not None and oracle.adapter.tables.client.hlen(table) == 2000 + 7


def test_reading_from_a_cursor_deletes_the_tables_it_superseded(oracle: OracleHarness) -> None:
    cursor = oracle.adapter.journal_position()
    for quantity in (1, 2, 3):
        oracle.set_stock(SEED_ITEMS[0], Decimal(quantity))
        _, cursor = _drain(oracle.adapter, cursor)
    assert len(_table_keys(oracle)) == 2  # the cursor's table, and the one it superseded until read from
    _drain(oracle.adapter, cursor)  # nothing changed: no new table, the superseded one deleted
    assert len(_table_keys(oracle)) == 1


def test_a_cursor_whose_table_expired_reads_every_balance_again(oracle: OracleHarness) -> None:
    cursor = oracle.adapter.journal_position()
    oracle.adapter.tables.client.delete(*_table_keys(oracle))  # type: ignore[union-attr]
    rows, _ = _drain(oracle.adapter, cursor)
    assert len(rows) == 7  # five items in FinGood, two of them also in Stores: delivered again, absolute


def test_a_cursor_that_held_its_table_moves_it_to_redis_once(oracle: OracleHarness) -> None:
    table = [[item, LOCATION, "100"] for item in SEED_ITEMS]
    legacy = "ohb1." + base64.urlsafe_b64encode(zlib.compress(json.dumps({"g": 3, "q": table}).encode())).decode()
    rows, cursor = _drain(oracle.adapter, legacy)
    delivered = sorted((r.item_code, r.location, r.available) for r in rows)
    fin_good = [(SEED_ITEMS[n], LOCATION, Decimal(100 + n)) for n in range(1, 5)]  # the first item still at 100
    assert delivered == sorted(fin_good + [(SEED_ITEMS[n], STORES, Decimal(10 + n)) for n in (1, 3)])
    assert cursor is not None and cursor.startswith("ohb2.") and _drain(oracle.adapter, cursor)[0] == []


def test_without_redis_the_stock_feed_says_what_it_needs(oracle: OracleHarness) -> None:
    with sandbox_environment(oracle.sandbox):
        adapter = OracleAdapter(oracle_config(oracle.sandbox), retry=QUICK_RETRIES)
    with adapter, pytest.raises(DataError) as failure:
        adapter.journal_position()
    assert failure.value.codes == ("NO_SNAPSHOT_STORE",) and "redis" in str(failure.value)


def test_a_cursor_from_another_adapter_is_refused(oracle: OracleHarness) -> None:
    with pytest.raises(ValueError, match="not an Oracle on-hand snapshot cursor"):
        next(oracle.adapter.inventory_changes('{"t": "2026-01-01 00:00:00", "seen": []}'))


# -- orders, returns, prices -------------------------------------------------------------------


def test_create_after_a_lost_answer_reads_the_order_key_and_creates_nothing(oracle: OracleHarness) -> None:
    oracle.lose_next_create_response()
    with pytest.raises(IntegrationError):
        oracle.adapter.create_sales_order(sales_order("oracle-lost"), known_new=True)
    oracle.clear_faults()
    document = oracle.adapter.create_sales_order(sales_order("oracle-lost"))
    assert (document.external_ref, document.status) == ("oracle-lost", "open")
    assert oracle.count_sales_orders("oracle-lost") == 1


def test_cancel_is_idempotent(oracle: OracleHarness) -> None:
    oracle.adapter.create_sales_order(sales_order("oracle-cancel"), known_new=True)
    first = oracle.adapter.cancel_sales_order("oracle-cancel")
    second = oracle.adapter.cancel_sales_order("oracle-cancel")
    assert (first.status, second.status, first.number) == ("canceled", "canceled", second.number)


def test_refund_is_a_return_order_referencing_the_sale_and_is_idempotent(oracle: OracleHarness) -> None:
    oracle.adapter.create_sales_order(sales_order("oracle-sold"), known_new=True)
    credit = CreditNote(
        external_ref="oracle-refund-1",
        order_ref="oracle-sold",
        currency="USD",
        lines=[CreditLine(item_code=SEED_ITEMS[0], quantity=Decimal(1), amount=Decimal("19.90"))],
        amount=Decimal("19.90"),
    )
    first = oracle.adapter.create_credit(credit)
    again = oracle.adapter.create_credit(credit)
    stored = oracle.sandbox.pod.find_order("SHOPIFY", "oracle-refund-1")
    assert stored is not None and first.number == again.number
    assert [(line["TransactionCategoryCode"], line["ReferenceSourceTransactionId"]) for line in stored["lines"]] == [
        ("RETURN", "oracle-sold")
    ]


def test_price_lists_map_charges_validity_and_quantity_breaks(oracle: OracleHarness) -> None:
    control = {
        "name": "Wholesale",
        "currency": "EUR",
        "prices": {SEED_ITEMS[2]: "12.50"},
        "tiers": {SEED_ITEMS[2]: [[10, "11.00"]]},
    }
    oracle.control.post("/price-lists", json=control).raise_for_status()
    records = [r for page in oracle.adapter.prices() for r in page]
    retail = [r for r in records if r.price_list == "retail" and r.item_code == SEED_ITEMS[0]]
    wholesale = sorted((r.min_quantity, r.price, r.currency) for r in records if r.price_list == "Wholesale")
    assert [(r.price, r.valid_from) for r in retail] == [(Decimal("19.99"), date(2026, 1, 1))]
    assert wholesale == [(1, Decimal("12.5"), "EUR"), (10, Decimal("11"), "EUR")]


def test_build_adapter_gives_the_oracle_adapter_for_kind_oracle(oracle: OracleHarness) -> None:
    with sandbox_environment(oracle.sandbox):
        adapter = build_adapter(oracle_config(oracle.sandbox))
    try:
        assert isinstance(adapter, OracleAdapter)
        adapter.health()
    finally:
        adapter.close()


def test_the_sandbox_command_starts_the_oracle_sandbox() -> None:
    sandbox = start_erp("oracle", 0, Faults())
    try:
        response = httpx.get(f"{sandbox.url}/fscmRestApi/resources/11.13.18.05/inventoryOnhandBalances")
    finally:
        sandbox.stop()
    assert response.status_code == 401  # served, and guarded by Basic auth


def test_lots_of_one_item_and_subinventory_are_summed_across_a_page_boundary(oracle: OracleHarness) -> None:
    cursor = oracle.adapter.journal_position()
    for lot, quantity in (("L1", 3), ("L2", 4), ("L3", 5)):  # with pages of two, the lots span two pages
        oracle.set_stock("LOT-ITEM", Decimal(quantity), lot=lot)
    levels = [
        (s.item_code, s.location, s.available) for page in oracle.adapter.inventory_snapshot(["LOT-ITEM"]) for s in page
    ]
    changes, _ = _drain(oracle.adapter, cursor)
    assert levels == [("LOT-ITEM", f"{SEED_ORGANIZATION}/FinGood", Decimal(12))]
    assert [(c.item_code, c.available) for c in changes] == [("LOT-ITEM", Decimal(12))]


# -- OAuth 2.0 client credentials with a JWT client assertion -----------------------------------------


def _oauth2(oracle: OracleHarness, **overrides: object) -> OracleAdapter:
    config = {"auth": "oauth2", "token_url": oracle.sandbox.token_url, "key_id": KEY_ID, "scope": SCOPE, **overrides}
    return _adapter(oracle, **config)


def test_oauth2_client_assertion_gets_one_token_that_serves_reads_and_an_order(oracle: OracleHarness) -> None:
    adapter = _oauth2(oracle)
    try:
        rows, _ = _drain(adapter, None)
        document = adapter.create_sales_order(sales_order("oauth-1"))
    finally:
        adapter.close()
    assert rows and document.external_ref == "oauth-1" and oracle.count_sales_orders("oauth-1") == 1
    assert len(oracle.sandbox.identity.tokens) == 1  # kept between requests, not fetched per call


def test_oauth2_with_a_key_the_domain_does_not_trust_is_a_system_failure(
    oracle: OracleHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    untrusted, _ = key_pair()
    monkeypatch.setenv("ORACLE_UNTRUSTED_KEY", untrusted)
    adapter = _oauth2(oracle, private_key=Secret(env="ORACLE_UNTRUSTED_KEY"))
    with pytest.raises(IntegrationError) as failure:
        adapter.health()
    adapter.close()
    assert (failure.value.error_class, failure.value.status) == (ErrorClass.SYSTEM, 401)
    assert failure.value.codes == ("invalid_client",) and "signature does not verify" in str(failure.value)
    assert untrusted.splitlines()[1] not in str(failure.value.to_dict())  # the key never reaches a log


def test_oauth2_without_the_fields_it_needs_is_refused_naming_them(oracle: OracleHarness) -> None:
    with pytest.raises(ValueError, match=r"auth oauth2 needs token_url, private_key, scope"):
        OracleConfig(kind="oracle", base_url=oracle.sandbox.url, auth="oauth2", client_id=Secret(env="X"))


def test_oauth2_with_a_private_key_that_is_no_pem_fails_when_built_without_showing_it(
    oracle: OracleHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORACLE_BROKEN_KEY", "-----BEGIN PRIVATE KEY-----\nnot-a-key-s3cr3t\n-----END PRIVATE KEY-----")
    with pytest.raises(SystemFailure, match="not an RSA key in PEM") as failure:
        _oauth2(oracle, private_key=Secret(env="ORACLE_BROKEN_KEY"))
    assert "s3cr3t" not in str(failure.value.to_dict())
