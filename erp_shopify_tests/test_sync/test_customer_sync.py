"""The customer sync ERP -> Shopify end to end: a real Tryton's party changes, merged with the
Shopify sandbox's customer and written with ``customerSet``, through real Redis. Our own writes
come back as echoes in both directions, an address only Shopify holds is never dropped, an ERP
deletion is honoured, and a re-run writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from erp_shopify.artefacts import webhook_schema
from erp_shopify.errors import SystemFailure
from erp_shopify.mapping.customers import creation_key, customer_ref, location_ref, observed_values
from erp_shopify.records import Address, CustomerRecord
from erp_shopify.shopify.documents import load
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.sync.customers import CustomerSync, CustomerSyncResult, customer_input, shopify_gid
from erp_shopify_sandbox.shopify import ids, payloads
from erp_shopify_sandbox.shopify.company_mutations import location_payload
from erp_shopify_tests.test_erp.harness_tryton import TrytonHarness, harness
from erp_shopify_tests.test_sync.world import World, world

pytestmark = pytest.mark.slow
SHOP = "shop-a"
HOME = Address(
    name="Ada Lovelace", address1="1 Main St", city="Ottawa", zip="K1P 1J1", province_code="ON", country_code="CA"
)
WORK = Address(name="Ada Lovelace", company="Analytical Ltd", address1="2 Bank St", city="Ottawa", zip="K1P 1J2",
               province_code="ON", country_code="CA")  # fmt: skip
CABIN = Address(name="Ada Lovelace", address1="9 Lake Rd", city="Toronto", zip="M5H 2N2", province_code="ON",
                country_code="CA")  # fmt: skip


@pytest.fixture  # a fresh database per test: each test's Shopify sandbox numbers its customers from one
def tryton() -> Iterator[TrytonHarness]:
    with harness() as running:
        yield running


@pytest.fixture
def shop_world(tmp_path: Path, redis_url: str, key_prefix: str) -> Iterator[World]:
    with world(tmp_path, redis_url, key_prefix, items=0, stock=None) as the_world:
        yield the_world


def _shopify_customer(w: World, email: str, *addresses: Address) -> str:
    """A customer who signed up in the shop (created in the sandbox through Shopify's own API)."""
    given = [customer_input(CustomerRecord(addresses=[a]))["addresses"][0] for a in addresses]
    variables = {
        "identifier": None,
        "input": {"firstName": "Ada", "lastName": "Lovelace", "email": email, "addresses": given},
    }
    answer = w.client(SHOP).execute("customer_set", variables)
    return str(answer["customerSet"]["customer"]["id"])


def _in_erp(tryton: TrytonHarness, gid: str, email: str, *addresses: Address) -> CustomerRecord:
    """The customer as webhook delivery put it in the ERP."""
    record = CustomerRecord(
        external_ref=customer_ref(SHOP, gid),
        shopify_id=gid,
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        addresses=list(addresses),
    )
    return tryton.adapter.upsert_customer(record)


def _sync(w: World, tryton: TrytonHarness, cursor: str | None) -> CustomerSyncResult:
    return CustomerSync(w.shop(SHOP), w.client(SHOP), tryton.adapter, w.redis(), w.key_prefix).run(cursor)


def _streets(w: World, gid: str) -> list[str]:
    node = w.client(SHOP).execute(load("customer"), {"id": gid})["customer"]
    return sorted(a["address1"] for a in node["addressesV2"]["nodes"])


def _webhook(w: World, gid: str) -> dict[str, Any]:
    state = w.shops[SHOP].sandbox.state
    return json.loads(
        json.dumps(payloads.customer(state, state.customers[int(gid.rsplit("/", 1)[1]) - 7_300_000_000_001]))
    )


def test_an_erp_edit_reaches_shopify_merged_and_our_writes_echo_in_both_directions(
    shop_world: World, tryton: TrytonHarness
) -> None:
    w = shop_world
    gid = _shopify_customer(w, "ada.sync@example.com", HOME)
    erp = _in_erp(tryton, gid, "ada.sync@example.com", HOME)
    assert shopify_gid(SHOP, erp.external_ref) == gid
    first = _sync(w, tryton, None)
    assert first.written == 0 and first.unchanged >= 1  # the ERP holds what Shopify holds: nothing to write
    tryton.put_erp_customer(erp.erp_number, "Ada Lovelace", [WORK])  # an ERP user adds an address
    second = _sync(w, tryton, first.watermark)
    assert (second.written, second.refused) == (1, [])
    assert _streets(w, gid) == ["1 Main St", "2 Bank St"]
    echo = observed_values("customers/update", _webhook(w, gid), SHOP)
    assert Fingerprints(w.redis(), w.key_prefix).is_echo(SHOP, gid, echo)  # Shopify's webhook of our write: dropped
    third = _sync(w, tryton, second.watermark)
    assert third.written == 0  # nothing changed since


def test_an_address_only_shopify_holds_survives_and_an_erp_deletion_is_honoured(
    shop_world: World, tryton: TrytonHarness
) -> None:
    w = shop_world
    gid = _shopify_customer(w, "ada.merge@example.com", HOME, CABIN)
    erp = _in_erp(tryton, gid, "ada.merge@example.com", HOME)  # the ERP never heard of the cabin
    cursor = _sync(w, tryton, None).watermark
    tryton.put_erp_customer(erp.erp_number, "Ada Lovelace", [WORK])
    assert _sync(w, tryton, cursor).written == 1
    assert _streets(w, gid) == ["1 Main St", "2 Bank St", "9 Lake Rd"]  # customerSet got the merged list
    ids = tryton.rpc.model(
        "party.address", "search", [("party.code", "=", erp.erp_number), ("postal_code", "=", "K1P 1J2")]
    )
    tryton.rpc.model("party.address", "write", ids, {"active": False})  # an ERP user archives the work address
    later = _sync(w, tryton, None)
    assert later.written >= 1 and _streets(w, gid) == ["1 Main St", "9 Lake Rd"]


def test_customers_of_other_shops_and_erp_born_ones_are_not_written(shop_world: World, tryton: TrytonHarness) -> None:
    tryton.put_erp_customer("", "Charles Babbage", [HOME])
    tryton.adapter.upsert_customer(CustomerRecord(external_ref="other-shop-C42", last_name="Other", addresses=[HOME]))
    result = _sync(shop_world, tryton, None)
    assert result.not_this_shop >= 2 and result.written == 0


def test_a_revoked_token_fails_the_run_and_the_next_run_writes_from_the_same_watermark(
    shop_world: World, tryton: TrytonHarness
) -> None:
    w = shop_world
    gid = _shopify_customer(w, "ada.auth@example.com", HOME)
    erp = _in_erp(tryton, gid, "ada.auth@example.com", HOME)
    cursor = _sync(w, tryton, None).watermark
    tryton.put_erp_customer(erp.erp_number, "Ada Lovelace", [WORK])
    w.shops[SHOP].control.set_faults(unauthorized=True)
    with pytest.raises(SystemFailure):
        _sync(w, tryton, cursor)  # no watermark comes back: the asset records nothing
    w.shops[SHOP].control.set_faults(unauthorized=False)
    assert _sync(w, tryton, cursor).written == 1 and _streets(w, gid) == ["1 Main St", "2 Bank St"]


def test_a_company_locations_erp_address_is_assigned_once_and_its_webhook_is_our_echo(
    shop_world: World, tryton: TrytonHarness
) -> None:
    w = shop_world
    state = w.shops[SHOP].sandbox.state
    gid = ids.gid("CompanyLocation", state.add_price_list("B2B", "USD", company_location="Navy Labs").index)
    office = WORK.model_copy(update={"name": "Grace Hopper", "company": "Navy Labs"})
    location = CustomerRecord(
        kind="company_location", external_ref=location_ref(SHOP, gid), company="Navy Labs", addresses=[office]
    )
    tryton.adapter.upsert_customer(location)
    first = _sync(w, tryton, None)
    assert (first.locations, first.written, first.refused) == (1, 1, [])
    node = w.client(SHOP).execute("company_location", {"id": gid})["companyLocation"]
    assert node["shippingAddress"]["address1"] == node["billingAddress"]["address1"] == "2 Bank St"
    assert node["shippingAddress"]["recipient"] == "Grace Hopper" and node["shippingAddress"]["zoneCode"] == "ON"
    payload = location_payload(state.price_lists[ids.parse_gid(gid, "CompanyLocation") or 0])
    validator = jsonschema.Draft202012Validator(webhook_schema("company_locations/update"))
    assert [e.message for e in validator.iter_errors(json.loads(json.dumps(payload)))] == []
    echo = observed_values("company_locations/update", payload, SHOP)
    assert Fingerprints(w.redis(), w.key_prefix).is_echo(SHOP, gid, echo)
    assert _sync(w, tryton, None).written == 0  # both sides agree now


def test_an_erp_born_customer_is_created_once_by_custom_id_and_linked_in_the_erp(
    tmp_path: Path, redis_url: str, key_prefix: str, tryton: TrytonHarness
) -> None:
    extra = {"shop_extra": {"erp_born_customers": True}}
    with world(tmp_path, redis_url, key_prefix, items=0, stock=None, **extra) as w:
        born = CustomerRecord(first_name="Charles", last_name="Babbage", email="charles@example.com", addresses=[HOME])
        number = tryton.adapter.upsert_customer(born).erp_number  # an ERP user's new customer: no reference
        first = _sync(w, tryton, None)
        assert first.created == 1 and first.refused == []
        [party] = [
            c for page in tryton.adapter.customer_changes(None) for c in page.customers if c.erp_number == number
        ]
        gid = shopify_gid(SHOP, party.external_ref)
        assert gid is not None and _streets(w, gid) == ["1 Main St"]
        echo = observed_values("customers/create", _webhook(w, gid), SHOP)
        assert Fingerprints(w.redis(), w.key_prefix).is_echo(SHOP, creation_key("charles@example.com"), echo)
        assert _sync(w, tryton, None).created == 0 and len(w.shops[SHOP].sandbox.state.customers) == 1
