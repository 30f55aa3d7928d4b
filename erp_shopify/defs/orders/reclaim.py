"""A failed delivery run's batch is claimable again at once, not after the 300 s lease.

Dagster marks a run failed when its op raised or, through run monitoring, when its worker died;
this sensor then gives back the run's ledger leases and makes its stream entries claimable, so the
next ``order_sensor`` tick delivers them (a search before each create: the dead run may have sent).
"""

from typing import Any

import dagster as dg

from erp_shopify.defs.orders.jobs import deliver_orders
from erp_shopify.defs.resources import RedisResource
from erp_shopify.delivery import release_failed_run

# Well inside the 30 s within which a failed run's batch must be claimable again.
RECLAIM_INTERVAL_SECONDS = 5


@dg.run_failure_sensor(
    monitored_jobs=[deliver_orders],
    minimum_interval_seconds=RECLAIM_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Makes the batch of a failed deliver_orders run claimable again at once.",
)
def reclaim_failed_batch(context: dg.RunFailureSensorContext, redis: RedisResource) -> None:
    run = context.dagster_run
    ops: Any = run.run_config.get("ops", {})
    stream_ids = ops.get("deliver_order_batch", {}).get("config", {}).get("stream_ids", [])
    with redis.queue() as parts:
        released = release_failed_run(parts, list(stream_ids), owner=run.run_id)
    context.log.info(f"run {run.run_id[:8]} failed: {released} of its {len(stream_ids)} event(s) claimable again")
