"""One run in a process of its own: ``python -m erp_shopify_tests.test_deploy.materialize_run CONFIG SHOP ASSET...``
materialises the assets of one shop in the instance at ``$DAGSTER_HOME``, with the IO manager that
``deployment_resources`` chooses from the environment, and prints what it did as JSON."""

from __future__ import annotations

import json
import sys

import dagster as dg

from erp_shopify.defs.resources import deployment_resources
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify_tests.test_defs.dagster_world import ASSETS


def main(config_path: str, shop: str, *selection: str) -> None:
    with dg.DagsterInstance.get() as instance:
        sync_shop_partitions(instance, [shop])
        result = dg.materialize(
            ASSETS,
            instance=instance,
            resources=deployment_resources(config_path),
            partition_key=shop,
            selection=list(selection),
            raise_on_error=False,
        )
        materialized = {
            event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
            for event in result.get_asset_materialization_events()
        }
    print(json.dumps({"success": result.success, "materialized": materialized}, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
