"""The one error type a user sees.

Every mistake a user can make (a bad file, key, value, expression or output path)
is raised as :class:`LrplotError`; only ``cli.py`` prints it and picks the exit code.
"""

from __future__ import annotations

from typing import Any

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
        return f"{self.where}: {self.message}" if self.where else self.message


def _rebuild(
    cls: type[LrplotError], message: str, where: str | None, key_path: KeyPath | None
) -> LrplotError:
    return cls(message, where=where, key_path=key_path)


class ExpressionError(LrplotError):
    """An expression (``lr_lambda``, ``metric``) is malformed, unsafe or failed to evaluate."""
