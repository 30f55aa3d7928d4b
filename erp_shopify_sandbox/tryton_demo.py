"""A real Tryton database with demo data, built once and copied per use.

Activating ``sale`` and ``stock`` on SQLite takes half a minute, so the result is cached under
``.cache/tryton/<key>/`` where the key hashes the installed trytond module versions and the demo
data: an upgrade or new demo data builds a fresh template, and a copy of the file is all each test
or sandbox start pays for.

The demo data (company, warehouse stock, customer, products) is written through proteus in a
child process (``python -m erp_shopify_sandbox.tryton_demo``) so trytond's process-wide pool never
loads into the caller.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from importlib import metadata
from pathlib import Path

DATABASE = "demo"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin-demo"  # a throwaway local database, never a real credential
CUSTOMER = "Shopify Customer"
WAREHOUSE = "WH"
CURRENCY = "EUR"
# code, name, list price, initial stock in the warehouse
PRODUCTS: tuple[tuple[str, str, str, int], ...] = (
    ("SKU-TEE-S", "T-shirt S", "19.90", 40),
    ("SKU-TEE-M", "T-shirt M", "19.90", 35),
    ("SKU-MUG", "Mug", "9.50", 120),
    ("SKU-CAP", "Cap", "14.00", 0),
)
# The countries (ISO 3166-1) and a few subdivisions (ISO 3166-2) the demo's customers use; a real
# Tryton loads them all with ``trytond_import_countries``. Part of the template's key.
COUNTRIES: dict[str, tuple[str, dict[str, str]]] = {
    "GB": ("United Kingdom", {}),
    "IE": ("Ireland", {}),
    "DE": ("Germany", {"BE": "Berlin", "BY": "Bayern"}),
    "FR": ("France", {}),
    "NL": ("Netherlands", {}),
    "AT": ("Austria", {}),
    "CH": ("Switzerland", {}),
    "US": ("United States", {"CA": "California", "NY": "New York", "TX": "Texas", "WA": "Washington"}),
    "CA": ("Canada", {"ON": "Ontario", "QC": "Quebec", "BC": "British Columbia"}),
}
_MODULES = ("sale", "stock")
_DEFAULT_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "tryton"


def write_config(folder: Path, *, port: int = 0) -> Path:
    """A trytond configuration serving SQLite files from ``folder`` on loopback."""
    path = folder / "trytond.conf"
    path.write_text(
        f"[database]\nuri = sqlite://\npath = {folder}\n[web]\nlisten = 127.0.0.1:{port}\n[session]\ntimeout = 300\n"
    )
    return path


def template_key() -> str:
    """Changes whenever an installed trytond module changes version, or the demo data changes."""
    versions = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in metadata.distributions()
        if (dist.metadata["Name"] or "").lower().startswith(("trytond", "proteus"))
    )
    data = repr((PRODUCTS, CUSTOMER, COUNTRIES))
    return hashlib.sha256("\n".join([*versions, data]).encode()).hexdigest()[:16]


def demo_template(cache_dir: Path | None = None) -> Path:
    """The cached demo database file, built on first use (one builder at a time, by file lock)."""
    folder = (cache_dir or Path(os.environ.get("ERP_SHOPIFY_TRYTON_CACHE", _DEFAULT_CACHE))) / template_key()
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / f"{DATABASE}.sqlite"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            _build(template)
    return template


def copy_database(template: Path, folder: Path) -> Path:
    """A private copy of the template in ``folder``, named for the database trytond serves."""
    target = folder / template.name
    shutil.copyfile(template, target)
    return target


def _build(template: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tryton-build-") as work:
        folder = Path(work)
        config = write_config(folder)
        (folder / f"{DATABASE}.sqlite").touch()
        passfile = folder / "admin-password"
        passfile.write_text(ADMIN_PASSWORD + "\n")
        env = {**os.environ, "TRYTONPASSFILE": str(passfile)}
        bindir = Path(sys.executable).parent
        admin = [str(bindir / "trytond-admin"), "-c", str(config), "-d", DATABASE]
        subprocess.run(
            [*admin, "--all", "-u", *_MODULES, "--activate-dependencies", "--email", "admin@example.com"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [sys.executable, "-m", __name__, str(config)],
            env=env,
            check=True,
            capture_output=True,
        )
        shutil.copyfile(folder / f"{DATABASE}.sqlite", template.with_suffix(".tmp"))
        template.with_suffix(".tmp").rename(template)


def populate(config_file: str) -> None:
    """Company, customer, products and their initial warehouse stock, through proteus."""
    from proteus import Model, Wizard
    from proteus import config as proteus_config

    proteus_config.set_trytond(DATABASE, config_file=config_file)
    Currency = Model.get("currency.currency")
    Party = Model.get("party.party")
    Company = Model.get("company.company")
    User = Model.get("res.user")
    Location = Model.get("stock.location")
    Uom = Model.get("product.uom")
    Template = Model.get("product.template")
    Move = Model.get("stock.move")

    currency = Currency(name="Euro", code=CURRENCY, symbol="€", rounding=Decimal("0.01"), digits=2)
    currency.save()
    company_config = Wizard("company.company.config")
    company_config.execute("company")
    company = company_config.form
    company.party = Party(name="Demo Shop GmbH")
    company.party.save()
    company.currency = currency
    company_config.execute("add")
    company = Company.find([])[0]
    proteus_config.get_config()._context = User.get_preferences(True, {})

    Country = Model.get("country.country")
    Subdivision = Model.get("country.subdivision")
    for code, (name, subdivisions) in COUNTRIES.items():
        country = Country(name=name, code=code)
        country.save()
        for sub, sub_name in subdivisions.items():
            Subdivision(country=country, name=sub_name, code=f"{code}-{sub}", type="state").save()

    customer = Party(name=CUSTOMER)
    customer.addresses[0].street = "Shopify orders (ship-to on each sale)"
    customer.save()

    unit = Uom.find([("name", "=", "Unit")])[0]
    warehouse = Location.find([("code", "=", WAREHOUSE)])[0]
    supplier = Location.find([("code", "=", "SUP")])[0]
    moves = []
    for code, name, price, stock in PRODUCTS:
        template = Template(
            name=name, code=code, type="goods", default_uom=unit, salable=True, list_price=Decimal(price)
        )
        template.save()
        if stock:
            moves.append(
                Move(
                    product=template.products[0],
                    unit=unit,
                    quantity=stock,
                    from_location=supplier,
                    to_location=warehouse.storage_location,
                    unit_price=Decimal(price),
                    currency=currency,
                    company=company,
                )
            )
    Move.save(moves)
    Move.click(moves, "do")


if __name__ == "__main__":
    populate(sys.argv[1])
