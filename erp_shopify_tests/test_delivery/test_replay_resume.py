"""Replay from the DLQ and resume after a pause, against the real ERP sandbox and Redis."""

from __future__ import annotations

import pytest

from erp_shopify.config import parse_settings
from erp_shopify.delivery import Outcome, ReplaySelection, erp_connection, replay, resume
from erp_shopify.errors import SystemFailure
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER
from erp_shopify_tests.test_delivery.conftest import SHOP, Rig
from erp_shopify_tests.test_mapping.order_payloads import order_payload


@ON_SINGLE_AND_CLUSTER
def test_401_pauses_and_resume_delivers_everything_held_back(rig: Rig) -> None:
    for n in (2001, 2002, 2003, 2004):
        rig.order(n)
    rig.faults(unauthorized=True)
    paused = rig.deliver()
    assert paused.paused is not None
    rig.faults()  # credentials fixed
    resumed = resume(rig.adapter, rig.parts, rig.settings, rig.notifier)
    assert resumed.was_paused is not None and resumed.released == 4
    assert rig.parts.pauses.status(erp_connection(rig.settings)) is None
    report = rig.deliver()  # claimable at once: no waiting for the crash-reclaim idle time
    assert report.count(Outcome.DELIVERED) == 4
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in (2001, 2002, 2003, 2004)] == [1, 1, 1, 1]
    assert rig.parts.stream.depth() == 0
    assert any(a.startswith("[P1] [operations] Order delivery to erp:netsuite resumed") for a in rig.alerts.received)


def test_resume_keeps_the_pause_while_the_erp_still_refuses(rig: Rig) -> None:
    rig.order(2010)
    rig.faults(unauthorized=True)
    rig.deliver()
    with pytest.raises(SystemFailure):
        resume(rig.adapter, rig.parts, rig.settings, rig.notifier)
    rig.faults()
    assert rig.parts.pauses.status(erp_connection(rig.settings)) is not None
    assert rig.parts.stream.depth() == 1


@ON_SINGLE_AND_CLUSTER
def test_replay_after_fixing_the_mapping_delivers_the_dead_letter(rig: Rig) -> None:
    rig.queue("orders/create", order_payload(2020, [("TEE-M", 1, "19.90"), ("HOODIE-OLD", 1, "49.00")]))
    rig.deliver()
    [letter] = rig.parts.dead_letters.list()
    assert "HOODIE-OLD" in letter.message
    # The data team maps the retired SKU to the ERP item that replaced it.
    data = rig.settings_data()
    data["shops"][0]["sku_overrides"]["NS-HOODIE-M"] = "HOODIE-OLD"
    rig.settings = parse_settings(data)
    [replayed] = replay(rig.parts, ReplaySelection(ids=(letter.id,)))
    assert rig.parts.dead_letters.depth() == 0
    report = rig.deliver()
    assert report.outcomes == {replayed.stream_id: Outcome.DELIVERED}
    assert rig.orders_in_erp(f"{SHOP}-2020") == 1


def test_replay_selects_by_shop_and_error_class(rig: Rig) -> None:
    rig.queue("orders/create", order_payload(2030, [("GHOST-3", 1, "1.00")]))
    rig.deliver()
    rig.faults(error_rate=1.0, error_status=503)
    rig.order(2031)
    rig.deliver()
    rig.faults()
    assert {x.error_class for x in rig.parts.dead_letters.list()} == {"data", "transient"}
    assert replay(rig.parts, ReplaySelection(shop="other-shop")) == []
    [transient] = replay(rig.parts, ReplaySelection(error_class="transient"))
    assert transient.topic == "orders/create"
    assert [x.error_class for x in rig.parts.dead_letters.list()] == ["data"]
    assert rig.deliver().count(Outcome.DELIVERED) == 1
    assert rig.orders_in_erp(f"{SHOP}-2031") == 1


def test_replay_must_be_told_what_to_replay() -> None:
    with pytest.raises(ValueError, match="say what to replay"):
        ReplaySelection()
