"""Who owns which data, in which direction it flows, and how often: the one declared sync policy.

Code asks this module instead of hard-coding a direction: the webhook receiver accepts only the
topics routed here, the loop guard asks who owns a field before it records a conflict, order
delivery maps the order topics listed here, and the inventory and price schedules run at the
cadence declared here unless the shops file overrides it (``inventory.schedule``,
``pricing.schedule``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Owner(StrEnum):
    ERP = "erp"
    SHOPIFY = "shopify"
    NEWEST = "newest"  # last write wins, by timestamp


class Direction(StrEnum):
    ERP_TO_SHOPIFY = "erp->shopify"
    SHOPIFY_TO_ERP = "shopify->erp"
    BOTH = "both"


class Domain(StrEnum):
    INVENTORY = "inventory"
    PRICES = "prices"
    PRODUCT_MASTER = "product_master"
    ORDERS = "orders"
    REFUNDS = "refunds"
    CUSTOMER_ADDRESSES = "customer_addresses"
    FULFILLMENTS = "fulfillments"


# The order webhooks: each creates the order in the ERP if needed, ``orders/cancelled`` cancels it.
ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
REFUND_TOPIC = "refunds/create"  # credits the refunded lines against the order
# Customers and B2B company locations: each upserts the ERP customer (newest change wins, both
# ways). A company's own webhook carries no address: its locations reach the ERP with theirs.
CUSTOMER_TOPICS = ("customers/create", "customers/update")
COMPANY_TOPICS = ("companies/create", "companies/update")
LOCATION_TOPICS = ("company_locations/create", "company_locations/update")
# The customer topics our own writes (ERP -> Shopify) trigger: judged by the loop guard first.
CUSTOMER_ECHO_TOPICS = (*CUSTOMER_TOPICS, *LOCATION_TOPICS)


@dataclass(frozen=True)
class DomainPolicy:
    domain: Domain
    owner: Owner
    direction: Direction
    cadence: str  # a cron expression, or "realtime" / "on_change"
    webhook_topics: tuple[str, ...] = ()  # inbound topics this domain consumes
    # An inbound webhook for an ERP-owned domain is either our own echo or a conflict to overwrite.
    echo_topics: tuple[str, ...] = ()


SYNC_POLICY: dict[Domain, DomainPolicy] = {
    p.domain: p
    for p in (
        DomainPolicy(
            Domain.INVENTORY,
            Owner.ERP,
            Direction.ERP_TO_SHOPIFY,
            "*/10 * * * *",
            echo_topics=("inventory_levels/update",),
        ),
        DomainPolicy(Domain.PRICES, Owner.ERP, Direction.ERP_TO_SHOPIFY, "0 2 * * *"),
        DomainPolicy(Domain.FULFILLMENTS, Owner.ERP, Direction.ERP_TO_SHOPIFY, "*/5 * * * *"),
        DomainPolicy(
            Domain.PRODUCT_MASTER,
            Owner.ERP,
            Direction.ERP_TO_SHOPIFY,
            "*/5 * * * *",  # on change: the ERP's change stamps are polled every few minutes
            echo_topics=("products/update",),
        ),
        DomainPolicy(
            Domain.ORDERS,
            Owner.SHOPIFY,
            Direction.SHOPIFY_TO_ERP,
            "realtime",
            webhook_topics=ORDER_TOPICS,
        ),
        DomainPolicy(
            Domain.REFUNDS,
            Owner.SHOPIFY,
            Direction.SHOPIFY_TO_ERP,
            "realtime",
            webhook_topics=(REFUND_TOPIC,),
        ),
        DomainPolicy(
            Domain.CUSTOMER_ADDRESSES,
            Owner.NEWEST,
            Direction.BOTH,
            "*/5 * * * *",  # Shopify -> ERP in real time (webhooks); ERP -> Shopify polled every few minutes
            webhook_topics=(*CUSTOMER_TOPICS, *COMPANY_TOPICS, *LOCATION_TOPICS),
            echo_topics=CUSTOMER_ECHO_TOPICS,
        ),
    )
}


def routed_topics() -> frozenset[str]:
    """Every webhook topic the receiver accepts: consumed topics plus echoes we must recognise."""
    return frozenset(t for p in SYNC_POLICY.values() for t in (*p.webhook_topics, *p.echo_topics))


def domain_for_topic(topic: str) -> Domain:
    for policy in SYNC_POLICY.values():
        if topic in policy.webhook_topics or topic in policy.echo_topics:
            return policy.domain
    raise KeyError(f"webhook topic {topic!r} is not routed by the sync policy")


def owner(domain: Domain) -> Owner:
    return SYNC_POLICY[domain].owner


def cadence(domain: Domain) -> str:
    """How often ``domain`` syncs: a cron expression for the scheduled domains."""
    return SYNC_POLICY[domain].cadence


# Product master: who owns each field of a product in Shopify (``productSet`` input names). The
# ERP's fields are sent whole on every write, so a merchant's edit of one is overwritten (and
# counted as a conflict); Shopify's are never sent, so ``productSet``, which replaces every list it
# is sent, cannot touch merchant media, SEO, tags, collections or metafields. A shops file may
# hand some of Shopify's fields to the ERP (``products.erp_owns``).
PRODUCT_FIELD_OWNERS: dict[str, Owner] = {
    "title": Owner.ERP,
    "descriptionHtml": Owner.ERP,
    "vendor": Owner.ERP,
    "productType": Owner.ERP,
    "productOptions": Owner.ERP,
    "variants": Owner.ERP,  # SKU, barcode, weight and unit, option values
    "status": Owner.ERP,  # only ever ARCHIVED for an item deleted in the ERP, or ACTIVE
    "files": Owner.SHOPIFY,
    "seo": Owner.SHOPIFY,
    "tags": Owner.SHOPIFY,
    "collections": Owner.SHOPIFY,
    "metafields": Owner.SHOPIFY,
}
# The Shopify-owned fields an ERP can describe, and so may be handed to it.
HANDOVER_PRODUCT_FIELDS = frozenset({"tags"})


def product_fields_owned_by_erp(handed_over: frozenset[str] = frozenset()) -> frozenset[str]:
    """The ``productSet`` input fields the sync may send: the ERP's, plus those handed to it."""
    unknown = handed_over - HANDOVER_PRODUCT_FIELDS
    if unknown:
        raise ValueError(f"product fields {sorted(unknown)} cannot be handed to the ERP")
    return frozenset(f for f, o in PRODUCT_FIELD_OWNERS.items() if o is Owner.ERP) | handed_over
