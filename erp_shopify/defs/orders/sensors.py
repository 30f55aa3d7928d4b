"""The order sensor (stream -> one ``deliver_orders`` run per batch) and the queue's health in the UI
(a failed run alerts through ``defs/run_failures.py``, as every run does).

What an operator sees: the ``order_queue`` asset carries an observation whenever queue depth, DLQ
depth or the pause flag changes, and two checks (``dead_letter_queue_empty``,
``delivery_not_paused``) that turn red on its page and in the asset health overview. The sensor's
tick history says why it skipped ("paused since ...: HTTP 401 ...", "no order events queued").
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from erp_shopify.config import DeliveryConfig, Settings
from erp_shopify.defs.orders.jobs import ORDER_QUEUE, deliver_orders
from erp_shopify.defs.resources import RedisResource, SettingsResource
from erp_shopify.defs.shops import OWNERS, at_load
from erp_shopify.delivery import QueueParts, erp_connection
from erp_shopify.store.stream import QueuedEvent

SENSOR_CONSUMER = "order_sensor"
DLQ_EMPTY = "dead_letter_queue_empty"
NOT_PAUSED = "delivery_not_paused"

order_queue = dg.AssetSpec(
    ORDER_QUEUE,
    description="Shopify order, refund and cancel events on their way to the ERP (a Redis stream), "
    "with the dead-letter queue and the ERP connection's pause flag. Not materialized: the order_sensor "
    "launches deliver_orders runs, which observe it (see Automation > order_sensor).",
    # Dagster lists only automations that target an asset; the order sensor targets a job.
    metadata={"delivered_by": "order_sensor -> deliver_orders runs; reclaim_failed_batch re-queues a failed batch"},
    group_name="orders",
    owners=OWNERS,
    kinds={"redis"},
)

order_queue_checks = [
    dg.AssetCheckSpec(DLQ_EMPTY, asset=ORDER_QUEUE, description="No order event waits in the DLQ for a person."),
    dg.AssetCheckSpec(NOT_PAUSED, asset=ORDER_QUEUE, description="Delivery to the ERP is not paused."),
]


def run_key(events: list[QueuedEvent], deliveries: int) -> str:
    """From the stream ids, plus how often they were handed out: a crashed run's batch, claimed
    again, must get a new run (an equal key would be skipped by Dagster)."""
    ids = sorted(e.stream_id for e in events)
    digest = hashlib.sha1(",".join(ids).encode()).hexdigest()[:12]
    return f"orders-{ids[0]}-{len(ids)}-{digest}-d{deliveries}"


def _deliveries(parts: QueueParts, events: list[QueuedEvent]) -> int:
    wanted = {e.stream_id for e in events}
    return max((p.deliveries for p in parts.stream.pending(count=100_000) if p.stream_id in wanted), default=1)


def queue_state(parts: QueueParts, settings: Settings) -> dict[str, int | str]:
    paused = parts.pauses.status(erp_connection(settings))
    return {
        "queued": parts.stream.depth(),
        "dead_letters": parts.dead_letters.depth(),
        "paused": paused.reason if paused else "",
        "paused_since": datetime.fromtimestamp(paused.since, UTC).isoformat(timespec="seconds") if paused else "",
    }


def _check_results(state: dict[str, int | str]) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            asset_key=ORDER_QUEUE,
            check_name=DLQ_EMPTY,
            passed=state["dead_letters"] == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"dead_letters": state["dead_letters"]},
            description="`erp-shopify dlq list` shows them; fix, then `erp-shopify dlq replay`.",
        ),
        dg.AssetCheckResult(
            asset_key=ORDER_QUEUE,
            check_name=NOT_PAUSED,
            passed=not state["paused"],
            metadata={"reason": state["paused"], "since": state["paused_since"]},
            description="Resume with `erp-shopify resume` or the resume_deliveries job.",
        ),
    ]


@dg.multi_asset_check(specs=order_queue_checks, description="The order queue's health, on demand.")
def order_queue_health(settings: SettingsResource, redis: RedisResource) -> Iterator[dg.AssetCheckResult]:
    with redis.queue() as parts:
        state = queue_state(parts, settings.settings)
    yield from _check_results(state)


def queue_health(parts: QueueParts, settings: Settings, cursor: str | None) -> tuple[list, str]:
    """Observation and check evaluations for ``order_queue`` when anything changed since ``cursor``."""
    state = queue_state(parts, settings)
    text = json.dumps(state, sort_keys=True)
    if text == cursor:
        return [], text
    evaluations = [
        dg.AssetCheckEvaluation(
            asset_key=ORDER_QUEUE,
            check_name=r.check_name or "",
            passed=r.passed,
            metadata=r.metadata,
            severity=r.severity,
            description=r.description,
        )
        for r in _check_results(state)
    ]
    return [dg.AssetObservation(asset_key=ORDER_QUEUE, metadata=state), *evaluations], text


@dg.sensor(
    job=deliver_orders,
    minimum_interval_seconds=at_load(
        lambda s: s.delivery.sensor_interval_seconds, DeliveryConfig().sensor_interval_seconds
    ),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Claims batches of queued order events and launches one deliver_orders run for each, "
    "up to delivery.max_concurrent_runs runs at once.",
)
def order_sensor(
    context: dg.SensorEvaluationContext, settings: SettingsResource, redis: RedisResource
) -> dg.SensorResult:
    config = settings.settings
    free = config.delivery.max_concurrent_runs - _delivery_runs_going(context.instance)
    with redis.queue() as parts:
        return _claim_batches(context, parts, config, free)


_GOING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def _delivery_runs_going(instance: dg.DagsterInstance) -> int:
    """``deliver_orders`` runs queued or running: each holds a batch the sensor claimed."""
    going = dg.RunsFilter(job_name=deliver_orders.name, statuses=_GOING)
    return instance.get_runs_count(going)


def _claim_batches(
    context: dg.SensorEvaluationContext, parts: QueueParts, config: Settings, free: int
) -> dg.SensorResult:
    """Skip while paused, idle or at the run limit, else one run request per batch claimed (as many as
    are queued, up to ``free`` runs); the queue health rides along."""
    health, cursor = queue_health(parts, config, context.cursor)
    paused = parts.pauses.status(erp_connection(config))
    if paused is not None:
        since = datetime.fromtimestamp(paused.since, UTC).isoformat(timespec="seconds")
        reason = f"delivery to {erp_connection(config)} paused since {since}: {paused.reason}; resume to continue"
        return dg.SensorResult(skip_reason=reason, asset_events=health, cursor=cursor)
    if free <= 0:
        reason = f"{config.delivery.max_concurrent_runs} delivery runs going (delivery.max_concurrent_runs)"
        return dg.SensorResult(skip_reason=reason, asset_events=health, cursor=cursor)
    requests: list[dg.RunRequest] = []
    while len(requests) < free:
        events = parts.stream.claim_batch(SENSOR_CONSUMER, config.delivery.batch_size)
        if not events:
            break
        requests.append(_run_request(parts, events))
    if not requests:
        return dg.SensorResult(skip_reason="no order events queued", asset_events=health, cursor=cursor)
    return dg.SensorResult(run_requests=requests, asset_events=health, cursor=cursor)


def _run_request(parts: QueueParts, events: list[QueuedEvent]) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key(events, _deliveries(parts, events)),
        run_config=dg.RunConfig(ops={"deliver_order_batch": {"config": {"stream_ids": [e.stream_id for e in events]}}}),
        tags={"orders/batch_size": str(len(events)), "orders/first_stream_id": events[0].stream_id},
    )
