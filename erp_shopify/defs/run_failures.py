"""One alert for every failed run of this code location (inventory, prices, xref and orders alike).

P1 to operations, naming the shop (the run's partition), the job and the error's class and message,
so nobody opens the UI to learn what broke. The alert is also written into the failed run's own
event log (an engine event), where whoever opens the run in the UI sees it.
"""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.resources import NotifierResource
from erp_shopify.notify import Alert, Severity

PARTITION_TAG = "dagster/partition"
MESSAGE_CHARS = 500


def failure_cause(context: dg.RunFailureSensorContext) -> tuple[str, str]:
    """(error class, message) of the first failed step, else of the run's failure event (a run that
    failed before any step ran, e.g. its worker died). Dagster wraps the user's error in its own
    (``DagsterExecutionLoadInputError`` ...): the alert names the wrapped one, the one to fix."""
    for step in context.get_step_failure_events():
        error = step.step_failure_data.error
        while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
            error = error.cause
        if error is not None:
            return error.cls_name or "Error", error.message.strip()
    return "RunFailure", (context.failure_event.message or "the run failed").strip()


def failure_alert(context: dg.RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    shop = run.tags.get(PARTITION_TAG)
    error_class, message = failure_cause(context)
    where = f" for shop {shop}" if shop else ""
    return Alert(
        Severity.P1,
        "operations",
        f"Dagster run {run.run_id[:8]} of {run.job_name}{where} failed: {error_class}",
        f"{message[:MESSAGE_CHARS]}\nSee the run's logs (order events of a failed run stay queued).",
    )


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts operations (P1) when any run of this code location fails, with the shop, the job and "
    "the error, and writes the alert into the failed run's log.",
)
def run_failed(context: dg.RunFailureSensorContext, notifier: NotifierResource) -> None:
    alert = failure_alert(context)
    notifier.notifier().send(alert)
    context.instance.report_engine_event(alert.text, context.dagster_run)
