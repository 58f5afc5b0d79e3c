"""axolotl's own config validation, where it concerns the schedule, before anything is drawn.

axolotl validates a config with pydantic before it trains (``AxolotlInputConfig``); a value
it refuses there never reaches a schedule, so lrplot refuses it too instead of drawing it
(issue 24: ``warmup_steps: 0.1`` was drawn). Importing axolotl's schema takes torch,
accelerate and transformers (2.6 s here) and axolotl installs only with ``--no-deps``, so its
schedule fields are declared below with the types axolotl declares them and checked by the
same pydantic in the same (lax) mode, so the verdicts on types are pydantic's own:
``warmup_steps: 10.0`` passes (an integral float), ``warmup_steps: 0.1`` is refused. The
model validators that concern the schedule are reproduced in axolotl's words.
tests/test_axolotl_checks.py runs the real ``AxolotlInputConfig`` (axolotl 0.19.0, installed
``--no-deps`` by the test command) on real configs and compares every verdict.

From axolotl 0.19.0 (the PyPI wheel): axolotl/utils/schemas/training.py
(HyperparametersConfig: gradient_accumulation_steps, micro_batch_size, batch_size,
learning_rate and its ``convert_learning_rate`` 280-285, lr_scheduler, lr_scheduler_kwargs,
lr_quadratic_warmup, cosine_min_lr_ratio, cosine_constant_lr_ratio, lr_div_factor,
num_epochs), axolotl/utils/schemas/config.py 1197-1212 (max_steps, warmup_steps,
warmup_ratio), axolotl/utils/schemas/validation.py: ``check_batch_size_fields`` 220-229,
``check_gas_bsz`` 275-282, ``check_warmup`` 297-302, ``check_pretraining_w_max_steps``
1478-1484, ``check_streaming_w_max_steps`` 1534-1541, ``check_simpo_warmup`` 1723-1729,
``check_relora`` (one_cycle) 1731-1759.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from lrplot.errors import KeyPath, LrplotError
from lrplot.own_models import OwnModelMetaclass

SOURCE = "axolotl 0.19.0's config validation"
_BATCH_FIELDS = "micro_batch_size, gradient_accumulation_steps, batch_size"


class ScheduleFields(BaseModel, metaclass=OwnModelMetaclass):
    """The fields of axolotl's config that decide the schedule, typed as axolotl types them."""

    model_config = ConfigDict(extra="ignore")

    gradient_accumulation_steps: int | None = 1
    micro_batch_size: int | None = 1
    batch_size: int | None = None
    learning_rate: str | float
    lr_scheduler: str | None = "cosine"
    lr_scheduler_kwargs: dict[str, Any] | None = None
    lr_quadratic_warmup: bool | None = None
    cosine_min_lr_ratio: float | None = None
    cosine_constant_lr_ratio: float | None = None
    lr_div_factor: float | None = None
    num_epochs: float = 1.0
    max_steps: int | None = None
    warmup_steps: int | None = None
    warmup_ratio: float | None = None

    @field_validator("learning_rate")
    @classmethod
    def convert_learning_rate(cls, learning_rate: str | float) -> str | float:
        """axolotl's own: a string learning rate is parsed with ``float`` (``"2e-5"`` passes)."""
        if learning_rate and isinstance(learning_rate, str):
            learning_rate = float(learning_rate)
        return learning_rate


def _model_checks(target: dict[str, Any]) -> tuple[str, str] | None:
    """axolotl's model validators that concern the schedule: (key, axolotl's reason) or None."""
    get = target.get
    if not (get("micro_batch_size") or get("gradient_accumulation_steps")) and get("batch_size"):
        return "batch_size", f"at least two of {_BATCH_FIELDS} must be set"
    if get("gradient_accumulation_steps") and get("batch_size"):
        return "batch_size", "set only one of gradient_accumulation_steps or batch_size"
    if get("warmup_steps") and get("warmup_ratio"):
        return "warmup_steps", "warmup_steps and warmup_ratio are mutually exclusive"
    if get("pretraining_dataset") and not get("max_steps"):
        return "max_steps", "max_steps must be set with an iterable pretraining_dataset"
    if get("streaming") and not get("max_steps"):
        return "max_steps", "max_steps must be set with streaming datasets"
    return None


def _after_checks(target: dict[str, Any]) -> tuple[str, str] | None:
    """The validators axolotl runs on the validated config (after the fields' types)."""
    if target.get("rl") == "simpo" and target.get("warmup_ratio"):
        return "warmup_ratio", "warmup_ratio is not supported with the simpo trainer (use warmup_steps)"
    if target.get("relora") and target.get("lr_scheduler") == "one_cycle":
        return "lr_scheduler", "ReLoRA is not compatible with the one_cycle scheduler"
    return None


def check_schedule_fields(target: dict[str, Any], prefix: KeyPath) -> None:
    """Refuse what axolotl's validation refuses, in one line naming the key (never its value)."""
    refused = _model_checks(target)
    if refused is None:
        fields = {key: target[key] for key in ScheduleFields.model_fields if key in target}
        try:
            ScheduleFields.model_validate(fields)
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False, include_context=False)[0]
            key = str(first["loc"][0]) if first["loc"] else "learning_rate"
            reason = first["msg"][0].lower() + first["msg"][1:]
            if first["type"] == "missing":
                reason = "it has no default"
            elif first["type"] == "value_error":
                reason = "not a number"
            refused = key, reason
    if refused is None:
        refused = _after_checks(target)
    if refused is not None:
        key, reason = refused
        raise LrplotError(f"axolotl refuses {key}: {reason} ({SOURCE})", key_path=(*prefix, key))
