"""What an operator sees in the UI: every asset says what it is, who owns it and what it touches;
every check, job, schedule and sensor says what it does."""

from __future__ import annotations

import dagster as dg
import pytest

from erp_shopify.definitions import defs
from erp_shopify.defs.shops import OWNERS


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    return defs().get_repository_def()


def test_every_asset_has_a_description_an_owner_and_kinds(repository: dg.RepositoryDefinition) -> None:
    specs = {node.key.to_user_string(): node for node in repository.asset_graph.asset_nodes}
    assert len(specs) >= 5
    for name, node in specs.items():
        assert node.description and list(node.owners) == OWNERS and node.kinds, name
    assert {"shopify", "pandas"} <= specs["sku_xref"].kinds and specs["order_queue"].kinds == {"redis"}


def test_every_check_job_schedule_and_sensor_says_what_it_does(repository: dg.RepositoryDefinition) -> None:
    graph = repository.asset_graph
    checks = {key.to_user_string(): graph.get(key).description for key in graph.asset_check_keys}
    jobs = {job.name: job.description for job in repository.get_all_jobs() if not job.name.startswith("__")}
    automations = {d.name: d.description for d in [*repository.schedule_defs, *repository.sensor_defs]}
    assert len(checks) >= 9 and len(jobs) >= 7 and len(automations) >= 9
    undescribed = [name for name, text in {**checks, **jobs, **automations}.items() if not text]
    assert undescribed == []
