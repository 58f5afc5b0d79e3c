"""ReduceLROnPlateau's metric: the lr, an expression in step and lr, or a training log's column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrplot.config import MetricLog
from lrplot.errors import ExpressionError, KeyPath, LrplotError, printable
from lrplot.expressions import Expression, compile_expression
from lrplot.limits import log_limit
from lrplot.read.logs import named_column, number_cell, opened_log


@dataclass
class MetricSource:
    """Where ReduceLROnPlateau's metric comes from at each step."""

    description: str
    expression: Expression | None = None
    values: list[float] | None = None

    def value(self, call: int, step: int, lr: float) -> Any:
        """The metric for ``scheduler.step()`` number ``call``, made after recording ``step``:
        a log's row for that call, or the expression of the step and the current lr."""
        if self.values is not None:
            return self.values[call]
        assert self.expression is not None
        return self.expression.function(step, lr)


def is_plateau(cls: Any) -> bool:
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    return isinstance(cls, type) and issubclass(cls, ReduceLROnPlateau)


def plan_metric(
    value: Any, calls: int, scheduler_cls: Any, scheduler_name: str, base_dir: Path, key_path: KeyPath
) -> MetricSource | None:
    """Where ReduceLROnPlateau's metric comes from; ``calls`` is how many step() calls need one."""
    metric_path = (*key_path, "metric")
    if not is_plateau(scheduler_cls):
        if value is not None:
            raise LrplotError(
                f"metric is only used by ReduceLROnPlateau, not {scheduler_name}", key_path=metric_path
            )
        return None
    if value is None:
        raise LrplotError(
            "ReduceLROnPlateau needs 'metric:': lr, an expression in step and lr, "
            "or {csv: FILE, column: NAME}",
            key_path=key_path,
        )
    if isinstance(value, MetricLog):
        return _read_metric_log(value, base_dir, calls, metric_path)
    try:
        expression = compile_expression(value, ("step", "lr"), aliases={"epoch": "step"}, what="metric")
    except ExpressionError as error:
        error.key_path = metric_path
        raise
    return MetricSource(description=expression.source, expression=expression)


def _read_metric_log(log: MetricLog, base_dir: Path, needed: int, key_path: KeyPath) -> MetricSource:
    path = Path(log.csv)
    with opened_log(path, "metric log", key_path, config_dir=base_dir, limit=log_limit()) as reader:
        named_column(log.column, list(reader.fieldnames or []), path, key_path)
        values = []
        for row in reader:
            number = number_cell(
                (row.get(log.column) or "").strip(), path, reader.line_num, log.column, key_path
            )
            if number != number or number in (float("inf"), float("-inf")):
                raise LrplotError(
                    f"{printable(str(path))}:{reader.line_num}: column {printable(repr(log.column), 80)} "
                    "is not finite",
                    key_path=key_path,
                )
            values.append(number)
    if len(values) < needed:
        raise LrplotError(
            f"metric log {printable(str(path))} has {len(values)} rows of {printable(repr(log.column), 80)}, "
            "but the curve calls "
            f"scheduler.step() {needed} times and needs one row for each",
            key_path=key_path,
        )
    return MetricSource(description=f"{log.csv}:{log.column}", values=values)
