"""The one error type a user sees.

Every mistake a user can make (a bad file, key, value, expression or output path)
is raised as :class:`LrplotError`; only ``lrplot.commands`` prints it and picks the exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from lrplot.safe_text import MAX_MESSAGE_CHARS as MAX_MESSAGE_CHARS  # re-exported: messages use them
from lrplot.safe_text import printable as printable
from lrplot.safe_text import unmarked

T = TypeVar("T")

KeyPath = tuple[str | int, ...]


class LrplotError(Exception):
    """A user-caused problem, described in one line.

    ``key_path`` is where in the config the culprit sits (``("curves", 0, "scheduler",
    "T_max")``); the loader turns it into ``where`` (``"config.yaml:12"``) so the message
    can point at the YAML line.
    """

    def __init__(self, message: str, *, where: str | None = None, key_path: KeyPath | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.key_path = key_path

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep where/key_path when the error crosses a process boundary (parallel runs).
        return (_rebuild, (type(self), self.message, self.where, self.key_path))

    def __str__(self) -> str:
        # A value an OmegaConf resolver produced is named, never shown (lrplot.safe_text).
        return unmarked(f"{self.where}: {self.message}" if self.where else self.message)


def _rebuild(
    cls: type[LrplotError], message: str, where: str | None, key_path: KeyPath | None
) -> LrplotError:
    return cls(message, where=where, key_path=key_path)


class ExpressionError(LrplotError):
    """An expression (``lr_lambda``, ``metric``) is malformed, unsafe or failed to evaluate."""


class Abandoned(LrplotError):
    """Raised while collecting problems, once a part cannot be checked further."""


_problems: ContextVar[list[LrplotError] | None] = ContextVar("lrplot_problems", default=None)


@contextmanager
def collecting(problems: list[LrplotError]) -> Iterator[list[LrplotError]]:
    """Within this block, :func:`report` collects independent problems instead of raising.

    ``lrplot validate`` uses it to list every problem of a config at once.
    """
    token = _problems.set(problems)
    try:
        yield problems
    finally:
        _problems.reset(token)


def collected() -> list[LrplotError] | None:
    """The problems being collected, or None when errors are raised as usual."""
    return _problems.get()


def report(error: LrplotError) -> None:
    """Raise ``error``, or record it and carry on when problems are being collected."""
    sink = _problems.get()
    if sink is None:
        raise error
    sink.append(error)


def attempt(check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one independent check; while collecting, a failure is recorded and None returned."""
    sink = _problems.get()
    if sink is None:
        return check(*args, **kwargs)
    before = len(sink)
    try:
        result = check(*args, **kwargs)
    except Abandoned:
        return None
    except LrplotError as error:
        sink.append(error)
        return None
    return None if len(sink) > before else result


class StepFailed(Exception):
    """Carries the step at which a step raised, with the original exception as cause."""

    def __init__(self, step: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.step = step
        self.cause = cause
