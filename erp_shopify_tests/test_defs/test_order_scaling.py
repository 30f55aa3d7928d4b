"""Delivery scales with the daemon: the order sensor launches as many batches per tick as are
queued, up to ``delivery.max_concurrent_runs`` runs going at once, and a failed run's batch is
claimable again at once (not after the ledger's 300 s lease). Real Dagster instance, real Redis,
the NetSuite sandbox."""

from __future__ import annotations

from typing import Any

import dagster as dg
import yaml

from erp_shopify.defs.orders.jobs import deliver_orders
from erp_shopify.defs.orders.reclaim import reclaim_failed_batch
from erp_shopify.defs.orders.sensors import order_sensor
from erp_shopify.defs.resources import deployment_resources
from erp_shopify.delivery import run_consumer
from erp_shopify.store.ledger import LeaseOutcome
from erp_shopify.store.stream import QueuedEvent
from erp_shopify_tests.test_delivery import conftest as delivery
from erp_shopify_tests.test_delivery.conftest import SHOP, Rig, settings_data

alerts = delivery.alerts  # the delivery rig (ERP sandbox, Redis, alert receiver)
rig = delivery.rig


def _configure(rig: Rig, **delivery_settings: Any) -> dict[str, Any]:
    rig.config_path.write_text(
        yaml.safe_dump(settings_data(rig.sandbox, rig.redis_url, rig.key_prefix, **delivery_settings))
    )
    return deployment_resources(str(rig.config_path))


def _tick(resources: dict[str, Any], instance: dg.DagsterInstance) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = order_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _ids(request: dg.RunRequest) -> list[str]:
    return request.run_config["ops"]["deliver_order_batch"]["config"]["stream_ids"]


def _lease(rig: Rig, events: list[QueuedEvent], owner: str) -> None:
    for event in events:
        lease = rig.parts.ledger.begin(event.ledger_key, owner, 300, sends_order=(event.shop, event.routing_key))
        assert lease.outcome is LeaseOutcome.ACQUIRED


def _fail_and_reclaim(run: dg.DagsterRun, instance: dg.DagsterInstance, resources: dict[str, Any]) -> None:
    """The run fails; ``reclaim_failed_batch`` is evaluated on its failure event, as the daemon does."""
    instance.report_run_failed(run)
    [failure] = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert failure.dagster_event is not None
    with dg.build_run_status_sensor_context(
        sensor_name=reclaim_failed_batch.name,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id),
        dagster_event=failure.dagster_event,
        resources={"redis": resources["redis"]},
    ) as context:
        reclaim_failed_batch(context.for_run_failure())


def test_one_tick_launches_a_run_per_queued_batch_up_to_the_runs_allowed(
    rig: Rig, instance: dg.DagsterInstance
) -> None:
    resources = _configure(rig, batch_size=3, max_concurrent_runs=3)
    queued = [rig.order(n).stream_id for n in range(4301, 4311)]
    first = _tick(resources, instance)
    assert [_ids(r) for r in first.run_requests or []] == [queued[0:3], queued[3:6], queued[6:9]]
    for request in first.run_requests or []:  # the daemon launched them; they are running
        instance.create_run_for_job(deliver_orders, run_config=request.run_config, status=dg.DagsterRunStatus.STARTED)
    full = _tick(resources, instance)
    assert full.skip_reason is not None
    assert full.skip_reason.skip_message == "3 delivery runs going (delivery.max_concurrent_runs)"
    assert rig.parts.stream.depth() == 10  # nothing acknowledged by the sensor


def test_a_failed_runs_batch_is_claimed_again_at_once_and_delivered_once(
    rig: Rig, instance: dg.DagsterInstance
) -> None:
    resources = _configure(rig, batch_size=10)
    for n in range(4321, 4324):
        rig.order(n)
    [request] = _tick(resources, instance).run_requests or []
    run = instance.create_run_for_job(deliver_orders, run_config=request.run_config, tags=request.tags)
    # The run's worker took the leases, created one order in the ERP, and died.
    events = rig.parts.stream.get(_ids(request))
    _lease(rig, events, run.run_id)
    rig.deliver(events[:1], owner=run.run_id)
    _fail_and_reclaim(run, instance, resources)

    [again] = _tick(resources, instance).run_requests or []  # the next tick, not 300 s later
    assert sorted(_ids(again)) == sorted(e.stream_id for e in events[1:])
    assert again.run_key != request.run_key
    rerun = deliver_orders.execute_in_process(run_config=again.run_config, resources=resources, instance=instance)
    assert rerun.success
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in range(4321, 4324)] == [1, 1, 1]
    assert rig.parts.stream.depth() == 0


def _batches_logged(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [
        e.user_message
        for e in instance.all_logs(run_id)
        if e.user_message.startswith("delivered batch") and e.dagster_event is None
    ]


def test_a_run_keeps_claiming_batches_until_the_queue_is_empty(rig: Rig, instance: dg.DagsterInstance) -> None:
    resources = _configure(rig, batch_size=3, max_concurrent_runs=1)
    for n in range(4331, 4339):
        rig.order(n)
    [request] = _tick(resources, instance).run_requests or []
    assert len(_ids(request)) == 3
    result = deliver_orders.execute_in_process(run_config=request.run_config, resources=resources, instance=instance)
    assert result.success
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in range(4331, 4339)] == [1] * 8
    assert rig.parts.stream.depth() == 0
    assert len(_batches_logged(instance, result.run_id)) == 3  # 3 + 3 + 2, in one run


def test_with_keep_claiming_off_a_run_delivers_only_its_batch(rig: Rig, instance: dg.DagsterInstance) -> None:
    resources = _configure(rig, batch_size=3, keep_claiming_seconds=0)
    for n in range(4341, 4346):
        rig.order(n)
    [request, *_] = _tick(resources, instance).run_requests or []
    result = deliver_orders.execute_in_process(run_config=request.run_config, resources=resources, instance=instance)
    assert result.success
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in range(4341, 4346)] == [1, 1, 1, 0, 0]


def test_a_failed_run_hands_back_the_batch_it_claimed_itself(rig: Rig, instance: dg.DagsterInstance) -> None:
    resources = _configure(rig, batch_size=2, max_concurrent_runs=1)
    for n in range(4351, 4355):
        rig.order(n)
    [request] = _tick(resources, instance).run_requests or []
    run = instance.create_run_for_job(deliver_orders, run_config=request.run_config, tags=request.tags)
    # The run delivered its batch, claimed the next under its own consumer name, took its leases, and died.
    rig.deliver(rig.parts.stream.get(_ids(request)), owner=run.run_id)
    own = rig.parts.stream.claim_batch(run_consumer(run.run_id), 2)
    assert len(own) == 2
    _lease(rig, own, run.run_id)
    _fail_and_reclaim(run, instance, resources)

    [again] = _tick(resources, instance).run_requests or []  # the next tick, not 300 s later
    assert sorted(_ids(again)) == sorted(e.stream_id for e in own)
    rerun = deliver_orders.execute_in_process(run_config=again.run_config, resources=resources, instance=instance)
    assert rerun.success
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in range(4351, 4355)] == [1, 1, 1, 1]
    assert rig.parts.stream.depth() == 0
