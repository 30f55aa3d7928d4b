"""The units the inventory rule holds back or adds back for one shop, read from the order pipeline's
store: this shop's units awaiting shipment, and the pending units of every other shop that sells
the same ERP stock (the shops whose ERP locations overlap this one's).

A read is taken just before and just after each ERP read and the two are combined to the side that
sells less (``mapping.inventory.combine_units``): an order delivered or cancelled while the ERP was
being read then never counts zero times.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd
import redis

from erp_shopify.config import ShopConfig
from erp_shopify.mapping import inventory as m
from erp_shopify.mapping.xref import SkuLookup
from erp_shopify.store.last_written import object_keys
from erp_shopify.store.pending import PendingUnits
from erp_shopify.store.sku_table import SkuTable


def stock_peers(shops: Iterable[ShopConfig], shop: ShopConfig) -> list[ShopConfig]:
    """The other shops that sell some of ``shop``'s ERP stock (an ERP location both map)."""
    mine = set(shop.locations)
    return [other for other in shops if other.name != shop.name and mine & set(other.locations)]


@dataclass(frozen=True)
class Holds:
    awaiting: pd.DataFrame  # sku, location_id, units: this shop's orders in the ERP, not shipped
    others_pending: pd.DataFrame  # item_code, location, units: other shops' orders not in the ERP

    def then(self, later: Holds) -> Holds:
        """This read combined with a ``later`` one, with an ERP read between them."""
        return Holds(
            m.combine_units(self.awaiting, later.awaiting, ["sku", "location_id"], "min"),
            m.combine_units(self.others_pending, later.others_pending, ["item_code", "location"], "max"),
        )


class HoldReader:
    def __init__(self, shop: ShopConfig, peers: Sequence[ShopConfig], client: redis.Redis, prefix: str) -> None:
        self.shop = shop
        self.peers = list(peers)
        self.units = PendingUnits(client, prefix)
        table = SkuTable(client, prefix)
        # Each peer's SKUs resolve to ERP items as its order delivery resolves them.
        self.lookups = {
            p.name: SkuLookup(p.sku_overrides, published=partial(table.item_code, p.name)) for p in self.peers
        }

    def read(self) -> Holds:
        return Holds(m.pending_frame(self.units.awaiting(self.shop.name)), m.erp_units_frame(self._others()))

    def _others(self) -> Iterable[tuple[str, str, float]]:
        for peer in self.peers:
            lookup = self.lookups[peer.name]
            for (sku, location_gid), units in self.units.totals(peer.name).items():
                item = lookup.get(sku)
                if item is None:
                    continue
                # A peer location that merges several ERP locations cannot say which one its units
                # come from: they count against each of them that this shop sells (never too few).
                for erp_location, gid in peer.locations.items():
                    if gid == location_gid and erp_location in self.shop.locations:
                        yield item, erp_location, float(units)


def level_holds(holds: Holds, xref: pd.DataFrame, locations: dict[str, str]) -> pd.DataFrame:
    """``HOLD_COLUMNS`` per Shopify level that any hold touches: what a write of it would use."""
    by_sku = xref.reset_index(drop=True)[["sku", "inventory_item_id", "item_code"]]
    awaiting = holds.awaiting.merge(by_sku, on="sku").rename(columns={"units": "awaiting"})
    others = holds.others_pending.merge(by_sku, on="item_code").rename(columns={"units": "others_pending"})
    others = others.assign(location_id=others["location"].map(locations).astype("string")).dropna(
        subset=["location_id"]
    )
    keys = ["inventory_item_id", "location_id"]
    frame = pd.concat([awaiting[[*keys, "awaiting"]], others[[*keys, "others_pending"]]], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=[*m.HOLD_COLUMNS, "item_code"])
    summed = frame.fillna(0.0).groupby(keys, as_index=False, sort=False)[["awaiting", "others_pending"]].sum()
    codes = by_sku.drop_duplicates("inventory_item_id").set_index("inventory_item_id")["item_code"]
    return summed.assign(item_code=summed["inventory_item_id"].map(codes))


def held_value(awaiting: float, others: float) -> str:
    return f"{int(awaiting)},{int(others)}"


def moved_items(current: pd.DataFrame, held: dict[str, str], xref: pd.DataFrame) -> list[str]:
    """ERP items with a level whose holds differ from those its last write used (``held``: object
    key -> ``held_value``), including levels whose holds fell to nothing: each needs a new write."""
    keys = object_keys(current) if len(current) else []
    now = dict(zip(keys, map(held_value, current["awaiting"], current["others_pending"]), strict=True))
    changed = {k for k, v in now.items() if held.get(k, "0,0") != v}
    changed |= {k for k, v in held.items() if k not in now and v != "0,0"}
    items = {key.partition("@")[0] for key in changed}
    found = xref.loc[xref["inventory_item_id"].isin(items), "item_code"]
    return list(dict.fromkeys(found.tolist()))


def peers_digest(pending: dict[str, dict[tuple[str, str], int]], peers: Sequence[ShopConfig]) -> str:
    """A short digest of the peers' pending units: it changes when any of them does."""
    rows = sorted((p.name, sku, loc, n) for p in peers for (sku, loc), n in pending.get(p.name, {}).items())
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]
