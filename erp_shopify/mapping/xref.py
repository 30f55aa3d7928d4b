"""The SKU cross-reference: which Shopify variant (and inventory item) carries each ERP item.

Pure and vectorised (pandas): a million rows map in seconds. Three rules, strongest first:

1. an explicit override (``ShopConfig.sku_overrides``: ERP item code -> Shopify SKU);
2. identity: the ERP item code equals the Shopify SKU exactly;
3. normalisation: equal after trimming and case folding (Shopify SKUs are case sensitive, ERP
   item codes are often upper case and padded).

A SKU carried by more than one variant is ambiguous: writing the ERP quantity to both would count
the stock twice, so duplicates are left out of the mapping and reported instead.

Orders read the same mapping the other way round (``SkuLookup``: a Shopify SKU -> its ERP item):
the table the last ``sku_xref`` build published, else ``build_xref`` run on the one SKU, so an
order line lands on the item the stock came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

VARIANT_COLUMNS = ["sku", "variant_id", "inventory_item_id", "product_id"]
XREF_COLUMNS = ["item_code", "sku", "variant_id", "inventory_item_id", "product_id", "rule"]


def normalise(values: pd.Series) -> pd.Series:
    """The matching key: trimmed, case folded."""
    return values.astype("string").str.strip().str.casefold()


@dataclass(frozen=True)
class XrefResult:
    """The mapping and what it could not map (each a DataFrame, for checks and metadata)."""

    xref: pd.DataFrame  # XREF_COLUMNS, one row per mapped ERP item
    duplicate_skus: pd.DataFrame  # sku, variants (count), variant_ids
    erp_unmapped: pd.DataFrame  # item_code
    variants_unmapped: pd.DataFrame  # VARIANT_COLUMNS

    variant_count: int = 0  # every variant read, with or without a SKU

    @property
    def unmapped_share(self) -> float:
        """Share of ERP items without a variant (0 when the ERP has no items)."""
        total = len(self.xref) + len(self.erp_unmapped)
        return len(self.erp_unmapped) / total if total else 0.0


def sought_skus(item_codes: pd.Series, overrides: Mapping[str, str]) -> pd.Series:
    """The Shopify SKU each ERP item looks for: its override, else its own code."""
    return item_codes.map(lambda code: overrides.get(code, code)).astype("string")


def variants_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """A variants table from API rows (``sku`` may be missing or null: such variants cannot map)."""
    frame = pd.DataFrame.from_records(list(rows), columns=VARIANT_COLUMNS)
    return frame.astype({c: "string" for c in VARIANT_COLUMNS})


def build_xref(
    variants: pd.DataFrame, erp_items: Iterable[str], overrides: Mapping[str, str] | None = None
) -> XrefResult:
    """Map ERP item codes to Shopify variants by override, identity, then normalisation."""
    variant_count = len(variants)
    variants = variants.loc[variants["sku"].notna() & (variants["sku"].str.strip() != "")]
    items = pd.DataFrame({"item_code": pd.Series(list(dict.fromkeys(erp_items)), dtype="string")})
    overrides = dict(overrides or {})

    # Ambiguous SKUs (same normalised SKU on several variants) never map.
    keyed = variants.assign(key=normalise(variants["sku"]))
    counts = keyed.groupby("key", sort=False)["variant_id"].transform("size")
    ambiguous = keyed.loc[counts > 1]
    unique = keyed.loc[counts == 1]
    duplicate_skus = (
        ambiguous.groupby("key", sort=True)
        .agg(sku=("sku", "first"), variants=("variant_id", "size"), variant_ids=("variant_id", list))
        .reset_index(drop=True)
    )

    wanted = sought_skus(items["item_code"], overrides)
    items = items.assign(
        wanted=wanted,
        key=normalise(wanted),
        via_override=items["item_code"].isin(list(overrides)),
    )
    mapped = items.merge(unique.drop(columns=[]), on="key", how="inner", suffixes=("", "_shopify"))
    exact = mapped["sku"] == mapped["wanted"]
    mapped["rule"] = "normalised"
    mapped.loc[exact, "rule"] = "identity"
    mapped.loc[mapped["via_override"], "rule"] = "override"

    # Two items reaching one variant (an override onto another item's SKU): the stronger rule wins.
    strength = mapped["rule"].map({"override": 0, "identity": 1, "normalised": 2})
    mapped = mapped.assign(strength=strength).sort_values(["strength", "item_code"], kind="stable")
    mapped = mapped.drop_duplicates("variant_id", keep="first")
    xref = mapped[XREF_COLUMNS].sort_values("item_code", kind="stable").reset_index(drop=True)
    xref["rule"] = xref["rule"].astype("string")

    erp_unmapped = items.loc[~items["item_code"].isin(xref["item_code"]), ["item_code"]].reset_index(drop=True)
    variants_unmapped = variants.loc[~variants["variant_id"].isin(xref["variant_id"]), VARIANT_COLUMNS]
    return XrefResult(
        xref=xref,
        duplicate_skus=duplicate_skus,
        erp_unmapped=erp_unmapped,
        variants_unmapped=variants_unmapped.reset_index(drop=True),
        variant_count=variant_count,
    )


def xref_collapsed(result: XrefResult, max_unmapped_share: float) -> bool:
    """True when so many ERP items lost their variant that syncing would do more harm than good."""
    return result.unmapped_share > max_unmapped_share


class SkuLookup(Mapping[str, str]):
    """Shopify SKU -> ERP item code for order lines, cached per SKU. Strongest first:

    1. an override in the current configuration (the strongest rule of ``build_xref``; the config
       is read afresh for every batch, the published table is as old as its build);
    2. ``published``: the SKU's item in the table the last ``sku_xref`` build published, which
       applied every rule against the ERP's catalogue (so ``sku-7`` reaches item ``SKU-7``);
    3. the rules of ``build_xref`` run on the one SKU against the items that could claim it.

    ``item_codes`` is the ERP's catalogue when the caller has it. Without it (order delivery does
    not load the catalogue) rule 3 is override then identity, and a code the ERP does not know is
    refused by the ERP as a data error, fixed with one override.
    """

    def __init__(
        self,
        overrides: Mapping[str, str],
        item_codes: Iterable[str] | None = None,
        published: Callable[[str], str | None] | None = None,
    ) -> None:
        self._overrides = dict(overrides)
        codes = pd.Series(list(dict.fromkeys(self._overrides if item_codes is None else item_codes)), dtype="string")
        self._assume_identity = item_codes is None
        self._by_key = codes.groupby(normalise(sought_skus(codes, self._overrides)).to_numpy()).agg(list).to_dict()
        self._published = published
        self._found: dict[str, str | None] = {}

    def __getitem__(self, sku: str) -> str:
        if sku not in self._found:
            self._found[sku] = self._resolve(sku)
        found = self._found[sku]
        if found is None:
            raise KeyError(sku)
        return found

    def _resolve(self, sku: str) -> str | None:
        key = normalise(pd.Series([sku], dtype="string")).iloc[0]
        if pd.isna(key) or not key:
            return None
        claimants = self._by_key.get(key, [])
        overridden = [code for code in claimants if code in self._overrides]
        if overridden and (item := self._by_rules(sku, overridden)) is not None:
            return item
        if self._published is not None and (item := self._published(sku)) is not None:
            return item
        return self._by_rules(sku, [*claimants, *([sku] if self._assume_identity else [])])

    def _by_rules(self, sku: str, candidates: list[str]) -> str | None:
        line = variants_frame([{"sku": sku, "variant_id": "order-line"}])
        xref = build_xref(line, candidates, self._overrides).xref
        return None if xref.empty else str(xref["item_code"].iloc[0])

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)
