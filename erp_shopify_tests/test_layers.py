"""The import layers of docs/architecture.md hold: read from the source (``ast``), every import counts,
at module level or inside a function, and so does a module named in a string to be imported
(``importlib.import_module("a.b")``, a ``"a.b:attribute"`` target).

The layer order is stated once, in the ``layers`` block of docs/architecture.md, which this test
parses: changing the order means changing the document.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT / "erp_shopify"
SANDBOX = ROOT / "erp_shopify_sandbox"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# The sandbox's demo and dev world drive the product end to end; nothing else of it may use the product.
SANDBOX_ENTRY_POINTS = {"demo.py", "demo_orders.py", "devserver.py", "tryton_demo.py"}

_LAYERS_BLOCK = re.compile(r"^```layers\n(.*?)^```", re.MULTILINE | re.DOTALL)
_TARGET = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+:[A-Za-z_]\w*$")  # "package.module:attribute"


def layers() -> dict[str, int]:
    """Top-level module or package of ``erp_shopify`` -> its rank (0 = lowest), from the document:
    one ``name: modules`` line per layer, highest first."""
    match = _LAYERS_BLOCK.search(ARCHITECTURE.read_text())
    assert match, f"{ARCHITECTURE} has no ```layers block"
    lines = [line for line in match.group(1).splitlines() if line.strip()]
    ranks: dict[str, int] = {}
    for rank, line in enumerate(reversed(lines)):
        _, modules = line.split(":", 1)
        for module in modules.replace(",", " ").split():
            assert module not in ranks, f"{module} is in two layers"
            ranks[module] = rank
    return ranks


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in a file, relative ones resolved, and every module a string
    names for importing: the literal handed to ``import_module``, a ``module:attribute`` target."""
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] if node.level else [])
            module = ".".join(part for part in (base, node.module or "") if part)
            for alias in node.names:  # ``from erp_shopify import artefacts`` imports erp_shopify.artefacts
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and _called(node) == "import_module" and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _TARGET.match(node.value):
            yield node.lineno, node.value.split(":")[0]


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _top(module: str) -> str | None:
    """The ``erp_shopify`` top-level module or package an import reaches (None: not the product)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "erp_shopify" and len(parts) > 1 else None


def _sources(package: Path) -> list[Path]:
    return sorted(package.rglob("*.py"))


def test_every_product_module_has_a_layer() -> None:
    ranks = layers()
    tops = {_top(_module_of(path)) or "" for path in _sources(PRODUCT)} - {""}
    assert sorted(tops - ranks.keys()) == []
    assert sorted(ranks.keys() - tops) == []


def test_no_layer_imports_a_higher_one() -> None:
    ranks = layers()
    upward = []
    for path in _sources(PRODUCT):
        source = _top(_module_of(path))
        for line, module in imported_modules(path):
            target = _top(module)
            if source and target in ranks and ranks[target] > ranks[source]:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({source}) imports {module} ({target})")
    assert upward == []


def imports_of(paths: list[Path], package: str) -> list[str]:
    """Every import of ``package`` (or of a module inside it) in these files, with file and line."""
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in imported_modules(path)
        if module.split(".")[0] == package
    ]


def test_the_product_never_imports_the_sandbox() -> None:
    assert imports_of(_sources(PRODUCT), "erp_shopify_sandbox") == []


def test_the_sandbox_uses_the_product_only_from_its_demo_and_dev_entry_points() -> None:
    beyond = [p for p in _sources(SANDBOX) if p.relative_to(SANDBOX).as_posix() not in SANDBOX_ENTRY_POINTS]
    assert imports_of(beyond, "erp_shopify") == []


def test_the_dagster_wiring_holds_no_command_line_code() -> None:
    assert imports_of(_sources(PRODUCT / "defs"), "click") == []
