"""The one way the command line writes text to the terminal.

Every line lrplot prints (errors, warnings, status lines, ``FILE: ok``, ``matches``, lists,
JSON, help) goes through :func:`say`, which passes each line through
:func:`lrplot.safe_text.shown`: a file name, label or value holding a control sequence, a
bidirectional override or a resolver's value cannot reach the terminal as it is. The two
blocks a renderer lays out itself (the summary table, the terminal chart) go through
:func:`say_rendered`: their renderer shows every config- and path-derived piece with the same
function before measuring columns, and adds only its own styling (bold, colours).
``tests/test_architecture.py`` checks that nothing else in the command layer or the
renderers prints.
"""

from __future__ import annotations

from typing import TextIO

from lrplot.commands.toolkit import click
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
