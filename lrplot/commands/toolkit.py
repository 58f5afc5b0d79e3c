"""The click that Typer runs on, imported in one place.

Typer 0.29 carries its own copy of click (``typer._click``): the exceptions its commands
raise and catch, its ``Context`` and ``HelpFormatter`` belong to that copy, not to the
``click`` package, so an ``Exit`` from the ``click`` package would not end a Typer command.
Every module of the command layer takes click from here, and so speaks to the one Typer
uses: its copy where it has one, the ``click`` package for a Typer built on it.
"""

from __future__ import annotations

try:
    from typer import _click as click
    from typer._click import exceptions
except ImportError:  # a Typer that runs on the click package
    import click  # type: ignore[no-redef]
    from click import exceptions  # type: ignore[no-redef]

from typer import Abort, Exit

__all__ = ["Abort", "Exit", "click", "exceptions"]
