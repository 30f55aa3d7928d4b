"""The project files the demo and dev world read (``config/demo.yaml``, ``dagster.yaml``,
``workspace.yaml``), found the same way in a checkout and in an installed wheel.

They live at the root of the checkout, where ``make`` and ``dagster dev`` expect them;
``project_files/`` in this package holds links to them, which the wheel build turns into copies,
so an installed ``erp_shopify[sandbox]`` runs ``demo`` and ``dev`` without a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def project_file(relative: str) -> Path:
    """The shipped copy of a project file (``"config/demo.yaml"``), else the checkout's."""
    shipped = files(__package__ or "erp_shopify_sandbox") / "project_files" / Path(relative).name
    if shipped.is_file():
        return Path(str(shipped)).resolve()  # in a checkout: the linked file itself
    return CHECKOUT / relative
