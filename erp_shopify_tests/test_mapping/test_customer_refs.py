"""Our customer references where the ERP's field is shorter (SAP: 20 upper-case characters)."""

from erp_shopify.mapping.customer_refs import shopify_object, short_ref
from erp_shopify.mapping.customers import customer_ref, location_ref

LONG_GID = "gid://shopify/Customer/115310627314723954"


def test_a_reference_that_fits_is_only_upper_cased() -> None:
    assert short_ref("shop-a-C5", 20) == "SHOP-A-C5"


def test_a_long_reference_is_shortened_to_the_limit_and_differs_per_shop_and_kind() -> None:
    ours = short_ref(customer_ref("demo-eu", LONG_GID), 20)
    assert len(ours) == 20 and ours == ours.upper()
    assert ours != short_ref(customer_ref("demo-us", LONG_GID), 20)
    assert ours != short_ref(location_ref("demo-eu", "gid://shopify/CompanyLocation/115310627314723954"), 20)


def test_either_form_names_this_shops_object_and_no_other_shops() -> None:
    full = customer_ref("demo-eu", LONG_GID)
    assert shopify_object("demo-eu", full) == ("C", LONG_GID)
    assert shopify_object("demo-eu", short_ref(full, 20)) == ("C", LONG_GID)
    assert shopify_object("demo-eu", "SHOP-A-C5") is None
    assert shopify_object("shop-a", "SHOP-A-C5") == ("C", "gid://shopify/Customer/5")
    assert shopify_object("demo-us", short_ref(full, 20)) is None
    location = location_ref("demo-eu", "gid://shopify/CompanyLocation/441696173")
    assert shopify_object("demo-eu", short_ref(location, 20)) == ("L", "gid://shopify/CompanyLocation/441696173")


def test_an_erp_born_customer_without_a_reference_is_nobodys() -> None:
    assert shopify_object("demo-eu", "") is None and shopify_object("demo-eu", "10000042") is None
