"""``--help`` in plain click: arguments with their help, then options grouped in panels.

Options carry their panel (``PanelOption.panel``); those without one are listed under
"Options", the panels follow in the order they first appear. Every section shares one
column for the descriptions, so the help reads as one table in 80 columns.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Iterable

import click

DEFAULT_PANEL = "Options"
TERM_MAX = 30  # a longer option name gets a line of its own
SPACING = 2


Rows = list[tuple[str, str]]


def write_sections(formatter: click.HelpFormatter, sections: Iterable[tuple[str, Rows]]) -> None:
    """Write ``(title, rows)`` sections as definition lists sharing one description column
    (click's own ``write_dl`` sizes each list apart, and splits ``--dataset-size`` at its hyphen)."""
    sections = [(title, rows) for title, rows in sections if rows]
    if not sections:
        return
    column = min(TERM_MAX, max(len(term) for _, rows in sections for term, _ in rows)) + SPACING
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


def parameter_sections(ctx: click.Context, command: click.Command) -> list[tuple[str, Rows]]:
    """The command's arguments, then its options by panel."""
    arguments: list[tuple[str, str]] = []
    panels: dict[str, list[tuple[str, str]]] = {DEFAULT_PANEL: []}
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument):
            text = getattr(param, "help", None) or ""
            metavar = " ".join(param.get_usage_pieces(ctx))  # make_metavar() took no ctx before 8.2
            arguments.append((metavar, f"{text}  [required]" if param.required else text))
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            panels.setdefault(getattr(param, "panel", None) or DEFAULT_PANEL, []).append(record)
    return [("Arguments", arguments), *panels.items()]


def first_paragraph(command: click.Command) -> str:
    """A command's summary for the command list: its help's whole first paragraph."""
    text = command.short_help or inspect.cleandoc(command.help or "").partition("\f")[0]
    return " ".join(text.split("\n\n", 1)[0].split())


class _Sections:
    """Usage, help text, the sections of :meth:`format_options`, epilog: no rich, no panels box."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)  # type: ignore[attr-defined]
        self.format_help_text(ctx, formatter)  # type: ignore[attr-defined]
        self.format_options(ctx, formatter)  # type: ignore[attr-defined]
        self.format_epilog(ctx, formatter)  # type: ignore[attr-defined]


class PanelCommand(_Sections, click.Command):
    """A command whose help lists arguments with help and options in panels."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        write_sections(formatter, parameter_sections(ctx, self))


class PanelGroup(_Sections, click.Group):
    """A group listing its options, then its commands in the order they were added, with
    their whole first paragraph (click shortens it to ~45 characters)."""

    command_class = PanelCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self.commands[name]) for name in self.list_commands(ctx)]
        rows = [(name, first_paragraph(command)) for name, command in commands if not command.hidden]
        write_sections(formatter, [*parameter_sections(ctx, self), ("Commands", rows)])
