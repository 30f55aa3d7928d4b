"""The pages an operator uses, rendered by headless Chromium from a real Dagster webserver on this
code location and the project's ``dagster.yaml``: the asset catalog, an inventory partition, the
order queue, the automation list and the lineage show the descriptions and metadata the definitions
give them. Screenshots of each land in the test's folder, or in ``$ERP_SHOPIFY_SCREENSHOTS``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import pytest

from erp_shopify.config import CONFIG_ENV
from erp_shopify.defs.shops import SHOPS
from erp_shopify_tests.test_defs.test_shops import shops_file
from erp_shopify_tests.test_ingest.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [  # no background traffic: this machine's network is closed
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
    "--virtual-time-budget=20000",  # virtual time: runs the page's scripts, waits on its requests
]
WATERMARK_SHOWN = "2026-11-30T14:33:47 (seen 2026/4900000033)"
PAGES = {
    "catalog": ("/assets", ["ERP stock changes since the watermark", "Shopify order, refund and cancel events"]),
    "inventory_partition": ("/assets/inventory_levels?view=partitions&partition=demo-us", [WATERMARK_SHOWN]),
    "order_queue": ("/assets/order_queue", ["HTTP 401 from the ERP", "order_sensor -&gt; deliver_orders"]),
    "automation": ("/automation", ["shared_stock_sensor", "order_sensor", "inventory_freshness_schedule"]),
    "lineage": ("/asset-groups", ["inventory", "orders", "pricing", "xref"]),
}


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dagster-webserver`` on this code location, over an instance holding one synced shop."""
    tmp_path = tmp_path_factory.mktemp("ui")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), CONFIG_ENV: str(shops_file(tmp_path, "demo-us"))}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(SHOPS, ["demo-us"])
        metadata = {"synced_through": WATERMARK_SHOWN, "written": 3}
        instance.report_runless_asset_event(
            dg.AssetMaterialization("inventory_levels", partition="demo-us", metadata=metadata)
        )
        instance.report_runless_asset_event(
            dg.AssetObservation("order_queue", metadata={"paused": "HTTP 401 from the ERP"})
        )
    port = free_port()
    command = [str(Path(sys.executable).parent / "dagster-webserver"), "-m", "erp_shopify.definitions"]
    server = subprocess.Popen([*command, "-h", "127.0.0.1", "-p", str(port)], env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "the webserver exited"
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def _chromium(tmp_path: Path, *args: str) -> str:
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed (`make test` installs it: apt-get install chromium)"
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    done = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.decode()


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_operators_pages_render_descriptions_and_metadata(webserver: str, tmp_path: Path, page: str) -> None:
    path, expected = PAGES[page]
    dom = ""
    for _ in range(3):  # a loaded machine may answer the page's first requests late: look again
        dom = _chromium(tmp_path, "--dump-dom", f"{webserver}{path}")
        if all(text in dom for text in expected):
            break
    folder = Path(os.environ.get("ERP_SHOPIFY_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    _chromium(tmp_path, f"--screenshot={folder / f'{page}.png'}", f"{webserver}{path}")
    assert [text for text in expected if text not in dom] == []
    assert "Join the Dagster community" not in dom  # the project's dagster.yaml turns the pop-up off
    assert (folder / f"{page}.png").stat().st_size > 20_000  # a rendered page, not a blank one
