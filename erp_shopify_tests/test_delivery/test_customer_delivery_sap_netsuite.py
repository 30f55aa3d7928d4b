"""Customer webhooks and the orders that name their customer, delivered to the SAP and NetSuite
sandboxes through the webhook receiver (signed, over HTTP) or the queue as it fills it, and the
orders' ledger, error classes, pause and DLQ (real Redis, real HTTP): one ERP customer per Shopify
customer whatever is repeated or lost, each order sold to it, a refused address dead-lettered
naming its field and replayed once the ERP is fixed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from erp_shopify.config import parse_settings
from erp_shopify.delivery import BatchReport, QueueParts, ReplaySelection, replay, resume
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.notify import Notifier
from erp_shopify.records import Address
from erp_shopify.shopify.webhooks import sign
from erp_shopify.store.connection import connect
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.redis_cluster import RedisTarget
from erp_shopify_tests.test_delivery.conftest import SHOP, AlertReceiver, QueueRig, settings_data
from erp_shopify_tests.test_erp import harness_netsuite, harness_sap
from erp_shopify_tests.test_mapping.order_payloads import ADDRESS, order_payload
from erp_shopify_tests.test_mapping.test_customers import customer_payload

GID = "gid://shopify/Customer/115310627314723954"  # a real-sized id: its reference is 27 characters
REF = f"{SHOP}-C115310627314723954"
SECRET = "whsec-e2e-0123456789"
GUEST = Address(name="Web Shop Guest", address1="1 Sales Rd", city="Berlin", zip="10115", country_code="DE")


@dataclass
class ErpRig(QueueRig):
    erp: Any = None  # SapHarness or NetSuiteHarness
    guest: str = ""

    def deliver(self) -> BatchReport:
        return self.deliver_to(self.erp.adapter)

    def order(self, order_id: int, **fields: Any) -> None:
        """An order of two SKUs the shops file maps to this ERP's first two items."""
        self.queue("orders/create", order_payload(order_id, [("TEE-M", 1, "19.90"), ("CAP", 1, "12.00")], **fields))


def _erp_section(erp: Any) -> dict[str, Any]:
    if erp.name == "sap":
        return {
            "kind": "sap",
            "base_url": erp.sandbox.odata_url,
            "username": {"env": "SAP_SANDBOX_USER"},
            "password": {"env": "SAP_SANDBOX_PASSWORD"},
        }
    return settings_data(erp.sandbox, "redis://unused", "unused")["erp"]


@contextmanager
def _erp_rig(
    kind: str, alerts: tuple[AlertReceiver, str], redis_target: RedisTarget, key_prefix: str
) -> Iterator[ErpRig]:
    receiver, alert_url = alerts
    module = harness_sap if kind == "sap" else harness_netsuite
    with module.harness() as erp:
        guest = erp.put_erp_customer("", "Web Guest", [GUEST])
        data = settings_data(_erp_section(erp), redis_target.url, key_prefix, cluster=redis_target.cluster)
        data["shops"][0]["sku_overrides"] = {erp.items[0]: "TEE-M", erp.items[1]: "CAP"}
        data["shops"][0]["guest_customer"] = guest
        settings = parse_settings(data)
        client = connect(settings.redis)
        try:
            parts = QueueParts.connect(client, key_prefix)
            yield ErpRig(settings, parts, receiver, Notifier(alert_url), erp=erp, guest=guest)
        finally:
            erp.clear_faults()
            client.close()


@pytest.fixture(params=["sap", "netsuite"])
def rig(
    request: pytest.FixtureRequest,
    alerts: tuple[AlertReceiver, str],
    redis_target: RedisTarget,
    key_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ErpRig]:
    monkeypatch.setenv("ERP_SHOPIFY_ALERT_WEBHOOK_URL", alerts[1])
    with _erp_rig(request.param, alerts, redis_target, key_prefix) as made:
        yield made


@pytest.fixture
def sap_rig(
    alerts: tuple[AlertReceiver, str], redis_target: RedisTarget, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ErpRig]:
    """SAP alone: its country settings decide which countries and postal codes an address may have
    (NetSuite checks no postal code format and knows every ISO country)."""
    monkeypatch.setenv("ERP_SHOPIFY_ALERT_WEBHOOK_URL", alerts[1])
    with _erp_rig("sap", alerts, redis_target, key_prefix) as made:
        yield made


def _sold_to(rig: ErpRig, order_ref: str) -> tuple[str, list[str]]:
    """The order's customer in the ERP, and its ship-to party (SAP) or address (NetSuite), read
    through the ERP's own API."""
    adapter = rig.erp.adapter
    if isinstance(adapter, SapAdapter):
        url = adapter.odata.url("API_SALES_ORDER_SRV", "A_SalesOrder")
        params = {"$filter": f"PurchaseOrderByCustomer eq '{order_ref}'", "$expand": "to_Partner"}
        [row] = adapter.odata.get(url, params)["results"]
        partners = row["to_Partner"]["results"]
        return row["SoldToParty"], [p["Customer"] for p in partners if p["PartnerFunction"] == "SH"]
    assert isinstance(adapter, NetSuiteAdapter)
    found = adapter.rest.get_record("salesOrder", order_ref)
    assert found is not None
    return str(found["entity"]["id"]), [str((found.get("shippingAddress") or {}).get("addr1", ""))]


def test_a_created_then_updated_customer_is_one_erp_customer_with_every_address(rig: ErpRig) -> None:
    rig.queue("customers/create", customer_payload(addresses=customer_payload()["addresses"][:1]))
    rig.queue("customers/update", customer_payload())
    report = rig.deliver()
    assert report.summary() == {"delivered": 2}
    assert rig.erp.count_customers(_stored(rig, REF)) == 1
    found = rig.erp.adapter.find_customer(REF)
    assert found is not None and sorted(a.address1 for a in found.addresses) == ["1 Bank St", "12 St James's Sq"]
    assert (found.first_name, found.last_name) == ("Ada", "Lovelace")
    assert set(report.documents.values()) == {found.erp_number}


def test_a_customer_webhook_delivered_twice_and_again_under_a_new_event_id_is_one_customer(rig: ErpRig) -> None:
    rig.queue("customers/update", customer_payload(), event_id="evt-same")
    rig.queue("customers/update", customer_payload(), event_id="evt-same")  # the receiver's dedupe aside
    rig.deliver()
    rig.queue("customers/update", customer_payload())
    assert rig.deliver().summary() == {"delivered": 1}
    found = rig.erp.adapter.find_customer(REF)
    assert rig.erp.count_customers(_stored(rig, REF)) == 1 and found is not None and len(found.addresses) == 2


def test_an_order_is_sold_to_its_customer_and_shipped_to_its_ship_to(rig: ErpRig) -> None:
    rig.queue("customers/update", customer_payload())
    rig.deliver()
    customer = {"admin_graphql_api_id": GID, "id": 115310627314723954, "email": "ada@example.com"}
    rig.order(9101, customer=customer)
    report = rig.deliver()
    assert report.summary() == {"delivered": 1}
    found = rig.erp.adapter.find_customer(REF)
    assert found is not None and rig.erp.count_customers(_stored(rig, REF)) == 1
    sold_to, ship_to = _sold_to(rig, f"{SHOP}-9101")
    assert sold_to == found.erp_number
    # SAP: the ship-to partner is the same business partner; NetSuite: the order's ship-to address
    assert ship_to == ([found.erp_number] if rig.erp.name == "sap" else [ADDRESS["address1"]])
    assert ADDRESS["address1"] in [a.address1 for a in found.addresses]  # the ship-to, added to the customer


def test_a_guest_order_is_sold_to_the_shops_guest_customer(rig: ErpRig) -> None:
    rig.order(9102, customer=None)
    assert rig.deliver().summary() == {"delivered": 1}
    assert _sold_to(rig, f"{SHOP}-9102")[0] == rig.guest


def _stored(rig: ErpRig, ref: str) -> str:
    """The reference as this ERP keeps it (SAP's external number holds 20 characters)."""
    return rig.erp.adapter.customers.stored_ref(ref) if rig.erp.name == "sap" else ref


def test_a_create_whose_answer_was_lost_after_the_erp_committed_leaves_one_customer(rig: ErpRig) -> None:
    rig.erp.lose_next_customer_create_response()
    rig.queue("customers/create", customer_payload())
    report = rig.deliver()
    rig.erp.clear_faults()
    assert report.summary() == {"delivered": 1}  # a retry found what the lost create committed
    assert rig.erp.count_customers(_stored(rig, REF)) == 1


def test_revoked_credentials_pause_delivery_and_the_customer_arrives_after_resume(rig: ErpRig) -> None:
    rig.erp.inject_status(401)
    rig.queue("customers/create", customer_payload())
    report = rig.deliver()
    assert report.paused is not None and report.summary() == {"not_started": 1}
    assert rig.parts.stream.depth() == 1 and rig.erp.count_customers(_stored(rig, REF)) == 0
    rig.erp.clear_faults()  # credentials fixed
    assert resume(rig.erp.adapter, rig.parts, rig.settings, rig.notifier).released == 1
    assert rig.deliver().summary() == {"delivered": 1}
    assert rig.erp.count_customers(_stored(rig, REF)) == 1 and rig.parts.dead_letters.list() == []


def test_a_refused_country_is_dead_lettered_naming_the_field_while_other_customers_flow(rig: ErpRig) -> None:
    home, work = customer_payload()["addresses"]
    rig.queue("customers/create", customer_payload(addresses=[home, {**work, "country_code": "XX"}]))
    other = "gid://shopify/Customer/115310627314723955"
    rig.queue("customers/create", customer_payload(admin_graphql_api_id=other, id=115310627314723955))
    report = rig.deliver()
    assert sorted(report.summary().items()) == [("dead_lettered", 1), ("delivered", 1)]  # the other flows
    [letter] = rig.parts.dead_letters.list()
    # the field is named in the record sent to the ERP (the default address first), kept with the letter
    assert letter.error_class == "data" and "addresses[0].country_code" in letter.message
    assert letter.erp_payload["addresses"][0]["country_code"] == "XX"
    assert "Bank St" not in letter.message and all("Bank St" not in text for text in rig.alerts.received)
    assert json.loads(letter.raw_body)["addresses"][1]["country_code"] == "XX"  # kept for replay
    assert rig.erp.count_customers(_stored(rig, REF)) == 0
    assert rig.erp.count_customers(_stored(rig, f"{SHOP}-C115310627314723955")) == 1


def test_a_postal_code_sap_refuses_is_dead_lettered_naming_the_field(sap_rig: ErpRig) -> None:
    home, work = customer_payload()["addresses"]
    sap_rig.queue("customers/update", customer_payload(addresses=[{**home, "zip": "SW1Y4JH"}, work]))
    assert sap_rig.deliver().summary() == {"dead_lettered": 1}
    [letter] = sap_rig.parts.dead_letters.list()
    assert letter.error_class == "data" and "addresses[1].zip" in letter.message and "SW1Y" not in letter.message
    assert letter.erp_payload["addresses"][1]["zip"] == "SW1Y4JH"
    assert "AM/213" in json.dumps(letter.response_body) and sap_rig.erp.count_customers(_stored(sap_rig, REF)) == 0


def test_a_dead_lettered_customer_is_replayed_once_sap_knows_its_country(sap_rig: ErpRig) -> None:
    home, work = customer_payload()["addresses"]
    kosovo = {**home, "country_code": "XK", "zip": "10000"}
    sap_rig.queue("customers/update", customer_payload(addresses=[kosovo, work]))
    sap_rig.deliver()
    [letter] = sap_rig.parts.dead_letters.list()
    assert "addresses[1].country_code" in letter.message
    sap_rig.erp.control_call("PUT", "/_sandbox/settings", {"countries": {"XK": r"\d{5}"}})  # SAP's admin adds it
    replay(sap_rig.parts, ReplaySelection(ids=(letter.id,)))  # what `erp-shopify dlq replay` does
    assert sap_rig.deliver().summary() == {"delivered": 1}
    found = sap_rig.erp.adapter.find_customer(REF)
    assert found is not None and sorted(a.country_code for a in found.addresses) == ["GB", "XK"]
    assert sap_rig.parts.dead_letters.list() == [] and sap_rig.erp.count_customers(_stored(sap_rig, REF)) == 1


def test_a_signed_webhook_through_the_receiver_reaches_the_erp_once_whatever_shopify_repeats(
    rig: ErpRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DEMO_EU_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SHOP_DEMO_EU_TOKEN", "shpat_e2e")
    body = json.dumps(customer_payload()).encode()
    with ServerThread(create_app(rig.settings)) as server, httpx.Client(timeout=10) as http:
        for event_id in ("evt-a", "evt-a", "evt-b"):  # Shopify's retry of one event, then the update sent again
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "customers/update",
                "X-Shopify-Hmac-Sha256": sign(body, SECRET),
                "X-Shopify-Shop-Domain": "demo-eu.myshopify.com",
                "X-Shopify-API-Version": "2026-10",
                "X-Shopify-Webhook-Id": f"hook-{event_id}",
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": "2026-11-30T12:00:00Z",
            }
            assert http.post(f"{server.url}{WEBHOOK_PATH}", content=body, headers=headers).status_code == 200
    assert rig.parts.stream.depth() == 2  # the retry of evt-a was a duplicate at the receiver
    assert rig.deliver().summary() == {"delivered": 2}
    found = rig.erp.adapter.find_customer(REF)
    assert rig.erp.count_customers(_stored(rig, REF)) == 1 and found is not None and len(found.addresses) == 2


def test_further_orders_of_a_customer_a_batch_already_made_sure_of_cost_only_their_creates(rig: ErpRig) -> None:
    served = rig.erp.sandbox.faults  # every request the ERP sandbox received

    def cost(*order_ids: int) -> int:
        before = served.served
        for order_id in order_ids:
            rig.order(order_id)
        assert rig.deliver().summary() == {"delivered": len(order_ids)}
        return served.served - before

    cost(8201)  # the customer created with its ship-to; the ERP's units read once
    before = served.served
    assert rig.erp.adapter.find_customer(f"{SHOP}-C7") is not None
    check = served.served - before  # what making sure of a known customer costs
    create = cost(8202) - check  # one order: the check, then its create
    assert check >= 1 and create >= 1
    assert cost(8203, 8204, 8205) == check + 3 * create  # checked once for the batch, not per order
