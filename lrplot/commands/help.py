"""``--help`` as plain text: arguments with their help, then options grouped in panels.

Options carry their panel the Typer way (``typer.Option(rich_help_panel=...)``); those
without one are listed under "Options", the panels follow in the order they first appear.
Every section shares one column for the descriptions, so the help reads as one table in 80
columns. Rendering it needs no rich: the panels are the same as Typer's boxes, without the
boxes, the ~40 ms of importing rich, or a width the reference in docs/cli.md would depend on.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from typer.core import TyperCommand, TyperGroup

from lrplot.commands.toolkit import click

DEFAULT_PANEL = "Options"
TERM_MAX = 30  # a longer option name gets a line of its own
SPACING = 2


Rows = list[tuple[str, str]]


def write_sections(formatter: Any, sections: Iterable[tuple[str, Rows]]) -> None:
    """Write ``(title, rows)`` sections as definition lists sharing one description column
    (click's own ``write_dl`` sizes each list apart, and splits ``--dataset-size`` at its hyphen)."""
    sections = [(title, rows) for title, rows in sections if rows]
    if not sections:
        return
    fitting = [len(term) for _, rows in sections for term, _ in rows if len(term) <= TERM_MAX]
    column = max(fitting or [TERM_MAX]) + SPACING
    for title, rows in sections:
        with formatter.section(title):
            indent = " " * formatter.current_indent
            width = max(formatter.width - formatter.current_indent - column, 10)
            for term, text in rows:
                lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
                if len(term) + SPACING > column and lines:
                    formatter.write(f"{indent}{term}\n")
                    term = ""
                first = f"{indent}{term:<{column}}{lines[0]}" if lines else f"{indent}{term}"
                formatter.write(first.rstrip() + "\n")
                for line in lines[1:]:
                    formatter.write(f"{indent}{'':<{column}}{line}\n")


def metavar(param: Any, ctx: Any) -> str:
    """The value's name in the help, in click's words (PATH, INTEGER, [png|svg|...], TEXT).

    Typer 0.29 shows annotations (``<list[pathlib.Path]>``); a user reads the kind of value.
    """
    if param.metavar is not None:
        return str(param.metavar)
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None)
    if choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in choices) + "]"
    annotation = getattr(descriptor, "annotation", str)
    inner = getattr(annotation, "__args__", None)
    if getattr(annotation, "__origin__", None) is list and inner:
        annotation = inner[0]
    names = {int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}
    if annotation in names:
        return names[annotation]
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "PATH"
    return "TEXT"


def option_record(param: Any, ctx: Any) -> tuple[str, str]:
    """``-o, --output PATH`` and its help with ``[default: ...]`` where one is worth saying."""
    names = ", ".join(sorted(param.opts, key=lambda o: (o.startswith("--"), o)))
    term = names if param.is_flag else f"{names} {metavar(param, ctx)}"
    extra = []
    default = param.default
    if param.show_default and not param.is_flag and not param.multiple and default is not None:
        extra.append(f"default: {getattr(default, 'value', default)}")
    if getattr(param, "min", None) is not None:
        extra.append(f"x>={param.min}")
    if param.required:
        extra.append("required")
    text = param.help or ""
    return term, f"{text}  [{'; '.join(extra)}]" if extra else text


def parameter_sections(ctx: Any, command: Any) -> list[tuple[str, Rows]]:
    """The command's arguments, then its options by panel."""
    arguments: Rows = []
    panels: dict[str, Rows] = {DEFAULT_PANEL: []}
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            text = getattr(param, "help", None) or ""
            name = (param.name or "").upper() + ("..." if param.nargs == -1 else "")
            name = name if param.required else f"[{name}]"
            arguments.append((name, f"{text}  [required]" if param.required else text))
            continue
        record = option_record(param, ctx)
        panels.setdefault(getattr(param, "rich_help_panel", None) or DEFAULT_PANEL, []).append(record)
    return [("Arguments", arguments), *panels.items()]


def first_paragraph(command: Any) -> str:
    """A command's summary for the command list: its help's whole first paragraph."""
    text = command.short_help or inspect.cleandoc(command.help or "").partition("\f")[0]
    return " ".join(text.split("\n\n", 1)[0].split())


class _PlainHelp:
    """Usage, help text, the sections of :meth:`format_options`, epilog: no rich, no boxes."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)  # type: ignore[attr-defined]
        self.format_help_text(ctx, formatter)  # type: ignore[attr-defined]
        self.format_options(ctx, formatter)  # type: ignore[attr-defined]
        self.format_epilog(ctx, formatter)  # type: ignore[attr-defined]


class PanelCommand(_PlainHelp, TyperCommand):
    """A Typer command whose help lists arguments with help and options in panels."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS] CONFIGS...`` as click writes it (Typer 0.29 writes ``{configs}...``)."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = (param.name or "").upper() + ("..." if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        write_sections(formatter, parameter_sections(ctx, self))


class PanelGroup(_PlainHelp, TyperGroup):
    """A Typer group listing its options, then its commands in the order they were added,
    with their whole first paragraph (click shortens it to ~45 characters)."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        commands = [(name, self.commands[name]) for name in self.list_commands(ctx)]
        rows = [(name, first_paragraph(command)) for name, command in commands if not command.hidden]
        write_sections(formatter, [*parameter_sections(ctx, self), ("Commands", rows)])


__all__ = ["PanelCommand", "PanelGroup", "click", "write_sections"]
