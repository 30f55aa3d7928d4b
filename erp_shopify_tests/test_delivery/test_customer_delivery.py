"""Customer and B2B webhooks reach a real Tryton through the orders' queue, ledger, error classes
and DLQ: one ERP customer per Shopify customer whatever is repeated or lost, nothing dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from erp_shopify.config import parse_settings
from erp_shopify.delivery import BatchReport, QueueParts
from erp_shopify.notify import Notifier
from erp_shopify.records import Address
from erp_shopify.store.connection import connect
from erp_shopify_sandbox.faults import Faults
from erp_shopify_tests.redis_cluster import RedisTarget
from erp_shopify_tests.test_delivery.conftest import SHOP, AlertReceiver, QueueRig, settings_data
from erp_shopify_tests.test_erp.harness_tryton import TrytonHarness, harness
from erp_shopify_tests.test_mapping.order_payloads import ADDRESS, order_payload
from erp_shopify_tests.test_mapping.test_customers import customer_payload, location_payload

pytestmark = pytest.mark.slow
REF = f"{SHOP}-C115310627314723954"


@pytest.fixture(scope="module")
def tryton() -> Iterator[TrytonHarness]:
    with harness() as running:
        yield running


@dataclass
class CustomerRig(QueueRig):
    tryton: TrytonHarness | None = None

    def deliver(self, **adapter: Any) -> BatchReport:
        assert self.tryton is not None
        with self.tryton.new_adapter(**adapter) as erp:
            return self.deliver_to(erp)


@pytest.fixture
def rig(
    tryton: TrytonHarness,
    alerts: tuple[AlertReceiver, str],
    redis_target: RedisTarget,
    key_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[CustomerRig]:
    receiver, alert_url = alerts
    monkeypatch.setenv("ERP_SHOPIFY_ALERT_WEBHOOK_URL", alert_url)
    erp = tryton.config.model_dump(mode="json")  # the harness's own connection, secrets by name
    data = settings_data(erp, redis_target.url, key_prefix)
    client = connect(parse_settings(data).redis)
    try:
        parts = QueueParts.connect(client, key_prefix)
        yield CustomerRig(parse_settings(data), parts, receiver, Notifier(alert_url), tryton=tryton)
    finally:
        tryton.clear_faults()
        client.close()


def test_a_created_then_updated_customer_is_one_erp_customer_with_every_address(rig: CustomerRig) -> None:
    rig.queue("customers/create", customer_payload(addresses=customer_payload()["addresses"][:1]))
    rig.queue("customers/update", customer_payload())
    report = rig.deliver()
    assert report.summary() == {"delivered": 2}
    assert rig.tryton.count_customers(REF) == 1
    found = rig.tryton.adapter.find_customer(REF)
    assert found is not None and sorted(a.address1 for a in found.addresses) == ["1 Bank St", "12 St James's Sq"]
    assert set(report.documents.values()) == {found.erp_number}


def test_a_webhook_delivered_again_under_a_new_event_id_changes_nothing(rig: CustomerRig) -> None:
    rig.queue("customers/update", customer_payload(admin_graphql_api_id="gid://shopify/Customer/5"))
    rig.deliver()
    rig.queue("customers/update", customer_payload(admin_graphql_api_id="gid://shopify/Customer/5"))
    assert rig.deliver().summary() == {"delivered": 1}
    [again] = [c for c in [rig.tryton.adapter.find_customer(f"{SHOP}-C5")] if c]
    assert rig.tryton.count_customers(f"{SHOP}-C5") == 1 and len(again.addresses) == 2


def test_a_create_whose_answer_was_lost_after_tryton_committed_leaves_one_customer(rig: CustomerRig) -> None:
    rig.tryton.sandbox.faults.set(Faults(timeout_after_commit_rate=1.0, hang_seconds=4))
    rig.queue("customers/create", customer_payload(admin_graphql_api_id="gid://shopify/Customer/6", addresses=[]))
    report = rig.deliver(timeout=2.0)
    assert report.summary() == {"delivered": 1}  # the retry found what the lost create committed
    assert rig.tryton.count_customers(f"{SHOP}-C6") == 1


def test_revoked_credentials_pause_delivery_and_keep_the_customer_event(rig: CustomerRig) -> None:
    rig.tryton.inject_status(401)
    rig.queue("customers/create", customer_payload(admin_graphql_api_id="gid://shopify/Customer/7"))
    report = rig.deliver()
    assert report.paused is not None and report.summary() == {"not_started": 1}
    assert rig.parts.stream.depth() == 1  # not acknowledged: delivered after resume
    rig.tryton.clear_faults()
    assert rig.tryton.count_customers(f"{SHOP}-C7") == 0


def test_an_unknown_country_is_dead_lettered_naming_the_field_and_not_the_street(rig: CustomerRig) -> None:
    bad = [{**customer_payload()["addresses"][0], "country_code": "XX", "default": True}]
    rig.queue("customers/create", customer_payload(admin_graphql_api_id="gid://shopify/Customer/8", addresses=bad))
    report = rig.deliver()
    [letter] = report.dead_letters
    assert letter.error_class == "data" and "country_code" in letter.message
    assert "St James" not in letter.message and all("St James" not in text for text in rig.alerts.received)
    assert json.loads(letter.raw_body)["addresses"][0]["country_code"] == "XX"  # the payload kept for replay
    assert rig.tryton.count_customers(f"{SHOP}-C8") == 0


def test_a_company_location_is_upserted_and_the_company_alone_is_acknowledged(rig: CustomerRig) -> None:
    rig.queue("companies/create", {"admin_graphql_api_id": "gid://shopify/Company/9", "name": "Navy Labs"})
    rig.queue("company_locations/create", location_payload())
    report = rig.deliver()
    assert report.summary() == {"delivered": 1, "no_op": 1}
    found = rig.tryton.adapter.find_customer(f"{SHOP}-L441696173")
    assert found is not None and (found.kind, found.company) == ("company_location", "Navy Labs")


def _sale(rig: CustomerRig, order_id: int) -> dict[str, Any]:
    fields = ["party.code", "shipment_address.street"]
    domain = [("reference", "=", f"{SHOP}-{order_id}")]
    [sale] = rig.tryton.rpc.model("sale.sale", "search_read", domain, 0, 1, None, fields)
    return {"party": sale["party."]["code"], "street": sale["shipment_address."]["street"]}


def _order(order_id: int, **fields: Any) -> dict[str, Any]:
    return order_payload(order_id, [("SKU-MUG", 1, "9.50")], **fields)


def test_an_order_is_sold_to_its_customer_who_is_created_once_with_the_ship_to(rig: CustomerRig) -> None:
    rig.queue("orders/create", _order(9101))
    rig.queue("orders/create", _order(9102))  # the same customer again
    assert rig.deliver().summary() == {"delivered": 2}
    customer = rig.tryton.adapter.find_customer(f"{SHOP}-C7")
    assert customer is not None and rig.tryton.count_customers(f"{SHOP}-C7") == 1
    assert [a.address1 for a in customer.addresses] == [ADDRESS["address1"]]
    assert _sale(rig, 9101) == {"party": customer.erp_number, "street": ADDRESS["address1"]}
    assert _sale(rig, 9102)["party"] == customer.erp_number


def test_a_b2b_order_is_sold_to_its_company_location(rig: CustomerRig) -> None:
    rig.queue("orders/create", _order(9103, company={"id": 9, "location_id": 441696173}))
    assert rig.deliver().summary() == {"delivered": 1}
    location = rig.tryton.adapter.find_customer(f"{SHOP}-L441696173")
    assert location is not None and location.kind == "company_location"
    assert _sale(rig, 9103)["party"] == location.erp_number


def test_a_guest_checkout_is_sold_to_the_shops_one_time_customer(rig: CustomerRig) -> None:
    counter = Address(name="Shop counter", address1="1 High St", city="London", zip="N1", country_code="GB")
    walk_in = rig.tryton.put_erp_customer("", "Walk-in customer", [counter])
    shop = rig.settings.shop(SHOP).model_copy(update={"guest_customer": walk_in})
    rig.settings = rig.settings.model_copy(update={"shops": [shop]})
    rig.queue("orders/create", _order(9104, customer=None))
    assert rig.deliver().summary() == {"delivered": 1}
    assert _sale(rig, 9104)["party"] == walk_in


def test_an_order_whose_create_answer_was_lost_is_one_sale_to_one_customer(rig: CustomerRig) -> None:
    customer = {"admin_graphql_api_id": "gid://shopify/Customer/77", "id": 77, "email": "grace@example.com"}
    rig.tryton.sandbox.faults.set(Faults(timeout_after_commit_rate=1.0, hang_seconds=4))  # every write's answer
    delivery = rig.settings.delivery.model_copy(update={"max_attempts": 8})
    rig.settings = rig.settings.model_copy(update={"delivery": delivery})
    rig.queue("orders/create", _order(9105, customer=customer))
    assert rig.deliver(timeout=2.0).summary() == {"delivered": 1}
    assert rig.tryton.count_customers(f"{SHOP}-C77") == 1 and rig.tryton.count_sales_orders(f"{SHOP}-9105") == 1
