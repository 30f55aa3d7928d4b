"""``shared_stock_sensor``: a sale in one shop lowers every other shop that sells the same ERP stock
within a sensor tick and a run, not at the next scheduled sync.

Each tick reads the pending units of every shop (one round trip) and, per shop with stock peers, a
digest of its peers' pending units. A shop whose digest moved since the last request gets an
``inventory_sync`` run of its partition (that run re-reads the items whose holds moved), unless one
is already waiting in the run queue: then its old digest is kept, so the next tick asks again. A run
already under way does not stop a new request: it may have read the holds before this sale, and the
one-run-per-shop limit queues the new run right behind it.
"""

from __future__ import annotations

import json

import dagster as dg

from erp_shopify.defs.inventory.schedules import INVENTORY_LEVELS, inventory_job
from erp_shopify.defs.resources import RedisResource, SettingsResource
from erp_shopify.defs.xref.assets import SKU_XREF
from erp_shopify.store.pending import PendingUnits
from erp_shopify.sync.holds import peers_digest, stock_peers

WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]


def _waiting(instance: dg.DagsterInstance, shop: str) -> bool:
    """An inventory run of ``shop`` not started yet: it will read the holds as they are now."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=inventory_job.name, tags={"dagster/partition": shop}, statuses=WAITING),
        limit=1,
    )
    return bool(runs)


@dg.sensor(
    job=inventory_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches the inventory sync of every shop that shares stock with a shop whose pending order "
    "units changed, so a sale in one shop lowers what the others offer within seconds.",
)
def shared_stock_sensor(
    context: dg.SensorEvaluationContext, settings: SettingsResource, redis: RedisResource
) -> dg.SensorResult:
    """Launches the inventory sync of shops whose stock peers' pending units changed."""
    shops = settings.settings.shops
    sharing = {shop.name: stock_peers(shops, shop) for shop in shops}
    sharing = {name: peers for name, peers in sharing.items() if peers}
    if not sharing:
        return dg.SensorResult(skip_reason="no two shops sell the same ERP stock")
    with redis.client() as client:
        pending = PendingUnits(client, redis.key_prefix).all_totals([s.name for s in shops])
    seen = json.loads(context.cursor) if context.cursor else {}
    built = context.instance.get_materialized_partitions(SKU_XREF)
    requests, waiting = [], []
    for name, peers in sharing.items():
        digest = peers_digest(pending, peers)
        if seen.get(name) == digest:
            continue
        if _waiting(context.instance, name):
            waiting.append(name)
            continue
        seen[name] = digest
        selection = [INVENTORY_LEVELS] if name in built else [SKU_XREF, INVENTORY_LEVELS]
        requests.append(
            dg.RunRequest(partition_key=name, run_key=f"shared-stock:{name}:{digest}", asset_selection=selection)
        )
    skip = None if requests else (f"syncs of {', '.join(waiting)} already queued" if waiting else "no change")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True), skip_reason=skip)
