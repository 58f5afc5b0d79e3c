"""The one place the command layer turns errors into a line on stderr and an exit status.

:func:`guarded` wraps every command (``OneLineErrors.main``): a user's error is one line and
status 2; any other exception input can reach is one line and status 2 too (a bug to report,
never a traceback; ``LRPLOT_DEBUG=1`` shows it); Ctrl-C is status 130; SIGTERM and SIGHUP are
raised as :class:`Terminated` so the same cleanup as Ctrl-C runs (temporary files removed,
worker processes ended, previous outputs intact) and the status is 128 + the signal number;
Python warnings become one ``lrplot: warning:`` line without a source path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import warnings
from collections.abc import Iterator
from typing import Any, NoReturn

from lrplot.commands.terminal import say
from lrplot.commands.toolkit import Exit
from lrplot.errors import LrplotError, printable

EXIT_OK = 0
EXIT_DIFFERENCE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEBUG_ENV = "LRPLOT_DEBUG"
_HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so every cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def status(self) -> int:
        return 128 + self.signum

    @property
    def line(self) -> str:
        name = signal.Signals(self.signum).name
        return f"lrplot: {'hung up' if name == 'SIGHUP' else 'terminated'} ({name})"


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C ends a long run with one line and status 130; outputs stay as they were."""
    try:
        yield
    except KeyboardInterrupt:
        say("lrplot: interrupted", err=True)
        raise Exit(EXIT_INTERRUPTED) from None


def fail(error: LrplotError) -> NoReturn:
    """Print a user's error as one line and exit with status 2."""
    say(f"lrplot: error: {printable(str(error))}", err=True)
    raise Exit(EXIT_USAGE)


def unexpected(error: BaseException) -> str:
    """One line for an exception that is not a user's error (a bug): type and first line only."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    detail = f": {printable(first, 200)}" if first else ""
    return (
        f"lrplot: error: unexpected {type(error).__name__}{detail} "
        f"(a bug in lrplot; please report it with the config; {DEBUG_ENV}=1 shows the traceback)"
    )


@contextlib.contextmanager
def terminating_signals() -> Iterator[None]:
    """Within this block, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    previous = {}
    for signum in _HANDLED_SIGNALS:
        with contextlib.suppress(OSError, ValueError):
            previous[signum] = signal.signal(signum, raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(signum, handler)


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Python warnings (numpy's RuntimeWarning, matplotlib's) as one line without a source path."""

    def show(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        say(f"lrplot: warning: {printable(str(message), 300)}", err=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def guarded(run: Any, passthrough: tuple[type[BaseException], ...] = ()) -> int:
    """Run a command; map every way it can end to one line and an exit status (``passthrough``:
    exceptions the caller turns into lines itself, such as click's usage errors)."""
    with warnings_as_lines(), terminating_signals():
        try:
            return run()
        except passthrough:
            raise
        except Terminated as error:
            say(error.line, err=True)
            return error.status
        except KeyboardInterrupt:
            say("lrplot: interrupted", err=True)
            return EXIT_INTERRUPTED
        except LrplotError as error:
            say(f"lrplot: error: {printable(str(error))}", err=True)
            return EXIT_USAGE
        except Exception as error:
            if os.environ.get(DEBUG_ENV):
                raise
            say(unexpected(error), err=True)
            return EXIT_USAGE
