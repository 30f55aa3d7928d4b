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
from erp_shopify.mapping.customers import customer_ref, observed_values
from erp_shopify.records import CustomerRecord
from erp_shopify.shopify.documents import load
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.sync.customers import customer_input
from erp_shopify_sandbox.shopify import ids, payloads
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
