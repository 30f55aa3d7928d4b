"""``SandboxControl``: a small typed client for the sandbox's control API, for tests and demos."""

from __future__ import annotations

from typing import Any

import httpx


class SandboxControlError(RuntimeError):
    pass


class SandboxControl:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.url}/_sandbox", timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise SandboxControlError(f"{method} /_sandbox{path}: HTTP {response.status_code} {response.text}")
        return response.json()

    def seed(
        self,
        products: int,
        *,
        variants_per_product: int = 1,
        locations: int = 1,
        available: int = 10,
        sku_prefix: str = "SKU-",
        price: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "products": products,
            "variants_per_product": variants_per_product,
            "locations": locations,
            "available": available,
            "sku_prefix": sku_prefix,
            "price": price,
        }
        return self._call("POST", "/seed", json=body)

    def locations(self) -> list[dict[str, str]]:
        return self._call("GET", "/locations")

    def add_locations(self, names: list[str]) -> list[dict[str, str]]:
        return self._call("POST", "/locations", json={"names": names})

    def place_order(
        self,
        lines: dict[str, int],
        *,
        location: int | str = 0,
        customer: dict[str, Any] | None = None,
        email: str | None = None,
        inventory_policy: str = "CONTINUE",
        pricing: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A storefront checkout of {sku: quantity}; sends orders/create and inventory_levels/update.
        With ``inventory_policy="DENY"`` a line above what is available is refused (HTTP 409).
        ``pricing`` (see ``checkout.Pricing.from_json``) adds discounts, shipping and taxes."""
        body = {
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
            "location": location,
            "customer": customer,
            "email": email,
            "inventory_policy": inventory_policy,
            "pricing": pricing,
        }
        return self._call("POST", "/orders", json=body)

    def orders(self) -> list[dict[str, Any]]:
        return self._call("GET", "/orders")

    def fulfill_order(self, legacy_id: int) -> dict[str, Any]:
        """The warehouse ships the order: committed and on_hand fall by its unshipped units."""
        return self._call("POST", f"/orders/{legacy_id}/fulfill")

    def cancel_order(self, legacy_id: int, *, reason: str = "CUSTOMER", restock: bool = True) -> dict[str, Any]:
        return self._call("POST", f"/orders/{legacy_id}/cancel", json={"reason": reason, "restock": restock})

    def refund_order(
        self,
        legacy_id: int,
        lines: dict[str, int] | None = None,
        *,
        restock: bool = True,
        note: str | None = None,
        shipping: bool = False,
    ) -> dict[str, Any]:
        """Refund (sku: quantity) lines, and the shipping with ``shipping``; paid back in full."""
        body = {
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()] if lines is not None else None,
            "restock": restock,
            "note": note,
            "shipping": shipping,
        }
        return self._call("POST", f"/orders/{legacy_id}/refunds", json=body)

    def update_customer(
        self, email: str, first_name: str, last_name: str, address: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "/customers",
            json={"email": email, "first_name": first_name, "last_name": last_name, "address": address},
        )

    def create_price_list(self, name: str, currency: str, *, company_location: str | None = None) -> str:
        return self._call(
            "POST", "/price-lists", json={"name": name, "currency": currency, "company_location": company_location}
        )["id"]

    def price_lists(self) -> list[dict[str, Any]]:
        return self._call("GET", "/price-lists")

    def subscribe(self, topic: str, address: str) -> int:
        return self._call("POST", "/webhooks", json={"topic": topic, "address": address})["id"]

    def subscriptions(self) -> list[dict[str, Any]]:
        return self._call("GET", "/webhooks")

    def deliveries(self) -> dict[str, Any]:
        """{"pending": n, "deliveries": [{topic, webhook_id, event_id, attempt, status, ok, at}]}"""
        return self._call("GET", "/webhooks/deliveries")

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change SandboxOptions at run time: plan, bucket_size, throttle_status, write_latency_ms,
        duplicate_webhooks, webhook_time_scale."""
        return self._call("PUT", "/settings", json=settings)

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        return self._call("PUT", "/faults", json=faults)

    def levels(self, skus: list[str] | None = None) -> list[dict[str, Any]]:
        return self._call("GET", "/levels", params={"sku": skus or []})

    def edit_level(self, sku: str, quantity: int, *, location: int = 0, name: str = "available") -> Any:
        """A merchant's edit in the admin (sends ``inventory_levels/update``)."""
        body = {"sku": sku, "quantity": quantity, "location": location, "name": name}
        return self._call("POST", "/levels/edit", json=body)

    def variants(self, skus: list[str]) -> list[dict[str, Any]]:
        return self._call("GET", "/variants", params={"sku": skus})

    def product(self, product_id: str) -> dict[str, Any]:
        """The product's ``products/update`` payload plus ``media_urls`` and ``metafields``."""
        return self._call("GET", "/product", params={"id": product_id})

    def add_media(self, product_id: str, url: str) -> dict[str, Any]:
        return self._call("POST", "/product", params={"id": product_id}, json={"url": url})

    def stats(self) -> dict[str, Any]:
        """{"write_calls": {mutation: n}, "cost": {...}, "throttle_status": {...}}"""
        return self._call("GET", "/stats")

    def close(self) -> None:
        self._http.close()
