"""The order sensor and delivery jobs on a real Dagster instance, real Redis and the ERP sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from erp_shopify.defs.orders.jobs import (
    NOTHING_TO_REPLAY,
    ORDER_QUEUE,
    ReplayErrorClass,
    deliver_orders,
    replay_dlq,
    resume_deliveries,
)
from erp_shopify.defs.orders.sensors import DLQ_EMPTY, NOT_PAUSED, order_sensor
from erp_shopify.defs.resources import deployment_resources
from erp_shopify.defs.run_failures import run_failed
from erp_shopify.delivery import erp_connection
from erp_shopify_tests.test_delivery import conftest as delivery
from erp_shopify_tests.test_delivery.conftest import SHOP, Rig
from erp_shopify_tests.test_mapping.order_payloads import order_payload

# The delivery rig (ERP sandbox, Redis, alert receiver), shared with the delivery tests.
alerts = delivery.alerts
rig = delivery.rig


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def _resources(rig: Rig) -> dict[str, Any]:
    return deployment_resources(str(rig.config_path))


def _tick(rig: Rig, instance: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=_resources(rig)) as context:
        result = order_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_sensor_launches_one_run_for_a_whole_batch(rig: Rig, instance: dg.DagsterInstance) -> None:
    queued = [rig.order(n) for n in range(4001, 4008)]
    result = _tick(rig, instance)
    assert result.run_requests is not None and len(result.run_requests) == 1
    [request] = result.run_requests
    config = request.run_config["ops"]["deliver_order_batch"]["config"]
    assert config["stream_ids"] == [q.stream_id for q in queued]
    assert request.run_key is not None and request.run_key.startswith(f"orders-{queued[0].stream_id}-7-")
    assert _tick(rig, instance, result.cursor).skip_reason is not None  # claimed: not launched twice


def test_sensor_skips_with_the_reason_when_paused_or_empty(rig: Rig, instance: dg.DagsterInstance) -> None:
    empty = _tick(rig, instance)
    assert empty.skip_reason is not None and empty.skip_reason.skip_message == "no order events queued"
    rig.order(4010)
    rig.parts.pauses.pause(erp_connection(rig.settings), "netsuite: Invalid login attempt (HTTP 401)")
    paused = _tick(rig, instance, empty.cursor)
    assert paused.skip_reason is not None
    assert "paused since" in (paused.skip_reason.skip_message or "")
    assert "HTTP 401" in (paused.skip_reason.skip_message or "")
    assert rig.parts.stream.depth() == 1


def test_queue_health_is_reported_on_the_order_queue_asset_when_it_changes(
    rig: Rig, instance: dg.DagsterInstance
) -> None:
    rig.parts.pauses.pause(erp_connection(rig.settings), "HTTP 401")
    first = _tick(rig, instance)
    checks = {e.check_name: e.passed for e in first.asset_events if isinstance(e, dg.AssetCheckEvaluation)}
    assert checks == {DLQ_EMPTY: True, NOT_PAUSED: False}
    [observation] = [e for e in first.asset_events if isinstance(e, dg.AssetObservation)]
    assert observation.asset_key == ORDER_QUEUE and observation.metadata["paused"].value == "HTTP 401"
    assert _tick(rig, instance, first.cursor).asset_events == []  # nothing changed: nothing new to show


def test_sensor_to_job_end_to_end_delivers_the_batch(rig: Rig, instance: dg.DagsterInstance) -> None:
    for n in (4020, 4021, 4022):
        rig.order(n)
    rig.order(4020)  # a duplicate webhook in the same batch
    dlq = rig.parts.dead_letters
    dlq.client.xadd(dlq.key, {"shop": SHOP}, id="1000-0")  # a letter from 1970: past any retention
    result = _tick(rig, instance)
    assert result.run_requests is not None
    [request] = result.run_requests
    run = deliver_orders.execute_in_process(
        run_config=request.run_config, resources=_resources(rig), instance=instance, tags=request.tags
    )
    assert run.success
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in (4020, 4021, 4022)] == [1, 1, 1]
    assert rig.parts.stream.depth() == 0
    observations = [
        e.asset_observation_data.asset_observation for e in run.all_events if e.event_type_value == "ASSET_OBSERVATION"
    ]
    assert observations and observations[0].metadata["events_delivered"].value == 4
    assert observations[0].metadata["dead_letters_expired"].value == 1 and dlq.depth() == 0


def test_replay_and_resume_jobs_drive_the_same_functions(rig: Rig, instance: dg.DagsterInstance) -> None:
    rig.queue("orders/create", order_payload(4030, [("GHOST-4", 1, "1.00")]))
    rig.deliver()
    assert rig.parts.dead_letters.depth() == 1
    replayed = replay_dlq.execute_in_process(
        run_config={"ops": {"replay_dead_letters": {"config": {"error_class": "data"}}}},
        resources=_resources(rig),
        instance=instance,
    )
    assert replayed.success and rig.parts.dead_letters.depth() == 0 and rig.parts.stream.depth() == 1
    rig.parts.pauses.pause(erp_connection(rig.settings), "HTTP 401")
    resumed = resume_deliveries.execute_in_process(resources=_resources(rig), instance=instance)
    assert resumed.success and rig.parts.pauses.status(erp_connection(rig.settings)) is None


def test_failed_resume_run_alerts_operations(rig: Rig, instance: dg.DagsterInstance) -> None:
    rig.parts.pauses.pause(erp_connection(rig.settings), "HTTP 401")
    rig.faults(unauthorized=True)
    failed = resume_deliveries.execute_in_process(resources=_resources(rig), instance=instance, raise_on_error=False)
    rig.faults()
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    with dg.build_run_status_sensor_context(
        sensor_name="run_failed",
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
        dagster_event=failure,
        resources={"notifier": _resources(rig)["notifier"]},
    ) as context:
        run_failed(context.for_run_failure())
    deadline = time.monotonic() + 5
    while not rig.alerts.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(f"of {resume_deliveries.name} failed" in a for a in rig.alerts.received)


def test_replay_launched_with_default_config_replays_nothing_and_says_so(
    rig: Rig, instance: dg.DagsterInstance
) -> None:
    rig.queue("orders/create", order_payload(4031, [("GHOST-5", 1, "1.00")]))
    rig.deliver()
    replayed = replay_dlq.execute_in_process(resources=_resources(rig), instance=instance)
    assert replayed.success  # nothing fails, so nobody is paged
    messages = [e.user_message for e in instance.all_logs(replayed.run_id)]
    assert any(m.startswith(f"{NOTHING_TO_REPLAY}: set everything, ids, shop or error_class") for m in messages)
    assert rig.parts.dead_letters.depth() == 1 and rig.parts.stream.depth() == 0


def test_order_jobs_describe_themselves_and_replay_offers_the_error_classes() -> None:
    for job in (deliver_orders, replay_dlq, resume_deliveries):
        assert job.description and len(job.description) > 40
    assert {m.name for m in ReplayErrorClass} == {"transient", "data", "system"}
