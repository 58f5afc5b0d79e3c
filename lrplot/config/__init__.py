"""Stage 4: lrplot config data → a validated :class:`Config`.

This layer owns the config *contract* (the field names users' configs and CI snapshots
depend on): it merges ``defaults`` into each curve, validates the structure with pydantic
and turns every problem into one :class:`LrplotError` that names the key and its line.
"""

from __future__ import annotations

from typing import Any

from lrplot.config.curves import merge_defaults, scheduler_calls
from lrplot.config.loading import from_source, load, loads
from lrplot.config.models import (
    EPOCH_KEYS,
    Config,
    ConfigFile,
    Curve,
    CurveSpec,
    LintOptions,
    MetricLog,
    OptimizerSpec,
    PlotOptions,
    SchedulerSpec,
    Segment,
)
from lrplot.config.options import LoadOptions

__all__ = [
    "EPOCH_KEYS",
    "Config",
    "ConfigFile",
    "Curve",
    "CurveSpec",
    "LintOptions",
    "LoadOptions",
    "MetricLog",
    "OptimizerSpec",
    "PlotOptions",
    "SchedulerSpec",
    "Segment",
    "from_source",
    "json_schema",
    "load",
    "loads",
    "merge_defaults",
    "scheduler_calls",
]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config format (imported on demand: a plot never needs it)."""
    from lrplot.config.schema import json_schema as build

    return build()
