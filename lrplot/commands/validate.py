"""Checking configs without drawing, listing every problem at once.

Each problem carries ``file:line`` of the offending key. Checks: the YAML and the config
schema, names (with suggestions), keywords against the torch classes' signatures,
expressions, sweep keys and overrides, and finally building the torch objects (without
stepping them), which catches what only torch knows (milestone counts, missing momentum).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lrplot.errors import LrplotError, collecting, printable

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from lrplot.config.options import LoadKeywords, LoadOptions
    from lrplot.lint import Finding


def run_validate(
    configs: Sequence[Path], options: LoadOptions, *, ignore: Sequence[str], quiet: bool, strict: bool
) -> int:
    """``lrplot validate``: print each config's problems, then its schedule warnings; the exit status.

    2 when a config has a problem; 1 with ``strict`` when a schedule check warns; else 0.
    ``quiet`` prints only problems (and the warnings that ``strict`` turns into a failure).
    """
    from lrplot.commands.errors import EXIT_DIFFERENCE, EXIT_OK, EXIT_USAGE
    from lrplot.commands.terminal import say

    failed = warned = False
    for config in configs:
        engine_notes: list[str] = []
        problems, findings = validate_and_lint(
            config, options, ignore=ignore, skip_dynamo=True, engine_notes=engine_notes
        )
        if not quiet:
            for note in engine_notes:
                say(f"lrplot: {config}: {printable(note)}", err=True)
        for problem in problems:
            say(printable(str(problem)), err=True)
        warnings = [finding for finding in findings if finding.severity == "warning"]
        for finding in findings:
            if (finding.severity == "warning" and strict) or not quiet:
                say(finding.line(), err=True)
        failed = failed or bool(problems)
        warned = warned or bool(warnings)
        if not problems and not quiet:
            say(f"{config}: {verdict(len(warnings), strict=strict)}", err=True)
    if failed:
        return EXIT_USAGE
    return EXIT_DIFFERENCE if strict and warned else EXIT_OK


def verdict(warnings: int, *, strict: bool) -> str:
    """A valid config's line; it says "fails --strict" exactly when that exits 1, never "ok" then."""
    if not warnings:
        return "ok"
    counted = f"{warnings} schedule warning{'s' if warnings != 1 else ''}"
    return f"{counted} (fails --strict)" if strict else f"ok, {counted}"


def validate(
    path: str | Path, *, options: LoadOptions | None = None, **keywords: Unpack[LoadKeywords]
) -> list[LrplotError]:
    """Every problem found in a config file (an empty list when it is fine).

    Takes the options of :func:`lrplot.load`: ``options=LoadOptions(...)`` or its fields as
    keywords, not both.
    """
    from lrplot.config.options import resolve_load_options

    return validate_and_lint(path, resolve_load_options(options, keywords, "validate"), lint=False)[0]


def validate_and_lint(
    path: str | Path,
    options: LoadOptions,
    *,
    ignore: Sequence[str] = (),
    lint: bool = True,
    skip_dynamo: bool = False,
    engine_notes: list[str] | None = None,
) -> tuple[list[LrplotError], list[Finding]]:
    """Every problem of a config file, then (when there is none) the schedule checks' findings.

    ``skip_dynamo`` (the command line only, as ``plot`` does): constructing torch objects
    does not import torch._dynamo. ``engine_notes`` receives the line saying why ``auto``
    stepped torch (:attr:`lrplot.result.Result.fallback`), if it did.

    The checks need the simulated values, so a config without problems is simulated
    (the exact fast engine wherever it applies); nothing is drawn or written.
    """
    from lrplot.config import load
    from lrplot.plan import plan

    problems: list[LrplotError] = []
    with collecting(problems):
        try:
            config = load(path, options=options)
        except LrplotError as error:
            problems.append(error)
            return _unique(problems), []
        plans = plan(
            config,
            allow_imports=options.allow_imports,
            force=options.force,
            construct=True,
            skip_dynamo=skip_dynamo,
        )
    if problems or not lint:
        return _unique(problems), []
    from lrplot.engines import simulate
    from lrplot.lint import lint as lint_result

    try:
        result = simulate(config, allow_imports=options.allow_imports, force=options.force, plans=plans)
        if engine_notes is not None and result.fallback is not None:
            engine_notes.append(result.fallback)
        return [], lint_result(config, result, plans=plans, ignore=ignore)
    except LrplotError as error:  # a failure only stepping shows (an expression, torch)
        return [error], []


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
