"""Checking configs without drawing, listing every problem at once.

Each problem carries ``file:line`` of the offending key. Checks: the YAML and the config
schema, names (with suggestions), keywords against the torch classes' signatures,
expressions, sweep keys and overrides, and finally building the torch objects (without
stepping them), which catches what only torch knows (milestone counts, missing momentum).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lrplot.errors import LrplotError, collecting


def validate(
    path: str | Path,
    *,
    sets: Sequence[str] = (),
    sweeps: Sequence[str] = (),
    allow_imports: Sequence[str] = (),
    select: str | None = None,
    steps_per_epoch: int | None = None,
    dataset_size: int | None = None,
    world_size: int | None = None,
    force: bool = False,
    hydra_overrides: Sequence[str] = (),
) -> list[LrplotError]:
    """Every problem found in a config file (an empty list when it is fine)."""
    from lrplot.config import load
    from lrplot.plan import plan

    problems: list[LrplotError] = []
    with collecting(problems):
        try:
            config = load(
                path,
                sets=sets,
                sweeps=sweeps,
                select=select,
                steps_per_epoch=steps_per_epoch,
                dataset_size=dataset_size,
                world_size=world_size,
                allow_imports=allow_imports,
                hydra_overrides=hydra_overrides,
            )
        except LrplotError as error:
            problems.append(error)
            return _unique(problems)
        plan(config, allow_imports=allow_imports, force=force, construct=True)
    return _unique(problems)


def _unique(problems: list[LrplotError]) -> list[LrplotError]:
    """One line per problem, in file order: swept copies of a curve repeat the same mistake."""
    seen: set[tuple[str | None, str]] = set()
    unique = []
    for error in problems:
        message = error.message.split(": ", 1)[1] if error.message.startswith("curve ") else error.message
        key = (error.where, message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return sorted(unique, key=_line)


def _line(error: LrplotError) -> int:
    where = error.where or ""
    number = where.rsplit(":", 1)[-1]
    return int(number) if number.isdigit() else 0
