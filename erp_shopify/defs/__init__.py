"""Every domain's Dagster objects, one package per domain (loaded by ``definitions.py``).

Two Dagster warnings are silenced here, before any of them is built (the command line imports
some of these modules without ``definitions.py``):
- Dagster's own ``run_failure_sensor`` always passes the beta ``owners`` parameter (even as None),
  which would warn on every load although this project never sets it.
- Per-shop checks are partitioned like their asset, so one shop's result never hides another's in
  the UI; Dagster marks partitioned check specs as preview. The exact Dagster version is pinned.
"""

from __future__ import annotations

import warnings

import dagster as dg

warnings.filterwarnings(
    "ignore", message="Parameter `owners` of initializer `SensorDefinition", category=dg.BetaWarning
)
warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)
