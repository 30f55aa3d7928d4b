"""price_changes -> prices in a real Dagster instance, against the SAP and Shopify sandboxes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from erp_shopify.store.fingerprints import Fingerprints, price_values
from erp_shopify_sandbox.shopify.ids import BASES
from erp_shopify_tests.test_defs.dagster_world import check_passed, materialize, metadata
from erp_shopify_tests.test_sync.world import World, sku, world

PRICES = ("sku_xref", "price_changes", "prices")


def _retail(w: World, n: int, rate: str, record: str) -> None:
    w.sap.store.put_condition({"material": sku(n), "rate": rate, "currency": "USD", "condition_record": record})


def _shown_price(w: World, n: int) -> str:
    return w.shops["shop-a"].sandbox.state.prices[n]


@pytest.mark.slow
def test_only_changed_prices_are_written_and_a_price_jump_blocks_the_write(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=4) as w, dg.instance_for_test() as instance:
        for n in range(4):
            _retail(w, n, f"{10 + n}.5", f"R{n}")
        first = materialize(w, instance, "shop-a", *PRICES)
        assert first.success
        assert metadata(first, "prices")["prices_written"] == 4
        assert [_shown_price(w, n) for n in range(4)] == ["10.50", "11.50", "12.50", "13.50"]
        # Shopify's products/update echo of our own write is recognised by the loop guard.
        guard = Fingerprints(w.redis(), key_prefix)
        variant = f"gid://shopify/ProductVariant/{BASES['ProductVariant'] + 1}"
        assert guard.is_echo("shop-a", variant, price_values("10.5"))
        assert not guard.is_echo("shop-a", variant, price_values("9.99"))

        _retail(w, 1, "12.00", "R1")  # +4%: fine
        second = materialize(w, instance, "shop-a", *PRICES)
        assert metadata(second, "prices")["prices_written"] == 1
        assert _shown_price(w, 1) == "12.00"
        calls = w.shops["shop-a"].sandbox.state.write_calls["productVariantsBulkUpdate"]

        _retail(w, 2, "99.00", "R2")  # +692%: over max_change_percent (50)
        blocked = materialize(w, instance, "shop-a", *PRICES)
        assert not check_passed(blocked, "no_price_anomalies")
        assert "prices" not in {e.asset_key.to_user_string() for e in blocked.get_asset_materialization_events()}
        assert _shown_price(w, 2) == "12.50"
        assert w.shops["shop-a"].sandbox.state.write_calls["productVariantsBulkUpdate"] == calls


def test_b2b_price_list_gets_fixed_prices_and_quantity_breaks(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        price_list = w.shops["shop-a"].control.create_price_list("Wholesale", "USD")
        data = w.settings.model_dump(mode="json", exclude_none=True)
        data["shops"][0]["price_lists"] = [
            {"erp_price_list": "price-group:02", "shopify_price_list_id": price_list, "currency": "USD"}
        ]
        w.config_path.write_text(yaml.safe_dump(data))
        w.sap.store.put_condition(
            {
                "material": sku(0),
                "rate": "8",
                "currency": "USD",
                "customer_price_group": "02",
                "scales": [{"quantity": 10, "rate": "7"}, {"quantity": 50, "rate": "6.5"}],
            }
        )
        with dg.instance_for_test() as instance:
            result = materialize(w, instance, "shop-a", *PRICES)
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            meta = metadata(result, "prices")
        assert (meta["calls_priceListFixedPricesAdd"], meta["calls_quantityPricingByVariantUpdate"]) == (1, 1)
        (stored,) = w.shops["shop-a"].sandbox.state.price_lists
        assert stored.fixed == {0: ("8.00", None)}
        assert sorted((minimum, price) for (_, minimum), (_, price) in stored.breaks.items()) == [
            (10, "7.00"),
            (50, "6.50"),
        ]
