"""deliver_batch against a real ERP sandbox over HTTP and real Redis."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from erp_shopify.delivery import Outcome, erp_connection
from erp_shopify.store.ledger import LedgerState
from erp_shopify.store.pending import PendingLine
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER
from erp_shopify_tests.test_delivery.conftest import SHOP, Rig
from erp_shopify_tests.test_mapping.order_payloads import order_payload, priced_payload, refund_payload


@ON_SINGLE_AND_CLUSTER
def test_order_reaches_the_erp_and_its_entry_is_acknowledged(rig: Rig) -> None:
    queued = rig.order(1001, event_id="evt-order-1001")
    report = rig.deliver()
    assert report.outcomes == {queued.stream_id: Outcome.DELIVERED}
    assert rig.orders_in_erp(f"{SHOP}-1001") == 1
    document = rig.adapter.find_sales_order(f"{SHOP}-1001")
    assert document is not None and report.documents[queued.stream_id] == document.number
    assert rig.parts.stream.depth() == 0
    entry = rig.parts.ledger.get(f"{SHOP}:evt-order-1001")
    assert entry is not None and (entry.state, entry.erp_document) == (LedgerState.DELIVERED, document.number)


@ON_SINGLE_AND_CLUSTER
def test_each_acknowledged_order_event_is_timed_from_its_queueing_and_a_dead_letter_is_not(rig: Rig) -> None:
    queued_at = time.time()
    rig.order(1011)
    rig.order(1012)
    rig.queue("orders/create", order_payload(1013, [("GHOST-13", 1, "1.00")]))
    rig.deliver()
    acknowledged_at = time.time()
    histogram = rig.parts.latency.read(SHOP)
    assert histogram.count == 2
    assert 0 < histogram.sum <= 2 * (acknowledged_at - queued_at)


@ON_SINGLE_AND_CLUSTER
def test_duplicate_webhooks_of_one_order_make_one_erp_order(rig: Rig) -> None:
    rig.order(1002)
    rig.order(1002)  # a redelivery with a new event id gets past the receiver's dedupe
    rig.order(1002, topic="orders/paid")
    assert rig.orders_in_erp(f"{SHOP}-1002") == 0
    report = rig.deliver()
    assert report.count(Outcome.DELIVERED) == 3
    assert len(set(report.documents.values())) == 1
    assert rig.orders_in_erp(f"{SHOP}-1002") == 1


@ON_SINGLE_AND_CLUSTER
def test_event_delivered_before_a_crash_is_acknowledged_without_touching_the_erp_again(rig: Rig) -> None:
    rig.order(1003, event_id="evt-order-1003")
    [event] = rig.claim()
    rig.deliver([event])
    rig.parts.stream.requeue(event)  # as if the run died between the ERP's answer and the ack
    rig.faults(unauthorized=True)  # any ERP call would now fail and pause delivery
    report = rig.deliver()
    rig.faults()
    assert set(report.outcomes.values()) == {Outcome.ALREADY_FINAL}
    assert report.paused is None
    assert rig.orders_in_erp(f"{SHOP}-1003") == 1


@ON_SINGLE_AND_CLUSTER
def test_timeout_after_commit_makes_one_erp_order(rig: Rig) -> None:
    rig.faults(timeout_after_commit_rate=1.0, hang_seconds=3)
    queued = rig.order(1004)
    report = rig.deliver()
    rig.faults()
    assert report.outcomes[queued.stream_id] is Outcome.DELIVERED
    assert rig.orders_in_erp(f"{SHOP}-1004") == 1


def test_unknown_item_goes_to_the_dlq_with_its_full_context_and_a_data_team_alert(rig: Rig) -> None:
    payload = order_payload(1005, [("TEE-M", 1, "19.90"), ("GHOST-1", 1, "5.00")])
    queued = rig.queue("orders/create", payload)
    report = rig.deliver()
    assert report.outcomes[queued.stream_id] is Outcome.DEAD_LETTERED
    assert rig.parts.stream.depth() == 0  # final: acknowledged
    [letter] = rig.parts.dead_letters.list()
    assert (letter.error_class, letter.topic, letter.shop) == ("data", "orders/create", SHOP)
    assert "GHOST-1" in letter.message
    assert letter.payload() == payload
    assert letter.erp_payload["external_ref"] == f"{SHOP}-1005"
    assert [line["item_code"] for line in letter.erp_payload["lines"]] == ["NS-TEE-M", "GHOST-1"]
    assert len(letter.attempts) == 1
    assert letter.headers["X-Shopify-Hmac-Sha256"] == "[redacted]"
    assert rig.orders_in_erp(f"{SHOP}-1005") == 0
    assert any(a.startswith("[P2] [data team] 1 order event(s) dead-lettered (data)") for a in rig.alerts.received)


@ON_SINGLE_AND_CLUSTER
def test_transient_errors_retry_the_configured_budget_then_dead_letter(rig: Rig) -> None:
    rig.faults(error_rate=1.0, error_status=503)
    queued = rig.order(1006)
    report = rig.deliver()
    rig.faults()
    assert report.outcomes[queued.stream_id] is Outcome.DEAD_LETTERED
    [letter] = rig.parts.dead_letters.list()
    assert (letter.error_class, letter.status) == ("transient", 503)
    assert len(letter.attempts) == rig.settings.delivery.max_attempts
    assert any(
        a.startswith("[P1] [operations] 1 order event(s) dead-lettered (transient)") for a in rig.alerts.received
    )


@ON_SINGLE_AND_CLUSTER
def test_401_pauses_the_connection_and_leaves_every_event_unacknowledged(rig: Rig) -> None:
    queued = [rig.order(n) for n in (1010, 1011, 1012)]
    rig.faults(unauthorized=True)
    report = rig.deliver()
    assert report.paused is not None and "401" in report.paused.reason
    assert set(report.outcomes.values()) == {Outcome.NOT_STARTED}
    assert rig.parts.pauses.status(erp_connection(rig.settings)) is not None
    assert rig.parts.stream.depth() == 3  # nothing lost, nothing acknowledged
    assert rig.parts.dead_letters.depth() == 0
    assert [a for a in rig.alerts.received if a.startswith("[P0] [operations]")]
    again = rig.deliver(rig.parts.stream.get([q.stream_id for q in queued]))
    assert set(again.outcomes.values()) == {Outcome.NOT_STARTED}  # paused: not even tried


def test_configured_secrets_are_scrubbed_from_what_the_dlq_stores_of_ours(rig: Rig) -> None:
    token = rig.env["SHOP_DEMO_EU_TOKEN"]
    rig.queue("orders/create", order_payload(1013, [("GHOST-2", 1, "5.00")], note=f"pasted {token}"))
    rig.deliver()
    [letter] = rig.parts.dead_letters.list()
    assert token not in json.dumps(letter.erp_payload)
    assert "[redacted]" in letter.erp_payload["note"]


@ON_SINGLE_AND_CLUSTER
def test_cancel_that_arrives_first_waits_for_its_order_then_applies_after_it(rig: Rig) -> None:
    cancel = rig.order(1020, topic="orders/cancelled", cancel_reason="customer")
    first = rig.deliver()
    assert first.outcomes[cancel.stream_id] is Outcome.WAITING
    assert rig.parts.stream.depth() == 1
    create = rig.order(1020)
    time.sleep(0.4)  # the waiting cancel is claimable again once idle longer than reclaim_idle_ms
    second = rig.deliver()  # the waiting cancel is reclaimed with the create and applied after it
    assert second.outcomes == {create.stream_id: Outcome.DELIVERED, cancel.stream_id: Outcome.DELIVERED}
    document = rig.adapter.find_sales_order(f"{SHOP}-1020")
    assert document is not None and document.status.lower().startswith(("cancel", "closed"))


def test_refund_in_the_same_batch_as_its_order_is_credited_after_it(rig: Rig) -> None:
    refund = rig.queue("refunds/create", refund_payload(501, 1021, [("CAP", 1, "12.00")]))
    create = rig.order(1021)
    report = rig.deliver()
    assert report.outcomes == {create.stream_id: Outcome.DELIVERED, refund.stream_id: Outcome.DELIVERED}
    assert rig.adapter.find_sales_order(f"{SHOP}-1021") is not None


def test_cancel_whose_order_never_arrives_is_dead_lettered_with_the_reason(rig: Rig) -> None:
    rig.settings = rig.settings.model_copy(
        update={"delivery": rig.settings.delivery.model_copy(update={"order_wait_seconds": 0})}
    )
    rig.order(1022, topic="orders/cancelled")
    report = rig.deliver()
    assert report.count(Outcome.DEAD_LETTERED) == 1
    [letter] = rig.parts.dead_letters.list()
    assert f"order {SHOP}-1022 is not in the ERP" in letter.message
    assert "orders/create was never delivered" in letter.message


@ON_SINGLE_AND_CLUSTER
def test_pending_units_are_released_when_the_erp_confirms(rig: Rig) -> None:
    queued = rig.order(1023)
    gid = "gid://shopify/Order/1023"
    rig.parts.pending.add(SHOP, gid, [PendingLine("TEE-M", "gid://shopify/Location/1", 2)])
    assert rig.parts.pending.totals(SHOP) == {("TEE-M", "gid://shopify/Location/1"): 2}
    report = rig.deliver()
    assert report.outcomes[queued.stream_id] is Outcome.DELIVERED
    assert rig.parts.pending.totals(SHOP) == {}
    assert rig.parts.pending.orders(SHOP) == []


def test_an_update_of_an_order_refunded_to_zero_is_acknowledged_as_a_no_op_with_its_reason(rig: Rig) -> None:
    refunded = order_payload(1031, [("CAP", 2, "12.00"), ("TEE-M", 1, "20.00")])
    for line in refunded["line_items"]:
        line["current_quantity"] = 0
    update = rig.queue("orders/updated", refunded, event_id="evt-update-1031")
    create = rig.queue("orders/create", refunded, event_id="evt-create-1031")
    report = rig.deliver()
    assert report.outcomes == {update.stream_id: Outcome.NO_OP, create.stream_id: Outcome.DEAD_LETTERED}
    assert "orders/updated: the order has no line with a quantity" in report.no_ops[update.stream_id]
    assert rig.parts.dead_letters.depth() == 1  # only the create, which must carry lines
    assert rig.parts.stream.depth() == 0 and rig.orders_in_erp(f"{SHOP}-1031") == 0
    entry = rig.parts.ledger.get(f"{SHOP}:evt-update-1031")
    assert entry is not None and entry.state is LedgerState.DELIVERED


def test_an_order_whose_total_cannot_be_reproduced_is_dead_lettered_naming_both_totals(rig: Rig) -> None:
    pricing = {"shipping": "4.90", "taxes": [["VAT", "0.2"]], "shipping_taxes": [["VAT", "0.2"]]}
    payload = priced_payload(1010, [("TEE-M", 2, "19.90")], pricing)
    payload["total_price"] = str(Decimal(payload["total_price"]) + Decimal("0.01"))  # a cent the lines do not make
    queued = rig.queue("orders/create", payload)
    report = rig.deliver()
    assert report.outcomes[queued.stream_id] is Outcome.DEAD_LETTERED
    [letter] = rig.parts.dead_letters.list()
    assert letter.error_class == "data"
    assert f"differs from Shopify's total {payload['total_price']} EUR by -0.01" in letter.message
    assert letter.payload() == payload
    assert rig.orders_in_erp(f"{SHOP}-1010") == 0
