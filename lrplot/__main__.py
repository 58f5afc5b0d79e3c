"""``python -m lrplot`` and the ``lrplot`` console script run the command line.

The entry point imports the command line itself, inside its own Ctrl-C guard: importing
typer, click and the rest takes a noticeable share of a second, and a Ctrl-C in that window
would otherwise end in a KeyboardInterrupt traceback printed by the console script (its
import happens before any of lrplot's handlers exist). The garbage collector is quieted
before those imports (most of start-up's new objects) and numpy's OpenBLAS is asked for no
worker threads (lrplot.commands.collector says why for both), and torch, when a command
imports it, speaks through lrplot.torch_import (numpy 2's traceback beside torch 2.2 as
one line).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Import the command line, then run it; Ctrl-C at any point ends with one line and 130."""
    try:
        from lrplot import torch_import
        from lrplot.commands.collector import one_blas_thread, quiet_collector

        quiet_collector()
        one_blas_thread()
        torch_import.install()
        from lrplot.commands.app import main as run
    except KeyboardInterrupt:
        sys.stderr.write("lrplot: interrupted\n")
        sys.stderr.flush()
        raise SystemExit(130) from None
    run()


if __name__ == "__main__":
    main()
