"""Order delivery jobs: thin Dagster shells over ``erp_shopify.delivery``.

Each job is one op on the in-process executor: a run costs seconds to start, so a run delivers a
whole batch, and further batches while the queue has them (``deliver_while_queued``); the batch's
parallelism lives inside ``deliver_batch`` (threads), not in Dagster.
"""

from enum import Enum

import dagster as dg

from erp_shopify.defs.resources import ErpResource, NotifierResource, RedisResource, SettingsResource
from erp_shopify.delivery import ReplaySelection, deliver_while_queued, erp_connection, replay, resume
from erp_shopify.errors import ErrorClass

ORDER_QUEUE = dg.AssetKey("order_queue")
NOTHING_TO_REPLAY = "nothing to replay"


class DeliveryBatchConfig(dg.Config):
    """The stream entries this run delivers (claimed by ``order_sensor``)."""

    stream_ids: list[str]


# The error classes as the launchpad offers them: Dagster names an enum's values by their Python
# names, so these are the lower-case values `erp-shopify dlq replay --error-class` takes too.
ReplayErrorClass = Enum("ReplayErrorClass", {str(c): str(c) for c in ErrorClass})  # type: ignore[misc]


class ReplayConfig(dg.Config):
    """Which dead letters to re-queue: everything, some ids, a shop and/or an error class. A launch
    naming none of them replays nothing and says so (the run succeeds: nobody is paged)."""

    everything: bool = False
    ids: list[str] = []
    shop: str = ""
    error_class: ReplayErrorClass | None = None  # type: ignore[valid-type]


@dg.op(
    pool="erp",
    description="Deliver the claimed batch of order events to the ERP, then further batches the run "
    "claims itself while the queue has them (up to delivery.keep_claiming_seconds).",
)
def deliver_order_batch(
    context: dg.OpExecutionContext,
    config: DeliveryBatchConfig,
    settings: SettingsResource,
    erp: ErpResource,
    redis: RedisResource,
    notifier: NotifierResource,
) -> None:
    with redis.queue() as parts, erp.adapter() as adapter:
        events = parts.stream.get(config.stream_ids)
        if len(events) < len(config.stream_ids):
            context.log.info(f"{len(config.stream_ids) - len(events)} event(s) already acknowledged by an earlier run")
        alerts = notifier.notifier(context.log)
        retention = settings.settings.delivery.dlq_retention_seconds
        for n, report in enumerate(
            deliver_while_queued(events, adapter, parts, settings.settings, alerts, owner=context.run_id)
        ):
            summary = report.summary()
            context.log.info(f"delivered batch {n + 1} of {len(report.outcomes)} event(s): {summary}")
            metadata: dict[str, dg.RawMetadataValue] = {f"events_{k}": v for k, v in summary.items()}
            metadata["dead_letters_expired"] = parts.dead_letters.purge(retention)  # past dlq_retention_days
            metadata["dead_letter_depth"] = parts.dead_letters.depth()
            metadata["paused"] = report.paused.reason if report.paused else ""
            context.log_event(dg.AssetObservation(asset_key=ORDER_QUEUE, metadata=metadata))


@dg.op(description="Re-queue dead letters for delivery (after the data or the mapping was fixed).")
def replay_dead_letters(context: dg.OpExecutionContext, config: ReplayConfig, redis: RedisResource) -> None:
    if not (config.everything or config.ids or config.shop or config.error_class):
        context.log.warning(
            f"{NOTHING_TO_REPLAY}: set everything, ids, shop or error_class in the launchpad "
            "(`erp-shopify dlq list` shows the dead letters)"
        )
        return
    selection = ReplaySelection(
        everything=config.everything,
        ids=tuple(config.ids),
        shop=config.shop or None,
        error_class=config.error_class.value if config.error_class else None,
    )
    with redis.queue() as parts:
        done = replay(parts, selection)
    context.log.info(f"re-queued {len(done)} dead letter(s): {[d.dead_letter_id for d in done]}")


@dg.op(description="Probe the ERP, then lift the pause and hand the held events back to delivery.")
def resume_delivery(
    context: dg.OpExecutionContext,
    settings: SettingsResource,
    erp: ErpResource,
    redis: RedisResource,
    notifier: NotifierResource,
) -> None:
    with erp.adapter() as adapter, redis.queue() as parts:
        resumed = resume(adapter, parts, settings.settings, notifier.notifier(context.log))
    connection = erp_connection(settings.settings)
    if resumed.was_paused is None:
        context.log.info(f"{connection} was not paused; {resumed.released} held event(s) made claimable")
    else:
        context.log.info(f"{connection} resumed (paused for: {resumed.was_paused.reason})")


@dg.job(
    executor_def=dg.in_process_executor,
    tags={"domain": "orders"},
    description="Delivers one batch of Shopify order, refund and cancel events to the ERP. Launched by "
    "order_sensor with the batch's stream ids; not meant to be launched by hand.",
)
def deliver_orders() -> None:
    deliver_order_batch()


@dg.job(
    executor_def=dg.in_process_executor,
    tags={"domain": "orders"},
    description="Re-queues dead letters for delivery once their data or mapping was fixed. Name what to "
    "replay in the config (everything, ids, shop, error_class); same as `erp-shopify dlq replay`.",
)
def replay_dlq() -> None:
    replay_dead_letters()


@dg.job(
    executor_def=dg.in_process_executor,
    tags={"domain": "orders"},
    description="Probes the ERP and, if it answers, lifts the delivery pause and hands the held events "
    "back; same as `erp-shopify resume`.",
)
def resume_deliveries() -> None:
    resume_delivery()
