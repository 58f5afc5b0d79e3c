"""Checking option values without pydantic: the command line's start-up budget.

Typer 0.29 checks every parameter of the invoked command through a pydantic
``TypeAdapter`` built on first use: importing pydantic's validation machinery and building
~20 adapters costs more than the rest of a typical ``lrplot plot`` start-up (measured in
docs/performance.md). lrplot's parameters are a handful of plain kinds (text, paths,
integers and numbers through the parsers of :mod:`lrplot.commands.options`, enum choices,
flags, lists of these), so each gets a small converter with the same results and
messages. This relies on one Typer detail (a parameter's ``_runtime_param``, its cached
coercion): on a Typer without it, :func:`coerce_plainly` changes nothing and Typer's own
coercion runs, slower but the same.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import Any, Union, get_args, get_origin

import typer

try:
    from typer._coercion import RuntimeParam
except ImportError:  # another Typer: keep its own coercion
    RuntimeParam = None  # type: ignore[assignment,misc]


def _leaf(annotation: Any) -> Any:
    """``X`` from ``X | None`` and ``list[X]`` (the kinds lrplot's options are)."""
    while True:
        origin = get_origin(annotation)
        args = [a for a in get_args(annotation) if a is not type(None)]
        if origin is list or (
            (origin is Union or type(annotation).__name__ == "UnionType") and len(args) == 1
        ):
            annotation = args[0]
            continue
        return annotation


def _converter(
    annotation: Any, parser: Callable[[Any], Any] | None, case_sensitive: bool
) -> Callable[[Any], Any]:
    if parser is not None:
        return parser
    leaf = _leaf(annotation)
    if isinstance(leaf, type) and issubclass(leaf, enum.Enum):
        members = list(leaf)

        def choice(value: Any) -> Any:
            if isinstance(value, leaf):
                return value
            text = str(value)
            for member in members:
                if member.value == text or (not case_sensitive and str(member.value).lower() == text.lower()):
                    return member
            raise typer.BadParameter(f"{text!r} is not one of {', '.join(repr(m.value) for m in members)}")

        return choice
    if leaf is bool:
        return lambda value: (
            value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")
        )
    if isinstance(leaf, type) and issubclass(leaf, PurePath):

        def path(value: Any) -> Any:
            if isinstance(value, leaf):
                return value
            if "\x00" in str(value):  # no file has such a name; refused before any file is read
                raise typer.BadParameter("a path cannot contain a NUL character")
            return leaf(value)

        return path
    if leaf is int:
        return lambda value: value if isinstance(value, int) else int(str(value))
    if leaf is float:
        return lambda value: value if isinstance(value, float) else float(str(value))
    return lambda value: value if isinstance(value, str) else str(value)


if RuntimeParam is not None:

    class PlainRuntimeParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """One parameter's coercion by a plain converter (one value, or each of a list)."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            convert = _converter(
                self.annotation, self.parameter_info.parser, self.parameter_info.case_sensitive
            )
            try:
                if isinstance(value, (list, tuple)):
                    return [convert(item) for item in value]
                return convert(value)
            except typer.BadParameter as error:
                error.ctx, error.param = ctx, param
                raise
            except (TypeError, ValueError) as error:
                raise typer.BadParameter(str(error), ctx=ctx, param=param) from None


def coerce_plainly(params: Iterable[Any]) -> None:
    """Give each Typer parameter a plain converter instead of a pydantic adapter."""
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if (
            descriptor is None
            or not hasattr(param, "_runtime_param")
            or descriptor.file_annotation is not None
        ):
            continue
        param._runtime_param = PlainRuntimeParam(
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
        )
