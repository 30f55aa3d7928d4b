"""The ``customers`` asset through a real Dagster instance, a real Tryton and the Shopify sandbox:
its watermark per shop partition and what its metadata says (counts, never an address)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from erp_shopify.defs.customers.assets import customers
from erp_shopify.defs.customers.schedules import customers_job, customers_schedule
from erp_shopify.defs.inventory.assets import WATERMARK
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify.mapping.customers import customer_ref
from erp_shopify.records import CustomerRecord
from erp_shopify_tests.test_defs.dagster_world import check_passed, metadata, resources
from erp_shopify_tests.test_erp.harness_tryton import harness
from erp_shopify_tests.test_sync.test_customer_sync import HOME, WORK
from erp_shopify_tests.test_sync.world import World, world

pytestmark = pytest.mark.slow


def _run(w: World, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    sync_shop_partitions(instance, w.settings.shop_names)
    return dg.materialize([customers], instance=instance, resources=resources(w), partition_key="shop-a")


def test_customers_keep_their_watermark_and_report_without_addresses(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with harness() as tryton:
        erp = tryton.config.model_dump(mode="json")  # the harness's own connection, secrets by name
        with world(tmp_path, redis_url, key_prefix, items=0, stock=None, erp=erp) as w, dg.instance_for_test() as i:
            answer = w.client("shop-a").execute(
                "customer_set", {"identifier": None, "input": {"firstName": "Ada", "email": "ada@example.com"}}
            )
            gid = answer["customerSet"]["customer"]["id"]
            record = CustomerRecord(external_ref=customer_ref("shop-a", gid), first_name="Ada", addresses=[HOME])
            party = tryton.adapter.upsert_customer(record.model_copy(update={"email": "ada@example.com"}))
            first = _run(w, i)
            meta = metadata(first, "customers")
            assert meta["written"] == 1 and check_passed(first, "customers_accepted_by_shopify")
            tryton.put_erp_customer(party.erp_number, "Ada", [WORK])
            second = metadata(_run(w, i), "customers")
            assert second["previous_watermark"] == meta[WATERMARK] and second["written"] == 1
            shown = " ".join(str(value) for value in second.values())
            assert "Bank St" not in shown and "Main St" not in shown


def test_the_customer_schedule_asks_one_run_per_shop() -> None:
    assert customers_schedule.cron_schedule == "*/5 * * * *" and customers_job.name == "customer_sync"
