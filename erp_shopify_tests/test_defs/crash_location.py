"""A code location for the crashed-run test: one job whose only op holds an ``erp`` pool slot, as
every ERP-calling asset does. It writes its process id to ``$CRASH_TEST_DIR/<run id>.pid`` and,
when asked to, blocks until its run worker is killed."""

import os
import time
from pathlib import Path

import dagster as dg


class HoldConfig(dg.Config):
    block: bool = True


@dg.op(pool="erp")
def hold_erp_slot(context: dg.OpExecutionContext, config: HoldConfig) -> None:
    (Path(os.environ["CRASH_TEST_DIR"]) / f"{context.run_id}.pid").write_text(str(os.getpid()))
    while config.block:
        time.sleep(0.2)


# In process: the op runs in the run worker itself, so killing the op's process kills the worker.
@dg.job(executor_def=dg.in_process_executor)
def erp_slot_holder() -> None:
    hold_erp_slot()


defs = dg.Definitions(jobs=[erp_slot_holder])
