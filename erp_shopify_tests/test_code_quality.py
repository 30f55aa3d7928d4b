"""The linters and the type checker run as part of the suite, so CI gates on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "erp_shopify", "erp_shopify_sandbox", "erp_shopify_tests"],
        ["ruff", "format", "--check", "erp_shopify", "erp_shopify_sandbox", "erp_shopify_tests"],
        ["mypy", "erp_shopify", "erp_shopify_sandbox"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_passes(command: list[str]) -> None:
    result = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
