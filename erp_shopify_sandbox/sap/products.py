"""The SAP sandbox's product master (``API_PRODUCT_SRV``): ``A_Product`` rows with their
``to_Description`` texts, stamped with ``LastChangeDateTime`` (UTC, millisecond precision as the
JSON carries it) on every change, as SAP stamps the product master record.

Variants are modelled as SAP retail models generic articles: a product whose
``CrossPlantConfigurableProduct`` names another is a variant of it, told apart by
``SizeOrDimensionText``. Deletion only sets ``IsMarkedForDeletion``; SAP keeps the record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erp_shopify_sandbox.sap.index import Index

# control API field -> A_Product property
_FIELDS = {
    "product_type": "ProductType",
    "product_group": "ProductGroup",
    "brand": "Brand",
    "gtin": "ProductStandardID",
    "weight_unit": "WeightUnit",
    "size": "SizeOrDimensionText",
    "configurable_product": "CrossPlantConfigurableProduct",
    "base_unit": "BaseUnit",
}


def _now_ms() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ProductMaster:
    """Rows served as ``A_Product`` and ``A_ProductDescription``; changed under the store's lock,
    each change bumping its version (the query cache keys on it)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.rows: dict[str, dict[str, Any]] = {}
        store.indexes[("A_Product", "Product")] = Index()
        store.indexes[("A_Product", "CrossPlantConfigurableProduct")] = Index()

    def descriptions(self) -> list[dict[str, Any]]:
        return [d for row in self.rows.values() for d in row["to_Description"]]

    def put(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Create or change one product from a control API spec (``product`` plus any of
        ``description``, ``language``, ``gross_weight``, ``deleted`` and ``_FIELDS``); ``at``
        back-dates the change stamp (ISO 8601, UTC)."""
        code = str(spec["product"])
        with self.store.lock:
            stamp = datetime.fromisoformat(spec["at"]).astimezone(UTC).replace(tzinfo=None) if spec.get("at") else None
            row = self.rows.get(code)
            if row is None:
                row = {"Product": code, "ProductType": "HAWA", "BaseUnit": "PC", "CreationDate": _day(stamp)}
                row["to_Description"] = []
                self.rows[code] = row
                self.store.indexes[("A_Product", "Product")].add(code, row)
            generic = row.get("CrossPlantConfigurableProduct")
            for name, prop in _FIELDS.items():
                if name in spec:
                    row[prop] = spec[name] or ""
            if row.get("CrossPlantConfigurableProduct") != generic:
                # a lookup under the old value still finds the row; the whole filter then drops it
                self.store.indexes[("A_Product", "CrossPlantConfigurableProduct")].add(
                    row["CrossPlantConfigurableProduct"], row
                )
            if "gross_weight" in spec:
                row["GrossWeight"] = Decimal(str(spec["gross_weight"]))
            if "deleted" in spec:
                row["IsMarkedForDeletion"] = bool(spec["deleted"])
            if "description" in spec:
                language = spec.get("language", "EN")
                texts = [d for d in row["to_Description"] if d["Language"] != language]
                texts.append({"Product": code, "Language": language, "ProductDescription": spec["description"]})
                row["to_Description"] = texts
            changed = stamp or _now_ms()
            row["LastChangeDateTime"] = changed
            row["LastChangeDate"] = _day(changed)
            row["LastChangedByUser"] = "SANDBOX"
            self.store.version += 1
            return {"product": code, "LastChangeDateTime": changed.isoformat() + "Z"}


def _day(stamp: datetime | None) -> datetime:
    stamp = stamp or _now_ms()
    return datetime(stamp.year, stamp.month, stamp.day)
