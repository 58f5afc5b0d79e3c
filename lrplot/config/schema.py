"""The JSON Schema of the config format (``lrplot schema``), for editors' language servers."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from lrplot.config.models import ConfigFile, CurveSpec, MetricLog

_POSITIVE = {"type": "number", "exclusiveMinimum": 0}


class SchemaCurve(CurveSpec):
    """A curve as the JSON Schema describes it (numbers typed for editors)."""

    total_step: Any = Field(default=None, json_schema_extra=_POSITIVE)
    epochs: Any = Field(default=None, json_schema_extra=_POSITIVE)
    steps_per_epoch: Any = Field(default=None, json_schema_extra=_POSITIVE)
    dataset_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    batch_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    metric: str | float | MetricLog | None = Field(
        default=None,
        description="ReduceLROnPlateau only: 'lr', an expression in step and lr, or {csv, column}.",
    )


class SchemaConfig(ConfigFile):
    """The whole config format, for ``lrplot schema``."""

    model_config = ConfigDict(title="lrplot config", strict=True, extra="forbid")

    total_step: Any = Field(default=None, json_schema_extra=_POSITIVE)
    epochs: Any = Field(default=None, json_schema_extra=_POSITIVE)
    steps_per_epoch: Any = Field(default=None, json_schema_extra=_POSITIVE)
    dataset_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    batch_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    curves: list[SchemaCurve] = Field(min_length=1)  # type: ignore[assignment]
    defaults: dict[str, Any] | None = Field(
        default=None, description="Any curve keys, deep-merged into every curve."
    )


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the config format, for editors' YAML language servers."""
    schema = SchemaConfig.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
