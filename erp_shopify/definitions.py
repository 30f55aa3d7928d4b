"""The code location: load every domain's Dagster objects from ``defs/``. Nothing else lives here."""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

# Dagster's own run_failure_sensor always passes the beta `owners` parameter (even as None), which
# would warn on every load although this project never sets it.
warnings.filterwarnings(
    "ignore", message="Parameter `owners` of initializer `SensorDefinition", category=dg.BetaWarning
)
# Per-shop checks are partitioned like their asset, so one shop's result never hides another's in the
# UI; Dagster marks partitioned check specs as preview. The exact Dagster version is pinned.
warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
