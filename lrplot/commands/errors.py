"""The one place the command layer turns errors into a line on stderr and an exit status."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NoReturn

import typer

from lrplot.errors import LrplotError

EXIT_OK = 0
EXIT_DIFFERENCE = 1
EXIT_USAGE = 2


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C ends a long run with one line and status 130; outputs stay as they were."""
    try:
        yield
    except KeyboardInterrupt:
        typer.echo("lrplot: interrupted", err=True)
        raise typer.Exit(130) from None


def fail(error: LrplotError) -> NoReturn:
    """Print a user's error as one line and exit with status 2."""
    typer.echo(f"lrplot: error: {error}", err=True)
    raise typer.Exit(EXIT_USAGE)
