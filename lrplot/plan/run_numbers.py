"""Scheduler keywords that follow the run: ``T_max: "total_step - 2000"``.

A numeric scheduler keyword may be written as an expression in the run's numbers,
``total_step``, ``steps_per_epoch`` and ``epochs`` (``total_step // steps_per_epoch``),
evaluated with the expression sandbox (:mod:`lrplot.expressions`) after ``--set`` and
sweeps, so ``--set total_step=100000`` keeps ``T_max`` consistent with the run.

When a string is an expression: the keyword's parameter in the class's (or factory's)
signature is annotated as a number (``int``, ``float``, optionally with ``None``) or a list
of numbers (then each string item is one), or is unannotated with a number as its default
(``SWALR``'s ``anneal_epochs``). Keywords typed as strings (``mode``, ``anneal_strategy``,
``threshold_mode``, ``name``), ``lr_lambda`` and ``scale_fn`` (their own expressions) and
keywords of classes without a signature keep their text, and torch judges them as usual.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

from lrplot.errors import ExpressionError, KeyPath, LrplotError
from lrplot.expressions import compile_expression, shorten
from lrplot.limits import amount_text, finite
from lrplot.plan.classes import EXPRESSION_KEYWORDS
from lrplot.plan.keywords import KeywordSpec, annotation_text, split_top

RUN_VARIABLES = ("total_step", "steps_per_epoch", "epochs")
_NUMBERS = {
    "int": "int",
    "float": "float",
    "Tensor": "float",
    "torch.Tensor": "float",
    "SupportsFloat": "float",
}
_LIST = re.compile(r"^(?:list|List|Iterable|Sequence|tuple|Tuple|collections\.abc\.\w+|typing\.\w+)\[(.*)\]$")


@dataclass(frozen=True)
class RunNumbers:
    """The numbers of one curve's run that keyword expressions may use."""

    total_step: int
    steps_per_epoch: int | None = None

    @property
    def epochs(self) -> int | None:
        """Whole epochs in the run (what a scheduler stepped once per epoch counts)."""
        return self.total_step // self.steps_per_epoch if self.steps_per_epoch else None

    def values(self) -> dict[str, int | None]:
        return {"total_step": self.total_step, "steps_per_epoch": self.steps_per_epoch, "epochs": self.epochs}


def numeric_kind(parameter: inspect.Parameter) -> tuple[str | None, str | None]:
    """(kind of a plain number, kind of a list item): ``"int"``, ``"float"`` or None each.

    >>> numeric_kind(inspect.Parameter("T_max", inspect.Parameter.KEYWORD_ONLY, annotation="int"))
    ('int', None)
    >>> numeric_kind(inspect.Parameter("m", inspect.Parameter.KEYWORD_ONLY, annotation="float | list[float]"))
    ('float', 'float')
    >>> mode = inspect.Parameter("mode", inspect.Parameter.KEYWORD_ONLY, annotation="Literal['min', 'max']")
    >>> numeric_kind(mode)
    (None, None)
    """
    text = annotation_text(parameter.annotation)
    if not text:
        default = parameter.default
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            return None, None
        return ("int" if isinstance(default, int) else "float"), None
    plain: set[str] = set()
    items: set[str] = set()
    for option in _options(text):
        if option in _NUMBERS:
            plain.add(_NUMBERS[option])
        listed = _LIST.match(option)
        if listed:
            items.update(_NUMBERS[o] for o in _options(listed.group(1)) if o in _NUMBERS)
    return _widest(plain), _widest(items)


def _options(text: str) -> list[str]:
    """The alternatives of an annotation: ``int | None``, ``Optional[int]``, ``Union[a, b]``."""
    text = text.strip()
    for wrapper in ("Optional[", "typing.Optional["):
        if text.startswith(wrapper) and text.endswith("]"):
            return [*_options(text[len(wrapper) : -1]), "None"]
    for wrapper in ("Union[", "typing.Union["):
        if text.startswith(wrapper) and text.endswith("]"):
            return [o for part in split_top(text[len(wrapper) : -1], ",") for o in _options(part)]
    parts = split_top(text, "|")
    return [text] if len(parts) == 1 else [o for part in parts for o in _options(part)]


def _widest(kinds: set[str]) -> str | None:
    return "float" if "float" in kinds else ("int" if kinds else None)


def follow_run(
    target: Any, keywords: dict[str, Any], run: RunNumbers, key_path: KeyPath, what: str = "scheduler"
) -> dict[str, Any]:
    """``keywords`` with every run expression replaced by its value (the others unchanged).

    ``what`` names the class in messages (``scheduler StepLR``).
    """
    return follow_parameters(KeywordSpec.of(target).parameters, keywords, run, key_path, what)


def follow_parameters(
    parameters: dict[str, inspect.Parameter],
    keywords: dict[str, Any],
    run: RunNumbers,
    key_path: KeyPath,
    what: str = "scheduler",
) -> dict[str, Any]:
    """:func:`follow_run` on a signature's ``parameters`` (the torch-free planner reads them
    from torch's source: lrplot.plan.source_keywords)."""
    evaluated = dict(keywords)
    for name, value in keywords.items():
        parameter = parameters.get(name)
        if parameter is None or name in EXPRESSION_KEYWORDS:
            continue
        plain, item = numeric_kind(parameter)
        try:
            if isinstance(value, str) and plain is not None:
                evaluated[name] = evaluate(value, plain, run, (*key_path, name), name)
            elif isinstance(value, list) and item is not None and any(isinstance(v, str) for v in value):
                evaluated[name] = [
                    evaluate(v, item, run, (*key_path, name, index), f"{name}[{index}]")
                    if isinstance(v, str)
                    else v
                    for index, v in enumerate(value)
                ]
        except ExpressionError as error:
            kind = plain or f"a list of {item}"
            reason = error.message.split("': ", 1)[-1]
            raise LrplotError(
                f"{what} keyword {name!r} should be {kind} or an expression in {', '.join(RUN_VARIABLES)}, "
                f"got {shorten(str(value))!r} ({reason})",
                key_path=error.key_path,
            ) from None
    return evaluated


def evaluate(text: str, kind: str, run: RunNumbers, key_path: KeyPath, what: str) -> int | float:
    """One keyword expression's value: a whole number where the keyword takes an int.

    >>> evaluate("total_step - 2000", "int", RunNumbers(100_000), (), "T_max")
    98000
    >>> evaluate("steps_per_epoch * 5", "int", RunNumbers(1000, 50), (), "total_iters")
    250
    """
    numbers = run.values()
    missing = [name for name in ("steps_per_epoch", "epochs") if numbers[name] is None and _uses(text, name)]
    if missing:
        raise LrplotError(
            f"{what} {shorten(text)!r} uses {missing[0]}, but this curve has no steps_per_epoch "
            "(give steps_per_epoch, or dataset_size with batch_size)",
            key_path=key_path,
        )
    try:
        expression = compile_expression(text, RUN_VARIABLES, what=what)
        value = expression.function(*(numbers[name] for name in RUN_VARIABLES))
    except ExpressionError as error:
        error.key_path = key_path
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise LrplotError(
            f"{what} {shorten(text)!r} failed: {type(exc).__name__}: {exc}", key_path=key_path
        ) from None
    if not finite(value):
        shown = amount_text(value) if isinstance(value, int) else repr(value)
        raise LrplotError(f"{what} {shorten(text)!r} gives {shown}, not a finite number", key_path=key_path)
    if kind == "float":
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise LrplotError(
            f"{what} {shorten(text)!r} gives {value!r}, but {what} takes a whole number; "
            "wrap it in int(...) or round(...)",
            key_path=key_path,
        )
    return int(value)


def _uses(text: str, name: str) -> bool:
    return re.search(rf"\b{name}\b", text) is not None
