"""The one error type a user sees.

Every mistake a user can make (a bad file, key, value, expression or output path)
is raised as :class:`LrplotError`; only ``cli.py`` prints it and picks the exit code.
"""

from __future__ import annotations

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

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ExpressionError(LrplotError):
    """An expression (``lr_lambda``, ``metric``) is malformed, unsafe or failed to evaluate."""
