"""The ``customers`` asset on SAP and NetSuite, through a real Dagster instance and the Shopify
sandbox: an ERP user's change (an address added to the SAP business partner, a NetSuite customer
edited) reaches the Shopify customer merged with the addresses only Shopify holds, Shopify's
webhook of that write is our echo, and a run after it writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from erp_shopify.defs.customers.assets import customers
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify.mapping.customers import customer_ref, location_ref, observed_values
from erp_shopify.records import Address, CustomerRecord
from erp_shopify.shopify.documents import load
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.sync.customers import customer_input
from erp_shopify_sandbox.shopify import ids, payloads
from erp_shopify_sandbox.shopify.company_mutations import location_payload
from erp_shopify_tests.test_defs.dagster_world import metadata, resources
from erp_shopify_tests.test_delivery.conftest import settings_data as delivery_settings
from erp_shopify_tests.test_erp import harness_netsuite, harness_sap
from erp_shopify_tests.test_sync.test_customer_sync import CABIN, HOME, WORK
from erp_shopify_tests.test_sync.world import World, world

SHOP = "shop-a"


@contextmanager
def _erp_world(
    kind: str, tmp_path: Path, redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, Any]]:
    """The Shopify sandbox and this ERP, with the ERP harness that plays its users."""
    if kind == "sap":
        with world(tmp_path, redis_url, key_prefix, items=0, stock=None) as w:
            sap = harness_sap.SapHarness(w.sap, harness_sap.adapter_for(w.sap))
            yield w, sap
            sap.adapter.close()
        return
    with harness_netsuite.harness() as netsuite:
        for name, value in netsuite.sandbox.environment().items():
            monkeypatch.setenv(name, value)
        erp = delivery_settings(netsuite.sandbox, redis_url, key_prefix)["erp"]
        with world(tmp_path, redis_url, key_prefix, items=0, stock=None, erp=erp) as w:
            yield w, netsuite


def _run(w: World, instance: dg.DagsterInstance) -> dict[str, Any]:
    sync_shop_partitions(instance, w.settings.shop_names)
    result = dg.materialize([customers], instance=instance, resources=resources(w), partition_key=SHOP)
    return metadata(result, "customers")


def _streets(w: World, gid: str) -> list[str]:
    node = w.client(SHOP).execute(load("customer"), {"id": gid})["customer"]
    return sorted(a["address1"] for a in node["addressesV2"]["nodes"])


def _webhook(w: World, gid: str) -> dict[str, Any]:
    """The ``customers/update`` payload Shopify sends of the customer as it is now."""
    state = w.shops[SHOP].sandbox.state
    [customer] = [c for c in state.customers if ids.gid("Customer", c.index) == gid]
    return json.loads(json.dumps(payloads.customer(state, customer)))


@pytest.mark.parametrize("kind", ["sap", "netsuite"])
def test_an_erp_change_reaches_shopify_with_shopify_addresses_kept_and_no_echo(
    kind: str, tmp_path: Path, redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _erp_world(kind, tmp_path, redis_url, key_prefix, monkeypatch) as (w, erp), dg.instance_for_test() as i:
        given = [customer_input(CustomerRecord(addresses=[a]))["addresses"][0] for a in (HOME, CABIN)]
        variables = {
            "identifier": None,
            "input": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "addresses": given},
        }
        gid = w.client(SHOP).execute("customer_set", variables)["customerSet"]["customer"]["id"]
        record = CustomerRecord(
            external_ref=customer_ref(SHOP, gid), first_name="Ada", last_name="Lovelace", email="ada@example.com",
            addresses=[HOME],
        )  # fmt: skip
        party = erp.adapter.upsert_customer(record)  # as webhook delivery put it in the ERP: no cabin yet
        first = _run(w, i)
        assert (first["written"], first["unchanged"]) == (0, 1)  # nothing new for Shopify
        erp.put_erp_customer(party.erp_number, "Ada Lovelace", [HOME, WORK])  # an ERP user adds an address
        second = _run(w, i)
        assert (second["written"], second["conflicts"]) == (1, 0)
        assert _streets(w, gid) == ["1 Main St", "2 Bank St", "9 Lake Rd"]  # the cabin, Shopify's own, kept
        echo = observed_values("customers/update", _webhook(w, gid), SHOP)
        assert Fingerprints(w.redis(), w.key_prefix).is_echo(SHOP, gid, echo)  # dropped at the receiver
        third = _run(w, i)
        assert third["written"] == 0 and _streets(w, gid) == ["1 Main St", "2 Bank St", "9 Lake Rd"]


SEEDED = Address(name="Receiving", company="Navy Labs", address1="100 Market St", city="Seattle", zip="98101",
                 province_code="WA", country_code="US")  # fmt: skip
DOCK = Address(name="Grace Hopper", company="Navy Labs", address1="1 Pier Rd", city="Seattle", zip="98104",
               province_code="WA", country_code="US")  # fmt: skip
OFFICE = DOCK.model_copy(update={"name": "Accounts", "address1": "2 Office Park"})


def _location(w: World, gid: str) -> dict[str, Any]:
    return w.client(SHOP).execute(load("company_location"), {"id": gid})["companyLocation"]


@pytest.mark.parametrize("kind", ["sap", "netsuite"])
def test_an_erp_address_of_a_company_location_is_assigned_to_its_shipping_and_billing(
    kind: str, tmp_path: Path, redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _erp_world(kind, tmp_path, redis_url, key_prefix, monkeypatch) as (w, erp), dg.instance_for_test() as i:
        price_list = w.shops[SHOP].control.create_price_list("Navy prices", "USD", company_location="Navy Labs")
        gid = ids.gid("CompanyLocation", ids.parse_gid(price_list, "PriceList") or 0)
        record = CustomerRecord(
            kind="company_location", external_ref=location_ref(SHOP, gid), company="Navy Labs", addresses=[SEEDED]
        )
        party = erp.adapter.upsert_customer(record)  # as company_locations/create put it in the ERP
        first = _run(w, i)
        assert (first["locations"], first["written"], first["unchanged"]) == (1, 0, 1)
        erp.put_erp_customer(party.erp_number, "Navy Labs", [DOCK], organization=True)  # a new ship-to, in the ERP
        second = _run(w, i)
        assert (second["locations"], second["written"]) == (1, 1)
        shown = _location(w, gid)
        assert shown["shippingAddress"]["address1"] == shown["billingAddress"]["address1"] == "1 Pier Rd"
        assert shown["shippingAddress"]["recipient"] == "Grace Hopper"
        echo = observed_values("company_locations/update", _location_webhook(w, gid), SHOP)
        assert Fingerprints(w.redis(), w.key_prefix).is_echo(SHOP, gid, echo)  # dropped at the receiver
        erp.put_erp_customer(party.erp_number, "Navy Labs", [DOCK, OFFICE], organization=True)  # a bill-to of its own
        assert _run(w, i)["written"] == 1
        shown = _location(w, gid)
        assert (shown["shippingAddress"]["address1"], shown["billingAddress"]["address1"]) == (
            "1 Pier Rd",
            "2 Office Park",
        )
        assert Fingerprints(w.redis(), w.key_prefix).is_echo(
            SHOP, gid, observed_values("company_locations/update", _location_webhook(w, gid), SHOP)
        )
        assert _run(w, i)["written"] == 0


def _location_webhook(w: World, gid: str) -> dict[str, Any]:
    """The ``company_locations/update`` payload Shopify sends of the location as it is now."""
    state = w.shops[SHOP].sandbox.state
    return json.loads(json.dumps(location_payload(state.price_lists[ids.parse_gid(gid, "CompanyLocation") or 0])))
