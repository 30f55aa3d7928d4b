"""``erp-shopify dlq list|show|replay`` and ``erp-shopify resume`` on real Redis and the ERP sandbox."""

from __future__ import annotations

import json

from click.testing import CliRunner

from erp_shopify.cli import main
from erp_shopify.delivery import erp_connection
from erp_shopify_tests.test_delivery.conftest import SHOP, Rig
from erp_shopify_tests.test_mapping.order_payloads import order_payload


def test_dlq_list_show_and_replay_by_id(rig: Rig) -> None:
    rig.queue("orders/create", order_payload(5001, [("GHOST-5", 1, "1.00")]))
    rig.deliver()
    runner = CliRunner()
    config = ["--config", str(rig.config_path)]
    listed = runner.invoke(main, ["dlq", "list", *config])
    assert listed.exit_code == 0, listed.output
    [line] = [x for x in listed.output.splitlines() if "GHOST-5" in x]
    entry_id = line.split()[0]
    assert f"{SHOP}  orders/create  gid://shopify/Order/5001  data" in line
    shown = runner.invoke(main, ["dlq", "show", *config, entry_id])
    detail = json.loads(shown.output)
    assert detail["payload"]["admin_graphql_api_id"] == "gid://shopify/Order/5001"
    assert detail["erp_payload"]["external_ref"] == f"{SHOP}-5001"
    assert detail["headers"]["X-Shopify-Hmac-Sha256"] == "[redacted]"
    assert len(detail["attempts"]) == 1
    replayed = runner.invoke(main, ["dlq", "replay", *config, "--id", entry_id])
    assert replayed.exit_code == 0 and f"{entry_id} -> queued as" in replayed.output
    assert rig.parts.dead_letters.depth() == 0 and rig.parts.stream.depth() == 1


def test_dlq_replay_without_a_selection_is_refused(rig: Rig) -> None:
    result = CliRunner().invoke(main, ["dlq", "replay", "--config", str(rig.config_path)])
    assert result.exit_code != 0 and "say what to replay" in result.output


def test_resume_command_keeps_the_pause_while_the_erp_refuses_then_lifts_it(rig: Rig) -> None:
    rig.parts.pauses.pause(erp_connection(rig.settings), "HTTP 401")
    rig.faults(unauthorized=True)
    refused = CliRunner().invoke(main, ["resume", "--config", str(rig.config_path)])
    rig.faults()
    assert refused.exit_code != 0 and "pause kept" in refused.output
    assert rig.parts.pauses.status(erp_connection(rig.settings)) is not None
    resumed = CliRunner().invoke(main, ["resume", "--config", str(rig.config_path)])
    assert resumed.exit_code == 0 and "resumed" in resumed.output
    assert rig.parts.pauses.status(erp_connection(rig.settings)) is None


def test_dlq_purge_removes_only_letters_past_the_retention(rig: Rig) -> None:
    rig.queue("orders/create", order_payload(5002, [("GHOST-6", 1, "1.00")]))
    rig.deliver()
    key, client = rig.parts.dead_letters.key, rig.parts.dead_letters.client
    [(_, fields)] = client.xrange(key)
    client.delete(key)
    client.xadd(key, fields, id="1000-0")  # a letter added in 1970: far past any retention
    fresh = client.xadd(key, fields)
    config = ["--config", str(rig.config_path)]
    purged = CliRunner().invoke(main, ["dlq", "purge", *config])
    assert purged.exit_code == 0, purged.output
    assert purged.output.strip() == "1 dead letter(s) older than 30 day(s) removed, 1 kept"
    assert [x.id for x in rig.parts.dead_letters.list()] == [fresh.decode()]
    again = CliRunner().invoke(main, ["dlq", "purge", *config, "--older-than-days", "0"])
    assert (
        again.exit_code == 2 and "0.0 is not in the range x>0" in again.output
    )  # a zero retention would empty the queue by accident
