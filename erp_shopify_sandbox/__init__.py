"""Faithful local stand-ins for Shopify and the ERPs (Shopify, SAP and NetSuite emulators, a real
Tryton, a fault proxy), and the demo/dev world built on them.

An optional part of erp_shopify: it ships in the same wheel, the product never imports it, and it
needs the ``sandbox`` extra (``pip install 'erp_shopify[sandbox]'``). Without the extra, importing
it fails with ImportError, which is how ``erp-shopify`` knows to leave out the ``sandbox``, ``demo``
and ``dev`` commands registered in pyproject.toml. Trying the imports would not tell: graphql-core
comes with Dagster's web server as well, and Tryton is imported only when it is asked for.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

# The distributions of the ``sandbox`` extra, as pyproject.toml lists them (a packaging test checks that).
EXTRA = ("graphql-core", "cryptography", "trytond", "trytond-stock", "trytond-sale", "proteus")


def _require_extra() -> None:
    for name in EXTRA:
        try:
            distribution(name)
        except PackageNotFoundError:
            raise ImportError(f"{name} is missing: pip install 'erp_shopify[sandbox]'", name=name) from None


_require_extra()
