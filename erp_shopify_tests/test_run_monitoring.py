"""A run whose worker is killed (SIGKILL) under the daemon gives back what it held: it is failed,
and its ``erp`` pool slot comes back, so the next run needing the ERP starts.

The instance is the project's ``dagster.yaml`` with only the pool limit (1, so one crash would
block everything) and the monitoring intervals shortened to keep the test fast; production takes
at most ``poll_interval_seconds + free_slots_after_run_end_seconds`` (about 30 s) for the slot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")
FAST_MONITORING = {"poll_interval_seconds": 1, "free_slots_after_run_end_seconds": 1}


def _wait(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    assert config["run_monitoring"]["enabled"] and config["run_monitoring"]["free_slots_after_run_end_seconds"]
    config["run_monitoring"].update(FAST_MONITORING)
    config["concurrency"]["pools"]["default_limit"] = 1
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    location = {"python_module": {"module_name": "erp_shopify_tests.test_defs.crash_location"}}
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [location]}))
    return tmp_path


@pytest.fixture
def daemon(home: Path) -> Iterator[dict[str, str]]:
    env = os.environ | {"DAGSTER_HOME": str(home), "CRASH_TEST_DIR": str(home)}
    command = [str(DAGSTER.with_name("dagster-daemon")), "run", "-w", str(home / "workspace.yaml")]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def launch(env: dict[str, str], *, block: bool) -> None:
    config = {"ops": {"hold_erp_slot": {"config": {"block": block}}}}
    command = [str(DAGSTER), "job", "launch", "-w", str(Path(env["DAGSTER_HOME"]) / "workspace.yaml")]
    command += ["-j", "erp_slot_holder", "--config-json", json.dumps(config)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


@pytest.mark.slow
def test_a_run_whose_worker_is_killed_is_failed_and_its_pool_slot_comes_back(
    home: Path, daemon: dict[str, str]
) -> None:
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        launch(daemon, block=True)
        (crashed,) = instance.get_runs()
        pid_file = home / f"{crashed.run_id}.pid"
        worker = int(_wait(lambda: pid_file.exists() and pid_file.read_text(), 120, "the run to hold the slot"))
        assert instance.get_run_by_id(crashed.run_id).status == dg.DagsterRunStatus.STARTED  # type: ignore[union-attr]
        os.kill(worker, signal.SIGKILL)

        def finished(run_id: str) -> dg.DagsterRun | None:
            run = instance.get_run_by_id(run_id)
            return run if run is not None and run.is_finished else None

        ended = _wait(lambda: finished(crashed.run_id), 30, "the crashed run to be ended")
        assert ended.status == dg.DagsterRunStatus.FAILURE

        launch(daemon, block=False)  # needs the only erp slot
        (_, after) = instance.get_runs()[::-1]
        done = _wait(lambda: finished(after.run_id), 120, "the next ERP run to finish")
        assert done.status == dg.DagsterRunStatus.SUCCESS
    finally:
        instance.dispose()
