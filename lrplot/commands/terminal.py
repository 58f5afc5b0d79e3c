"""The one way the command line writes text to the terminal.

Every line lrplot prints (errors, warnings, status lines, ``FILE: ok``, ``matches``, lists,
JSON, help) goes through :func:`say`, which passes each line through
:func:`lrplot.safe_text.shown`: a file name, label or value holding a control sequence, a
bidirectional override or a resolver's value cannot reach the terminal as it is. The two
blocks a renderer lays out itself (the summary table, the terminal chart) go through
:func:`say_rendered`: their renderer shows every config- and path-derived piece with the same
function before measuring columns, and adds only its own styling (bold, colours).
A test checks that nothing else in the command layer or the renderers prints. The size of
the terminal, which the environment sets (``COLUMNS``, ``LINES``), is bounded here too
(:func:`chart_size`).
"""

from __future__ import annotations

import os
from typing import TextIO

from lrplot.commands.toolkit import click
from lrplot.errors import LrplotError
from lrplot.limits import MAX_CHART_COLUMNS, MAX_CHART_LINES, MIN_CHART_COLUMNS, amount_text
from lrplot.safe_text import shown


def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` (to stderr with ``err``), every line of it shown safely."""
    click.echo("\n".join(shown(line) for line in str(text).split("\n")), err=err, nl=nl)


def say_rendered(block: str, *, err: bool = False, file: TextIO | None = None, nl: bool = True) -> None:
    """Print a block a renderer laid out from shown pieces (the table, the chart) as it is."""
    if file is not None:
        print(block, file=file, end="\n" if nl else "")
        return
    click.echo(block, err=err, nl=nl)


def chart_size() -> tuple[int, int]:
    """The ``--term`` chart's columns and rows, from the terminal or ``COLUMNS`` / ``LINES``.

    The environment sets them, so both are bounded (``lrplot.limits``): columns outside
    ``MIN_CHART_COLUMNS``..``MAX_CHART_COLUMNS`` are refused in one line naming where they came
    from (``COLUMNS=100000000`` would otherwise take all memory, ``COLUMNS=1`` draw blank
    lines); rows are drawn between 12 and ``MAX_CHART_LINES`` whatever ``LINES`` says.
    """
    import shutil

    size = shutil.get_terminal_size((100, 30))
    columns, lines = size.columns, size.lines
    shown = str(columns) if columns < 10**30 else amount_text(columns)
    origin = f"COLUMNS={shown}" if os.environ.get("COLUMNS", "").strip() else "the terminal"
    if columns < MIN_CHART_COLUMNS:
        raise LrplotError(
            f"--term: {origin} gives {columns} column(s); the chart needs at least {MIN_CHART_COLUMNS} "
            f"(limit {MIN_CHART_COLUMNS} to {MAX_CHART_COLUMNS:,})"
        )
    if columns > MAX_CHART_COLUMNS:
        raise LrplotError(
            f"--term: {origin} is wider than the chart is drawn (limit {MAX_CHART_COLUMNS:,} columns); "
            f"set COLUMNS={MAX_CHART_COLUMNS} or fewer"
        )
    return columns, max(12, min(lines - 4, MAX_CHART_LINES))
