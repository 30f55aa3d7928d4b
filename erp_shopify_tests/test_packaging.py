"""What ``pip install`` gives: the product's command line without the sandbox, and the sandbox's
commands (``sandbox``, ``demo``, ``dev``) once the ``sandbox`` extra is installed. Both packages
ship in the one wheel; the extra only adds dependencies."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import erp_shopify_sandbox

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "erp_shopify", "erp_shopify_sandbox")
PROJECT_FILES = ("config/demo.yaml", "dagster.yaml", "workspace.yaml")  # what demo and dev read
SANDBOX_COMMANDS = {"sandbox", "demo", "dev"}
_REQUIREMENT = re.compile(r"([A-Za-z0-9._-]+)(?:\[([^\]]+)\])?")


def _distributions(extra: str, extras: dict[str, list[str]]) -> set[str]:
    """The distributions an extra of erp_shopify brings, following ``erp_shopify[other]``."""
    names: set[str] = set()
    for requirement in extras[extra]:
        match = _REQUIREMENT.match(requirement)
        assert match, requirement
        name, nested = match.groups()
        if name == "erp_shopify":
            for other in nested.split(","):
                names |= _distributions(other.strip(), extras)
        else:
            names.add(name)
    return names


def test_the_sandbox_checks_for_exactly_the_distributions_of_its_extra() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert _distributions("sandbox", extras) == set(erp_shopify_sandbox.EXTRA)


def _commands(help_text: str) -> set[str]:
    listing = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


@pytest.mark.slow
@pytest.mark.timeout(900)  # two real installs from the package index: 3 to 5 minutes on two busy cores
def test_pip_install_gives_the_product_cli_and_the_sandbox_extra_adds_its_commands(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

    def pip_install(requirement: str) -> None:
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile"]
        installed = run(*pip, requirement)
        assert installed.returncode == 0, installed.stderr[-3000:]

    cli = str(venv / "bin" / "erp-shopify")
    pip_install(str(source))
    overview = run(cli, "--help")
    assert overview.returncode == 0, overview.stderr
    commands = _commands(overview.stdout)
    assert {"artefacts", "shops", "webhooks", "dlq", "resume"} <= commands
    assert not commands & SANDBOX_COMMANDS
    artefacts = run(cli, "artefacts", "--help")
    assert artefacts.returncode == 0 and "fetch" in artefacts.stdout
    refused = run(cli, "sandbox", "--help")
    assert refused.returncode == 2
    assert "'sandbox' is not installed" in refused.stderr and "pip install 'erp_shopify[sandbox]'" in refused.stderr

    pip_install(f"{source}[sandbox]")
    assert _commands(run(cli, "--help").stdout) >= SANDBOX_COMMANDS
    sandbox = run(cli, "sandbox", "--help")
    assert sandbox.returncode == 0, sandbox.stderr
    assert "[sap|netsuite|tryton|oracle|none]" in sandbox.stdout  # every ERP sandbox is offered
    python = str(venv / "bin" / "python")
    where = "from erp_shopify_sandbox.files import project_file; print(project_file({!r}))"
    for name in PROJECT_FILES:
        found = run(python, "-c", where.format(name))
        shipped = Path(found.stdout.strip())
        assert "site-packages" in shipped.parts and shipped.read_text() == (ROOT / name).read_text()


def test_the_license_is_the_apache_2_text_that_pyproject_declares() -> None:
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and "9. Accepting Warranty or Additional Liability." in text


def test_the_demo_and_dev_files_ship_inside_the_sandbox_package() -> None:
    from erp_shopify_sandbox.files import project_file

    for name in PROJECT_FILES:
        packaged = Path(erp_shopify_sandbox.__file__).parent / "project_files" / Path(name).name
        assert packaged.read_text() == (ROOT / name).read_text()  # the wheel copies what the link names
        assert project_file(name) == (ROOT / name).resolve()
