"""The typed records every adapter and every mapping share: stock levels and changes, prices,
sales orders, credits and the ERP's answer. Frozen and strict (``extra="forbid"``), so a record
that crosses the adapter boundary is exactly what both sides declared."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StockLevel(_Record):
    """Absolute available quantity of one item at one ERP location."""

    item_code: str
    location: str  # plant/storage location ("1010/0001"), warehouse code, ...
    available: Decimal


class InventoryChange(StockLevel):
    """A stock level the journal says changed: absolute, never a delta, so replays are harmless."""

    change_id: str  # unique per journal entry: the dedupe key across overlap windows
    changed_at: datetime


class InventoryPage(_Record):
    """One page of changes and the cursor to resume *after* it."""

    rows: list[InventoryChange]
    cursor: str | None


class PriceRecord(_Record):
    item_code: str
    price_list: str  # "retail" for list prices, or a B2B price list / customer group
    currency: str
    price: Decimal
    compare_at_price: Decimal | None = None
    min_quantity: int = 1  # > 1 is a quantity break
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class Address(_Record):
    name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    zip: str = ""
    province_code: str = ""
    country_code: str = ""
    phone: str = ""


class Customer(_Record):
    email: str = ""
    name: str = ""
    erp_party: str | None = None  # sold-to party / customer number when known


class TaxLine(_Record):
    """One tax on a line or a shipping charge, as Shopify charged it."""

    title: str = ""
    rate: Decimal  # 0.2 = 20 %
    amount: Decimal


class SalesOrderLine(_Record):
    item_code: str
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal  # Shopify's price: tax included when the order's ``taxes_included``
    discount: Decimal = Decimal("0")  # the line's own discounts (product and manual line discounts)
    order_discount: Decimal = Decimal("0")  # the line's share of order-level discounts, as Shopify allocated it
    tax: Decimal = Decimal("0")  # total tax on the line
    taxes: list[TaxLine] = Field(default_factory=list)
    unit: str = ""  # the ERP's sales unit; "" = the adapter reads the item's own
    description: str = ""


class ShippingCharge(_Record):
    """One shipping line: its price before its own discount, the discount, and its taxes."""

    title: str = ""
    price: Decimal
    discount: Decimal = Decimal("0")
    taxes: list[TaxLine] = Field(default_factory=list)


class OrderCharge(_Record):
    """A charge Shopify totals beside the goods and shipping: a tip, the order's duties, or its
    additional fees; sent untaxed, as one line on the ERP's item configured for its kind."""

    kind: Literal["tip", "duty", "fee"]
    title: str = ""
    amount: Decimal = Field(gt=0)


class SalesOrder(_Record):
    external_ref: str = Field(min_length=1, max_length=35)  # natural idempotency key (SAP: 35 chars)
    shop: str
    currency: str
    ordered_at: datetime
    customer: Customer
    ship_to: Address
    bill_to: Address | None = None
    lines: list[SalesOrderLine] = Field(min_length=1)
    shipping: Decimal = Decimal("0")  # net of shipping discounts (tax included when ``taxes_included``)
    shipping_tax: Decimal = Decimal("0")
    order_discount: Decimal = Decimal("0")  # sum of the lines' ``order_discount``
    shipping_lines: list[ShippingCharge] = Field(default_factory=list)
    taxes_included: bool = False  # Shopify's ``taxes_included``: prices and discounts carry the tax
    charges: list[OrderCharge] = Field(default_factory=list)  # tips, duties and additional fees
    total: Decimal | None = None  # Shopify's total the ERP document must equal to the cent (None: unchecked)
    note: str = ""


class CreditLine(_Record):
    item_code: str
    quantity: Decimal = Field(ge=0)
    amount: Decimal  # refunded for the line: its subtotal after its discount shares, plus ``tax``
    tax: Decimal = Decimal("0")  # Shopify's ``total_tax`` of the refunded quantity
    taxes: list[TaxLine] = Field(default_factory=list)  # the rates the ERP applies to ``amount - tax``


class CreditNote(_Record):
    """A refund: credits the given lines (and any extra amount) against an existing order."""

    external_ref: str = Field(min_length=1, max_length=35)  # the refund's own idempotency key
    order_ref: str  # the external_ref of the order it refunds
    currency: str
    lines: list[CreditLine] = Field(default_factory=list)
    shipping: Decimal = Decimal("0")  # refunded shipping, its tax included (an order adjustment)
    adjustment: Decimal = Decimal("0")  # other order adjustments (refund discrepancies): + refunds more
    amount: Decimal  # total refunded
    reason: str = ""


class ErpDocument(_Record):
    """What the ERP answered: its own document number for our external reference."""

    number: str
    external_ref: str
    status: str = ""  # adapter-specific ("draft", "confirmed", "cancelled", ...)


class ShipmentLine(_Record):
    item_code: str
    quantity: Decimal = Field(gt=0)
    location: str  # the ERP location it left from, as the shops file's ``locations`` keys name it


class Shipment(_Record):
    """One delivery the warehouse shipped (goods issue posted): the ERP's document number is the
    exactly-once key of its fulfillment in Shopify."""

    document: str  # SAP delivery, NetSuite item fulfillment, Tryton shipment
    order_ref: str  # the sales order's external reference (``SalesOrder.external_ref``); "" if none
    shipped_at: datetime
    changed_at: datetime  # the ERP's change stamp that brought it (a tracking edit moves it)
    lines: list[ShipmentLine]
    tracking_numbers: list[str] = Field(default_factory=list)
    tracking_company: str = ""
    tracking_urls: list[str] = Field(default_factory=list)


class ShipmentPage(_Record):
    """Shipped deliveries changed since a cursor, and the cursor to resume after them."""

    shipments: list[Shipment]
    cursor: str | None


class ProductVariantRecord(_Record):
    """One sellable variant of an ERP product: its SKU is the ERP item code."""

    item_code: str
    options: dict[str, str] = Field(default_factory=dict)  # option name -> value, in the product's option order
    barcode: str = ""  # GTIN / EAN as the ERP keeps it
    weight: Decimal | None = None
    weight_unit: str = "KILOGRAMS"  # Shopify's WeightUnit: GRAMS, KILOGRAMS, OUNCES, POUNDS


class ProductRecord(_Record):
    """A product as the ERP describes it: the whole of what the ERP owns, never a delta. Left
    unvalidated beyond types on purpose: an empty title or too many options is Shopify's to refuse,
    and the refusal is reported with this record rather than lost at the adapter."""

    product_code: str  # the ERP's key of the product (SAP Product, NetSuite parent item, Tryton template)
    title: str
    description: str | None = None  # None: the ERP keeps no description, Shopify's is left alone
    vendor: str = ""
    product_type: str = ""
    options: list[str] = Field(default_factory=list)  # option names in order; empty for a single variant
    variants: list[ProductVariantRecord] = Field(default_factory=list)
    tags: list[str] | None = None  # sent only when the shops file hands tags to the ERP
    deleted: bool = False  # archived in Shopify, never deleted
    changed_at: datetime | None = None


class ProductPage(_Record):
    """One page of changed products and the cursor to resume *after* it."""

    products: list[ProductRecord]
    cursor: str | None


class CustomerRecord(_Record):
    """A Shopify customer or B2B company location as one side holds it: the whole address list,
    never a delta (both sides may own addresses, so a writer must merge, not replace).

    ``external_ref`` is our key on both sides: derived from the Shopify id, kept in the ERP's
    external-reference field; a customer born in the ERP has none until it reaches Shopify, and is
    then known by ``erp_number`` (Shopify ``customId``)."""

    kind: Literal["customer", "company_location"] = "customer"
    external_ref: str = Field(default="", max_length=35)
    shopify_id: str = ""  # gid://shopify/Customer/... or gid://shopify/CompanyLocation/...
    erp_number: str = ""  # SAP business partner, NetSuite customer id, Tryton party code
    first_name: str = ""
    last_name: str = ""
    company: str = ""  # the B2B company's name (company locations), or the customer's company
    email: str = ""
    phone: str = ""
    addresses: list[Address] = Field(default_factory=list)  # the default (or only ship-to) first
    changed_at: datetime | None = None  # this side's customer-level change time (newest wins)
    deleted: bool = False


class CustomerPage(_Record):
    """Customers changed since a cursor, and the cursor to resume after them."""

    customers: list[CustomerRecord]
    cursor: str | None
