"""One customer sync of one shop (ERP -> Shopify): ERP customers changed since the watermark,
each merged with Shopify's current customer by ``mapping.customer_merge`` and, when the merge
differs from what Shopify holds, written with ``customerSet`` (identifier: the customer's id).

- Which customers: those whose external reference is this shop's (``<shop>-C<id>``: a Shopify
  customer the ERP knows, or the shortened form an ERP with a shorter field keeps,
  ``mapping/customer_refs.py``), and, in the one shop whose shops file sets
  ``erp_born_customers``, ERP-born customers with an email (created by ``customId`` = the ERP
  number, then linked in the ERP). Another shop's are counted and left alone. A B2B company
  location of this shop (``<shop>-L<id>``) gets its addresses with ``companyLocationAssignAddress``
  instead (``sync/company_locations.py``).
- ``customerSet`` replaces the address list, so the merged list is always sent whole: an address
  only Shopify holds is kept, one a side deleted since our last write is left out. It also leaves
  out an empty email or phone, so an ERP without one compares as Shopify's.
- Idempotent without ``@idempotent``: the identifier is the customer's id, so a retry after a lost
  answer updates the same customer with the same values.
- The loop guard accepts the written values before the write (``intend``) and keeps them after
  (``record_many``), so the ``customers/update`` echo is dropped at ingest; the digests of the
  write are kept (``store/written_customers.py``) for the next merge.
- Bad data loses nothing: a customer Shopify refuses (``userErrors``) is listed with its reference,
  codes and fields, the rest is written and the watermark moves on (the ERP's fix moves its stamp).
  Transient and system failures end the run, and the watermark stays.
- Conflicts (both sides changed between two syncs) are reported with names and ids and a short
  diff, never addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import CustomerStore
from erp_shopify.mapping.customer_merge import Written, merge_customer
from erp_shopify.mapping.customer_refs import shopify_object
from erp_shopify.mapping.customers import CUSTOMER_KIND, LOCATION_KIND, creation_key, customer_ref, guard_values
from erp_shopify.records import Address, CustomerRecord
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.store.keys import Keys
from erp_shopify.store.written_customers import WrittenCustomers
from erp_shopify.sync.company_locations import LocationOutcome, LocationWriter, graphql_address, person, refusal
from erp_shopify.sync.id_definitions import ensure_id_definition

ID_NAMESPACE, ID_KEY = "erp", "customer"  # the customer metafield (type id) holding the ERP number


@dataclass
class CustomerSyncResult:
    watermark: str | None
    read: int = 0
    created: int = 0  # ERP-born customers created in Shopify (shops file erp_born_customers)
    written: int = 0
    unchanged: int = 0
    not_this_shop: int = 0  # ERP-born (not created here), or another shop's: not written here
    gone: int = 0  # the customer or company location no longer exists in Shopify
    locations: int = 0  # of those read, B2B company locations of this shop
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        counts = ("read", "created", "written", "unchanged", "not_this_shop", "gone", "locations")
        return {**{name: getattr(self, name) for name in counts}, "conflicts": len(self.conflicts)}

    def count(self, location: LocationOutcome) -> None:
        """One company location's outcome (``sync/company_locations.py``)."""
        self.locations += 1
        if location.outcome in ("written", "unchanged", "gone"):
            setattr(self, location.outcome, getattr(self, location.outcome) + 1)
        elif location.outcome == "refused" and location.detail is not None:
            self.refused.append(location.detail)
        elif location.detail is not None:
            self.conflicts.append(location.detail)


def shopify_gid(shop: str, external_ref: str) -> str | None:
    """The Shopify customer behind one of this shop's references (or the shortened form an ERP
    with a shorter field keeps), else None."""
    found = shopify_object(shop, external_ref)
    return found[1] if found is not None and found[0] == CUSTOMER_KIND else None


def from_shopify(node: dict[str, Any]) -> CustomerRecord:
    """A ``customer`` query answer as the record both sides compare."""
    addresses = [
        graphql_address(a, person(a), a.get("company") or "", "provinceCode", "countryCodeV2")
        for a in node["addressesV2"]["nodes"]
    ]
    return CustomerRecord(
        shopify_id=node["id"],
        first_name=node.get("firstName") or "",
        last_name=node.get("lastName") or "",
        email=node.get("email") or "",
        phone=node.get("phone") or "",
        addresses=addresses,
        changed_at=datetime.fromisoformat(node["updatedAt"]),
    )


def customer_input(customer: CustomerRecord) -> dict[str, Any]:
    """``CustomerSetInput`` for the merged customer: its whole address list."""
    data: dict[str, Any] = {"firstName": customer.first_name, "lastName": customer.last_name}
    data |= {key: value for key, value in (("email", customer.email), ("phone", customer.phone)) if value}
    data["addresses"] = [_address_input(a) for a in customer.addresses]
    return data


def _address_input(address: Address) -> dict[str, Any]:
    first, _, last = address.name.rpartition(" ") if " " in address.name else ("", "", address.name)
    values = {
        "firstName": first, "lastName": last, "company": address.company, "address1": address.address1,
        "address2": address.address2, "city": address.city, "zip": address.zip,
        "provinceCode": address.province_code, "countryCode": address.country_code, "phone": address.phone,
    }  # fmt: skip
    return {key: value for key, value in values.items() if value}


class CustomerSync:
    def __init__(
        self,
        shop: ShopConfig,
        client: ShopifyClient,
        store: CustomerStore,
        redis_client: redis.Redis,
        key_prefix: str,
        *,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.shop, self.client, self.store, self.log = shop, client, store, log
        self.guard = Fingerprints(redis_client, key_prefix)
        self.written = WrittenCustomers(redis_client, key_prefix)
        self.locations = LocationWriter(shop.name, client, self.guard, self.written)
        self.redis, self.keys = redis_client, Keys(key_prefix)

    def run(self, cursor: str | None) -> CustomerSyncResult:
        result = CustomerSyncResult(watermark=cursor)
        for page in self.store.customer_changes(cursor):
            for erp in page.customers:
                result.read += 1
                self._one(erp, result)
            result.watermark = page.cursor
        self.log(f"{self.shop.name}: customers {result.metadata()}")
        return result

    def _one(self, erp: CustomerRecord, result: CustomerSyncResult) -> None:
        born = erp.kind == "customer" and not erp.external_ref
        if born and self.shop.erp_born_customers and erp.email and not erp.deleted:
            self._create(erp, result)
            return
        found = shopify_object(self.shop.name, erp.external_ref)
        kind = CUSTOMER_KIND if erp.kind == "customer" else LOCATION_KIND
        if found is None or found[0] != kind:
            result.not_this_shop += 1
            return
        gid = found[1]
        if erp.kind == "company_location":
            result.count(self.locations.sync(erp, gid))
            return
        erp = erp.model_copy(update={"external_ref": customer_ref(self.shop.name, gid)})  # the ERP's may be short
        node = self.client.execute("customer", {"id": gid})["customer"]
        if node is None:
            result.gone += 1
            return
        shopify = from_shopify(node).model_copy(update={"external_ref": erp.external_ref})
        # customerSet leaves out an empty email or phone, so Shopify keeps its own (the email is the
        # customer's sign-in): an ERP without one (SAP keeps both on an address) compares as Shopify's
        erp = erp.model_copy(update={f: getattr(erp, f) or getattr(shopify, f) for f in ("email", "phone")})
        last = self.written.load(self.shop.name, [erp.external_ref]).get(erp.external_ref)
        merge = merge_customer(erp, shopify, last)
        if merge.conflict is not None:
            result.conflicts.append(merge.conflict)
        if not merge.write:
            result.unchanged += 1
            self.written.save(self.shop.name, {erp.external_ref: Written.after(erp, shopify)})
            return
        values = {gid: guard_values(merge.merged)}
        self.guard.intend(self.shop.name, values)
        answer = self.client.execute(
            "customer_set",
            {"identifier": {"id": gid}, "input": customer_input(merge.merged)},
            raise_user_errors=False,
        )["customerSet"]
        if answer["userErrors"]:
            result.refused.append(refusal(erp.external_ref, erp.erp_number, answer["userErrors"]))
            return
        self.guard.record_many(self.shop.name, values)
        self.written.save(self.shop.name, {erp.external_ref: Written.after(erp, merge.merged)})
        result.written += 1

    def _create(self, erp: CustomerRecord, result: CustomerSyncResult) -> None:
        """An ERP-born customer: upserted by ``customId`` (its ERP number, so a retry after a lost
        answer finds the customer the first attempt made), then linked in the ERP by the new id.
        Its ``customers/create`` may arrive before the answer: the intent is kept by email."""
        definition = {"namespace": ID_NAMESPACE, "key": ID_KEY, "name": "ERP customer", "ownerType": "CUSTOMER"}
        marker = self.keys.customer_id_definition(self.shop.name)
        ensure_id_definition(self.client, self.redis, marker, {**definition, "type": "id"})
        values = guard_values(erp)
        self.guard.intend(self.shop.name, {creation_key(erp.email): values})
        custom_id = {"namespace": ID_NAMESPACE, "key": ID_KEY, "value": erp.erp_number}
        variables = {"identifier": {"customId": custom_id}, "input": customer_input(erp)}
        answer = self.client.execute("customer_set", variables, raise_user_errors=False)["customerSet"]
        if answer["userErrors"]:
            result.refused.append(refusal(erp.external_ref, erp.erp_number, answer["userErrors"]))
            return
        gid = answer["customer"]["id"]
        self.guard.record_many(self.shop.name, {gid: values})
        ref = customer_ref(self.shop.name, gid)
        self.store.upsert_customer(erp.model_copy(update={"external_ref": ref, "shopify_id": gid}))
        self.written.save(self.shop.name, {ref: Written.after(erp, erp)})
        result.created += 1
