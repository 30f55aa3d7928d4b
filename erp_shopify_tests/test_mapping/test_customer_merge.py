"""Newest change wins, decided honestly: customer-level fields by change time (clock skew
allowed for), addresses by value, deletions honoured, both sides' changes reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erp_shopify.mapping.customer_merge import Written, merge_customer
from erp_shopify.records import Address, CustomerRecord

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOME = Address(name="Ada Lovelace", address1="12 St James's Sq", city="London", zip="SW1Y 4JH", country_code="GB")
WORK = Address(name="Ada Lovelace", address1="1 Bank St", city="London", zip="E14 5JP", country_code="GB")
SHOP = Address(name="Ada Lovelace", address1="3 Shop Ln", city="Leeds", zip="LS1 1AA", country_code="GB")


def ada(at: datetime, *addresses: Address, **fields: str) -> CustomerRecord:
    values = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"} | fields
    return CustomerRecord(
        external_ref="demo-C1",
        shopify_id="gid://shopify/Customer/1",
        erp_number="1001",
        addresses=list(addresses),
        changed_at=at,
        **values,
    )


def test_a_customer_shopify_lacks_is_written_whole() -> None:
    result = merge_customer(ada(T0, HOME), None, None)
    assert result.write and result.merged.addresses == [HOME]


def test_the_newer_side_wins_the_names_beyond_the_clock_skew() -> None:
    last = Written.after(ada(T0, HOME), ada(T0, HOME))
    erp = ada(T0 + timedelta(minutes=10), HOME, last_name="King")
    shopify = ada(T0 + timedelta(minutes=1), HOME, email="ada@king.example")
    result = merge_customer(erp, shopify, last)
    assert (result.merged.last_name, result.merged.email) == ("King", "ada@example.com") and result.write
    older_erp = merge_customer(erp.model_copy(update={"changed_at": T0}), shopify, last)
    assert (older_erp.merged.last_name, older_erp.merged.email) == ("Lovelace", "ada@king.example")


def test_within_the_skew_the_side_that_moved_since_our_write_wins() -> None:
    last = Written.after(ada(T0, HOME), ada(T0, HOME))
    erp = ada(T0 + timedelta(seconds=30), HOME, last_name="King")
    shopify = ada(T0 + timedelta(seconds=60), HOME)  # a newer stamp, but its names did not move
    result = merge_customer(erp, shopify, last)
    assert result.merged.last_name == "King" and result.conflict is None


def test_both_sides_changed_between_two_syncs_keeps_shopifys_and_reports_without_values() -> None:
    last = Written.after(ada(T0, HOME), ada(T0, HOME))
    erp = ada(T0 + timedelta(seconds=30), HOME, WORK, last_name="King")
    shopify = ada(T0 + timedelta(seconds=40), HOME, SHOP, email="ada@king.example")
    result = merge_customer(erp, shopify, last)
    assert result.merged.last_name == "Lovelace" and result.merged.email == "ada@king.example"
    assert result.conflict is not None and result.conflict["kept"] == "shopify"
    assert result.conflict["fields"] == ["last_name", "email"]
    assert (result.conflict["addresses_erp_only"], result.conflict["addresses_shopify_only"]) == (1, 1)
    assert "Bank St" not in str(result.conflict) and "King" not in str(result.conflict)
    assert result.merged.addresses == [HOME, SHOP, WORK]  # both sides' new addresses kept


def test_an_address_only_shopify_holds_is_never_dropped_by_an_erp_write() -> None:
    erp = ada(T0 + timedelta(hours=1), WORK)
    shopify = ada(T0, SHOP)
    result = merge_customer(erp, shopify, None)
    assert result.merged.addresses == [SHOP, WORK] and result.write


def test_an_address_deleted_on_one_side_is_deleted_not_brought_back() -> None:
    last = Written.after(ada(T0, HOME, WORK), ada(T0, HOME, WORK))
    erp = ada(T0 + timedelta(minutes=5), HOME)  # WORK deleted in the ERP
    shopify = ada(T0, HOME, WORK)
    result = merge_customer(erp, shopify, last)
    assert result.merged.addresses == [HOME] and result.dropped == ["erp"] and result.write


def test_our_own_write_read_back_from_the_erp_writes_nothing() -> None:
    same = ada(T0, HOME, WORK)
    erp = same.model_copy(update={"changed_at": T0 + timedelta(hours=1)})
    assert not merge_customer(erp, same, Written.after(same, same)).write


def test_what_was_written_is_kept_as_digests_only() -> None:
    written = Written.after(ada(T0, HOME), ada(T0, HOME, WORK))
    kept = written.to_json()
    assert "St James" not in kept and "Lovelace" not in kept
    assert Written.from_json(kept) == written


def test_an_address_the_erp_never_held_is_not_an_erp_deletion() -> None:
    last = Written.after(ada(T0, HOME), ada(T0, HOME, SHOP))  # SHOP's webhook has not reached the ERP yet
    result = merge_customer(ada(T0 + timedelta(minutes=5), HOME, WORK), ada(T0, HOME, SHOP), last)
    assert result.merged.addresses == [HOME, SHOP, WORK] and result.dropped == []
