"""Keywords checked against the torch class's own signature, before anything is built.

torch's annotations are strings; a small matcher decides int/float/bool/Literal/list and
lets every unknown annotation through, so torch itself decides what it accepts.
"""

from __future__ import annotations

import difflib
import inspect
import re
from dataclasses import dataclass
from typing import Any

from lrplot.errors import KeyPath, LrplotError, report
from lrplot.plan.classes import EXPRESSION_KEYWORDS, SUPPLIED


@dataclass
class KeywordSpec:
    """What a class's signature says about its keywords."""

    parameters: dict[str, inspect.Parameter]
    accepts_any: bool

    @classmethod
    def of(cls, target: type) -> KeywordSpec:
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            return cls(parameters={}, accepts_any=True)
        parameters = {
            name: p
            for name, p in signature.parameters.items()
            if name not in SUPPLIED and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        return cls(parameters=parameters, accepts_any=accepts_any)

    def valid_names(self, skip: set[str] = frozenset()) -> str:
        return ", ".join(n for n in self.parameters if n not in skip) or "(none)"


def check_keywords(
    target: type, keywords: dict[str, Any], what: str, key_path: KeyPath, *, handled: set[str] = frozenset()
) -> None:
    """Refuse unknown, missing and ill-typed keywords, judged by the class's signature."""
    spec = KeywordSpec.of(target)
    for name, value in keywords.items():
        if name in handled:
            continue
        parameter = spec.parameters.get(name)
        if parameter is None:
            if spec.accepts_any:
                continue
            close = difflib.get_close_matches(name, list(spec.parameters), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report(
                LrplotError(
                    f"{what} has no keyword {name!r}{hint}; valid: {spec.valid_names(handled)}",
                    key_path=(*key_path, name),
                )
            )
            continue
        if name in EXPRESSION_KEYWORDS:
            continue
        expected = annotation_text(parameter.annotation)
        if expected and not matches_annotation(value, expected):
            report(
                LrplotError(
                    f"{what} keyword {name!r} should be {readable(expected)}, got {value!r}",
                    key_path=(*key_path, name),
                )
            )
    for name, parameter in spec.parameters.items():
        if (
            parameter.default is inspect.Parameter.empty
            and parameter.kind is not inspect.Parameter.VAR_KEYWORD
            and name not in keywords
            and name not in handled
        ):
            report(LrplotError(f"{what} needs keyword {name!r}", key_path=key_path))


def annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def readable(annotation: str) -> str:
    """An annotation as a config writer reads it: Tensor is a float, Iterable a list."""
    text = annotation.replace("torch.Tensor", "float").replace("Tensor", "float").replace("Iterable", "list")
    options = list(dict.fromkeys(part.strip() for part in split_top(text, "|")))
    return " | ".join(options)


def split_top(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside brackets (``list[int] | None`` → two parts)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[("
        depth -= char in "])"
        if char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def matches_annotation(value: Any, annotation: str) -> bool:
    """Whether a YAML value fits a (string) type annotation; unknown types always fit.

    >>> matches_annotation(5, "int"), matches_annotation(5.5, "int"), matches_annotation(5, "float")
    (True, False, True)
    >>> matches_annotation([1, 2], "Iterable[int]"), matches_annotation("cos", "Literal['cos', 'linear']")
    (True, True)
    >>> matches_annotation([0.8, 0.85], "float"), matches_annotation(["a"], "float")
    (True, False)
    >>> matches_annotation([0.9, 0.95], "tuple[typing.Union[float, torch.Tensor], ...]")  # 2.8/2.9 betas
    True
    """
    for option in split_top(annotation, "|"):
        verdict = _matches_one(value, option)
        if verdict is not False:
            return True
    return False


_NUMBER_NAMES = {"float", "Tensor", "torch.Tensor", "SupportsFloat"}
_SEQUENCE = re.compile(
    r"^(?:list|List|Iterable|Sequence|tuple|Tuple|collections\.abc\.\w+|typing\.\w+)\[(.*)\]$"
)


def _matches_one(value: Any, option: str) -> bool | None:
    """True/False when the option is understood, None when it is not (then it fits)."""
    option = option.strip()
    if option.startswith(("typing.Optional[", "typing.Union[")):
        option = option[len("typing.") :]
    if option.startswith("Optional[") and option.endswith("]"):
        return value is None or matches_annotation(value, option[9:-1])
    if option.startswith("Union[") and option.endswith("]"):  # any of its members, not a sequence
        return any(matches_annotation(value, member) for member in split_top(option[6:-1], ","))
    if option == "None":
        return value is None
    if option == "bool":
        return isinstance(value, bool)
    if option in ("int", *_NUMBER_NAMES) and isinstance(value, list):
        # One value per param group: torch's schedulers take lists where the annotation says
        # a number (CyclicLR/OneCycleLR base_momentum, max_momentum, SWALR swa_lr); torch decides.
        return bool(value) and all(_matches_one(v, option) for v in value)
    if option == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if option in _NUMBER_NAMES:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if option == "str":
        return isinstance(value, str)
    if option.startswith(("Literal[", "typing.Literal[")):
        inner = option[option.index("[") + 1 : -1]
        choices = [c.strip().strip("'\"") for c in split_top(inner, ",")]
        return isinstance(value, str) and value in choices
    sequence = _SEQUENCE.match(option)
    if sequence:
        if not isinstance(value, list):
            return False
        items = split_top(sequence.group(1), ",")
        if len(items) == 2 and items[1] == "...":
            items = items[:1]
        if len(items) == 1:
            return all(matches_annotation(v, items[0]) for v in value)
        return len(items) == len(value) and all(
            matches_annotation(v, t) for v, t in zip(value, items, strict=True)
        )
    return None
