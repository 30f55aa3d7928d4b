"""SAP-specific customer behaviour: business partners written and read over API_BUSINESS_PARTNER,
and sales orders that name their customer, against the SAP sandbox over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from erp_shopify.errors import DataError
from erp_shopify.records import Address, Customer, CustomerRecord, SalesOrder, SalesOrderLine
from erp_shopify_sandbox.sap import PASSWORD, USERNAME
from erp_shopify_tests.test_erp.harness_sap import ITEMS, SapHarness, harness

HOME = Address(name="Ada Lovelace", address1="12 St James's Sq", city="London", zip="SW1Y 4JH", country_code="GB")
DOCK = Address(
    name="Goods in", company="Analytical Ltd", address1="1 Dock Rd", city="London", zip="E16 1AH", country_code="GB"
)


@pytest.fixture
def sap() -> Iterator[SapHarness]:
    with harness() as running:
        yield running


def _odata(sap: SapHarness, path: str, **params: str) -> Any:
    answer = httpx.get(
        f"{sap.sandbox.odata_url}/{path}",
        params=params,
        auth=(USERNAME, PASSWORD),
        headers={"Accept": "application/json"},
    )
    answer.raise_for_status()
    return answer.json()["d"]


def _ada(ref: str = "C-1", *addresses: Address, **changes: Any) -> CustomerRecord:
    record = CustomerRecord(
        external_ref=ref,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        addresses=list(addresses) or [HOME],
    )
    return record.model_copy(update=changes)


def _order(ref: str, party: str | None) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="demo-eu",
        currency="EUR",
        ordered_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        customer=Customer(email="ada@example.com", name="Ada Lovelace", erp_party=party),
        ship_to=DOCK,
        lines=[SalesOrderLine(item_code=ITEMS[0], quantity=Decimal(1), unit_price=Decimal("19.90"))],
    )


def _partners(sap: SapHarness, sales_order: str) -> dict[str, Any]:
    order = _odata(sap, f"API_SALES_ORDER_SRV/A_SalesOrder('{sales_order}')", **{"$expand": "to_Partner/to_Address"})
    return {"SoldToParty": order["SoldToParty"], **{p["PartnerFunction"]: p for p in order["to_Partner"]["results"]}}


def test_an_order_naming_its_customer_is_sold_and_shipped_to_that_partner_at_the_order_address(sap: SapHarness) -> None:
    party = sap.adapter.upsert_customer(_ada()).erp_number
    document = sap.adapter.create_sales_order(_order("so-named-1", party))
    partners = _partners(sap, document.number)
    assert partners["SoldToParty"] == party
    ship_to = partners["SH"]
    assert (ship_to["Customer"], ship_to["PartnerFunctionInternalCode"]) == (party, "WE")
    [address] = ship_to["to_Address"]["results"]
    assert (address["StreetName"], address["PostalCode"], address["OrganizationName1"]) == (
        "1 Dock Rd",
        "E16 1AH",
        "Analytical Ltd",
    )


def test_an_order_without_a_customer_keeps_the_configured_sold_to_party(sap: SapHarness) -> None:
    document = sap.adapter.create_sales_order(_order("so-default-1", None))
    partners = _partners(sap, document.number)
    assert partners["SoldToParty"] == sap.adapter.config.sold_to_party
    assert partners["SH"]["Customer"] == sap.adapter.config.sold_to_party
    assert partners["SH"]["to_Address"]["results"] == []


def test_an_order_naming_a_partner_without_the_customer_role_is_a_data_error(sap: SapHarness) -> None:
    with pytest.raises(DataError) as refused:
        sap.adapter.create_sales_order(_order("so-ghost-1", "9999999"))
    assert "V1/004" in refused.value.codes
    assert sap.count_sales_orders("so-ghost-1") == 0


def test_an_unchanged_upsert_moves_no_change_stamp(sap: SapHarness) -> None:
    first = sap.adapter.upsert_customer(_ada())
    _, cursor = _drain(sap, None)
    again = sap.adapter.upsert_customer(_ada())
    assert again.changed_at == first.changed_at
    assert _drain(sap, cursor)[0] == []  # nothing for the sync to read back as a change


def test_addresses_are_added_by_value_and_one_the_record_dropped_is_kept(sap: SapHarness) -> None:
    sap.adapter.upsert_customer(_ada("C-2", HOME))
    moved = HOME.model_copy(update={"address1": "13 St James's Sq"})
    updated = sap.adapter.upsert_customer(_ada("C-2", moved, DOCK))
    assert sorted(a.address1 for a in updated.addresses) == ["1 Dock Rd", "12 St James's Sq", "13 St James's Sq"]


def test_a_name_change_raced_by_an_sap_user_is_read_again_and_applied(sap: SapHarness) -> None:
    party = sap.adapter.upsert_customer(_ada("C-3")).erp_number
    stale = sap.adapter.customers._by_number(party)
    assert stale is not None
    sap.sandbox.store.partners.update(party, {"LastName": "Byron"}, "*")  # an SAP user's edit moves the ETag
    sap.adapter.customers._update(stale, _ada("C-3", last_name="King"))
    found = sap.adapter.find_customer("C-3")
    assert found is not None and found.last_name == "King"


def test_a_company_location_is_an_organization_partner(sap: SapHarness) -> None:
    location = CustomerRecord(
        kind="company_location",
        external_ref="L-77",
        company="Analytical Ltd",
        addresses=[DOCK],
        email="buyer@an.example",
    )
    written = sap.adapter.upsert_customer(location)
    row = _odata(sap, f"API_BUSINESS_PARTNER/A_BusinessPartner('{written.erp_number}')")
    assert (row["BusinessPartnerCategory"], row["OrganizationBPName1"]) == ("2", "Analytical Ltd")
    assert (written.kind, written.company, written.email) == ("company_location", "Analytical Ltd", "buyer@an.example")


def test_a_reference_longer_than_sap_holds_is_kept_short_and_found_again(sap: SapHarness) -> None:
    long_ref = "demo-eu-C115310627314723954"  # a real Shopify id with its shop: 27 characters
    written = sap.adapter.upsert_customer(_ada(long_ref))
    stored = sap.adapter.customers.stored_ref(long_ref)
    assert len(stored) == 20 and sap.count_customers(stored) == 1
    assert written.external_ref == long_ref and sap.adapter.upsert_customer(_ada(long_ref)).erp_number == (
        written.erp_number
    )
    found = sap.adapter.find_customer(long_ref)
    assert found is not None and found.erp_number == written.erp_number
    assert sap.adapter.find_customer("demo-us-C115310627314723954") is None  # another shop's is another


def _drain(sap: SapHarness, cursor: str | None) -> tuple[list[CustomerRecord], str | None]:
    changed: list[CustomerRecord] = []
    for page in sap.adapter.customer_changes(cursor):
        changed.extend(page.customers)
        cursor = page.cursor
    return changed, cursor
