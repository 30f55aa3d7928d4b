"""Order delivery jobs: thin Dagster shells over ``erp_shopify.delivery``.

Each job is one op on the in-process executor: a run costs seconds to start, so a run delivers a
whole batch, and the batch's parallelism lives inside ``deliver_batch`` (threads), not in Dagster.
"""

import dagster as dg

from erp_shopify.defs.resources import ErpResource, NotifierResource, RedisResource, SettingsResource
from erp_shopify.delivery import ReplaySelection, deliver_batch, erp_connection, replay, resume

ORDER_QUEUE = dg.AssetKey("order_queue")


class DeliveryBatchConfig(dg.Config):
    """The stream entries this run delivers (claimed by ``order_sensor``)."""

    stream_ids: list[str]


class ReplayConfig(dg.Config):
    """Which dead letters to re-queue: everything, some ids, a shop and/or an error class."""

    everything: bool = False
    ids: list[str] = []
    shop: str = ""
    error_class: str = ""


@dg.op(pool="erp", description="Deliver one claimed batch of order events to the ERP.")
def deliver_order_batch(
    context: dg.OpExecutionContext,
    config: DeliveryBatchConfig,
    settings: SettingsResource,
    erp: ErpResource,
    redis: RedisResource,
    notifier: NotifierResource,
) -> None:
    with redis.queue() as parts:
        events = parts.stream.get(config.stream_ids)
        if len(events) < len(config.stream_ids):
            context.log.info(f"{len(config.stream_ids) - len(events)} event(s) already acknowledged by an earlier run")
        with erp.adapter() as adapter:
            report = deliver_batch(events, adapter, parts, settings.settings, notifier.notifier(), owner=context.run_id)
        dead_letter_depth = parts.dead_letters.depth()
    summary = report.summary()
    context.log.info(f"delivered batch of {len(events)}: {summary}")
    metadata: dict[str, dg.RawMetadataValue] = {f"events_{k}": v for k, v in summary.items()}
    metadata["dead_letter_depth"] = dead_letter_depth
    metadata["paused"] = report.paused.reason if report.paused else ""
    context.log_event(dg.AssetObservation(asset_key=ORDER_QUEUE, metadata=metadata))


@dg.op(description="Re-queue dead letters for delivery (after the data or the mapping was fixed).")
def replay_dead_letters(context: dg.OpExecutionContext, config: ReplayConfig, redis: RedisResource) -> None:
    selection = ReplaySelection(
        everything=config.everything,
        ids=tuple(config.ids),
        shop=config.shop or None,
        error_class=config.error_class or None,
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
        resumed = resume(adapter, parts, settings.settings, notifier.notifier())
    connection = erp_connection(settings.settings)
    if resumed.was_paused is None:
        context.log.info(f"{connection} was not paused; {resumed.released} held event(s) made claimable")
    else:
        context.log.info(f"{connection} resumed (paused for: {resumed.was_paused.reason})")


@dg.job(executor_def=dg.in_process_executor, tags={"domain": "orders"})
def deliver_orders() -> None:
    deliver_order_batch()


@dg.job(executor_def=dg.in_process_executor, tags={"domain": "orders"})
def replay_dlq() -> None:
    replay_dead_letters()


@dg.job(executor_def=dg.in_process_executor, tags={"domain": "orders"})
def resume_deliveries() -> None:
    resume_delivery()
