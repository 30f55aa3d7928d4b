"""The customer sync's company-location step against the SAP sandbox and the Shopify sandbox:
Shopify's newer change is not overwritten, both sides changing keeps Shopify's and reports the
conflict without addresses, and an address Shopify refuses is listed while the run goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from erp_shopify.mapping.customers import location_ref
from erp_shopify.records import CustomerRecord
from erp_shopify.shopify.documents import load
from erp_shopify.sync.company_locations import address_input
from erp_shopify.sync.customers import CustomerSync, CustomerSyncResult
from erp_shopify_sandbox.shopify import ids
from erp_shopify_tests.test_defs.test_customer_assets_sap_netsuite import DOCK, OFFICE, SEEDED
from erp_shopify_tests.test_erp.harness_sap import SapHarness, adapter_for
from erp_shopify_tests.test_sync.world import World, world

SHOP = "shop-a"


@pytest.fixture
def sap_world(tmp_path: Path, redis_url: str, key_prefix: str) -> Iterator[tuple[World, SapHarness]]:
    with world(tmp_path, redis_url, key_prefix, items=0, stock=None) as w:
        sap = SapHarness(w.sap, adapter_for(w.sap))
        yield w, sap
        sap.adapter.close()


def _known_location(w: World, sap: SapHarness) -> tuple[str, str]:
    """A Shopify company location the ERP holds (as its webhook put it there): its gid and partner."""
    price_list = w.shops[SHOP].control.create_price_list("Navy prices", "USD", company_location="Navy Labs")
    gid = ids.gid("CompanyLocation", ids.parse_gid(price_list, "PriceList") or 0)
    record = CustomerRecord(
        kind="company_location", external_ref=location_ref(SHOP, gid), company="Navy Labs", addresses=[SEEDED]
    )
    return gid, sap.adapter.upsert_customer(record).erp_number


def _sync(w: World, sap: SapHarness, cursor: str | None) -> CustomerSyncResult:
    return CustomerSync(w.shop(SHOP), w.client(SHOP), sap.adapter, w.redis(), w.key_prefix).run(cursor)


def _shipping(w: World, gid: str) -> str:
    node = w.client(SHOP).execute(load("company_location"), {"id": gid})["companyLocation"]
    return str(node["shippingAddress"]["address1"])


def _shopify_edit(w: World, gid: str) -> None:
    """A merchant sets the location's addresses in Shopify."""
    variables = {"locationId": gid, "address": address_input(OFFICE), "addressTypes": ["SHIPPING", "BILLING"]}
    assert (
        w.client(SHOP).execute("company_location_assign_address", variables)["companyLocationAssignAddress"][
            "userErrors"
        ]
        == []
    )


def test_a_shopify_change_not_yet_in_the_erp_is_not_overwritten(sap_world: tuple[World, SapHarness]) -> None:
    w, sap = sap_world
    gid, _ = _known_location(w, sap)
    cursor = _sync(w, sap, None).watermark
    _shopify_edit(w, gid)  # its webhook has not reached SAP yet
    sap.adapter.upsert_customer(  # an unrelated ERP change of the location (a rename) brings it back
        CustomerRecord(kind="company_location", external_ref=location_ref(SHOP, gid), company="Navy Labs Inc",
                       addresses=[SEEDED])
    )  # fmt: skip
    result = _sync(w, sap, cursor)
    assert (result.locations, result.written, result.conflicts) == (1, 0, [])
    assert _shipping(w, gid) == "2 Office Park"


def test_both_sides_changing_keeps_shopify_and_reports_the_conflict_without_addresses(
    sap_world: tuple[World, SapHarness],
) -> None:
    w, sap = sap_world
    gid, number = _known_location(w, sap)
    cursor = _sync(w, sap, None).watermark
    _shopify_edit(w, gid)
    sap.put_erp_customer(number, "Navy Labs", [DOCK], organization=True)
    result = _sync(w, sap, cursor)
    [conflict] = result.conflicts
    assert (result.written, conflict["kept"], conflict["shopify_id"]) == (0, "shopify", gid)
    assert "Pier" not in str(conflict) and "Office" not in str(conflict)
    assert _shipping(w, gid) == "2 Office Park"


def test_an_address_shopify_refuses_is_listed_and_the_run_goes_on(sap_world: tuple[World, SapHarness]) -> None:
    w, sap = sap_world
    gid, number = _known_location(w, sap)
    cursor = _sync(w, sap, None).watermark
    no_street = DOCK.model_copy(update={"address1": ""})  # SAP keeps an address without a street
    sap.put_erp_customer(number, "Navy Labs", [no_street], organization=True)
    result = _sync(w, sap, cursor)
    [refused] = result.refused
    assert (refused["codes"], refused["fields"]) == ("BLANK", "address.address1")
    assert refused["customer"] == location_ref(SHOP, gid) and result.watermark != cursor
    assert _shipping(w, gid) == "100 Market St"
