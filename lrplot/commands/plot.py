"""What ``lrplot plot`` does: plan outputs, load, plan, simulate, write, then print."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplot.commands.errors import EXIT_DIFFERENCE, fail, unexpected
from lrplot.commands.terminal import chart_size, say, say_rendered
from lrplot.commands.toolkit import Exit
from lrplot.errors import LrplotError, printable
from lrplot.output import STDOUT

if TYPE_CHECKING:
    from lrplot.config import LoadOptions
    from lrplot.lint import Finding
    from lrplot.result import Result

# A progress bar is worth showing past roughly a second of stepping.
PROGRESS_MIN_STEPS = 400_000


def _no_load_options() -> LoadOptions:
    """Imported on use: the command line's start-up does not pay for the config layer."""
    from lrplot.config import LoadOptions

    return LoadOptions()


@dataclass
class PlotRequest:
    """Everything ``lrplot plot`` was asked, by name (the command line's options, parsed)."""

    configs: list[Path]
    outputs: list[Path] = field(default_factory=list)
    out_dir: Path | None = None
    formats: list[str] = field(default_factory=list)
    load_options: LoadOptions = field(default_factory=_no_load_options)  # --set, --select, --force, ...
    allow_read: list[Path] = field(default_factory=list)  # folders a config may read besides its own
    read_files: list[Path] = field(default_factory=list)  # files the user named (--reference)
    quiet: bool = False
    json_output: bool = False
    workers: int | None = None
    engine: str = "auto"
    term: bool = False
    strict: bool = False  # schedule warnings exit 1
    ignore: list[str] = field(default_factory=list)  # schedule checks to silence

    @property
    def shows_fixes(self) -> bool:
        """Whether a finding's suggested fix reaches the user (its line, or ``--json``): only then
        is it worth verifying, which simulates the fixed curve again (lrplot.lint.verify)."""
        return not self.quiet or self.strict or self.json_output


def plot_once(request: PlotRequest, *, exit_on_error: bool, clear_screen: bool = False) -> list[Path]:
    """One plot run with its printing; returns the files it read besides the configs (for
    --watch, where an error of any kind is one line and the loop goes on).

    Schedule warnings are printed under the summary (``--quiet`` leaves them out unless
    ``--strict`` makes them the reason for exit status 1). ``--quiet`` prints nothing on success:
    the formats' own notes (a trainer's warnings relayed), the figure's and Python's warnings are
    left out too. What would make a curve wrong is refused (exit 2), never only warned about, and
    ``validate`` still lists the schedule checks' findings.
    """
    from lrplot.read.files import confining_reads, recording

    configs = {Path(os.path.realpath(config)) for config in request.configs}
    with recording() as registry, confining_reads(request.allow_read, request.read_files):
        try:
            with warnings.catch_warnings():
                if request.quiet:  # Python's warnings (a library's, relayed as lines) too
                    warnings.simplefilter("ignore")
                jobs, results, drawing_warnings, read, findings = run_plot(request)
        except LrplotError as error:
            if exit_on_error:
                fail(error)
            say(f"lrplot: error: {printable(str(error))}", err=True)
            return [path for path in registry.paths() if path not in configs]
        except Exception as error:  # --watch: a save that breaks lrplot itself is reported too
            if exit_on_error:
                raise
            say(unexpected(error), err=True)
            return [path for path in registry.paths() if path not in configs]
        read = list(dict.fromkeys([*read, *(path for path in registry.paths() if path not in configs)]))
    notes: list[str] = []
    if not request.quiet:  # the formats' and engines' notes, why the axis is logarithmic, the figure's
        notes += [note for result in results for note in result.warnings]
        notes += _scale_notes(jobs, results)
        notes += list(dict.fromkeys(f"figure: {w.message}" for w in drawing_warnings))
    for note in notes:
        say(f"lrplot: warning: {note}", err=True)
    to_stdout = any(path == STDOUT for _, paths in jobs for path in paths)
    if request.json_output:
        _print_json(jobs, results, findings)
    elif not request.quiet:
        _print_tables(jobs, results, to_stderr=to_stdout)  # standard output holds the CSV
    if request.term:
        _print_charts(jobs, results, clear_screen=clear_screen)
    warned = False
    for finding in (finding for config_findings in findings for finding in config_findings):
        warned = warned or finding.severity == "warning"
        if (finding.severity == "warning" and request.strict) or not request.quiet:
            say(finding.line(), err=True)
    for config, result in zip((config for config, _ in jobs), results, strict=True):
        for curve in result.curves:  # a log that parts from the plan is a warning (--strict: exit 1)
            for divergence in curve.reference_divergences():
                warned = True
                if request.strict or not request.quiet:
                    say(f"lrplot: warning: {config}: curve {curve.label!r}: {divergence.message()}", err=True)
    if not request.quiet:
        for (config, paths), result in zip(jobs, results, strict=True):
            if result.fallback is not None:
                say(f"lrplot: {config}: {printable(result.fallback)}", err=True)
            steps = sum(curve.total_step for curve in result.curves)
            written = ", ".join("standard output" if path == STDOUT else str(path) for path in paths)
            written = written or "the terminal"
            say(f"lrplot: {config}: {len(result.curves)} curve(s), {steps:,} steps -> {written}", err=True)
    if exit_on_error and request.strict and warned:
        raise Exit(EXIT_DIFFERENCE)
    return read


def run_plot(
    request: PlotRequest,
) -> tuple[list[tuple[Path, list[Path]]], list[Result], list[Any], list[Path], list[list[Finding]]]:
    """Everything ``plot`` does before printing: check, load, simulate, lint, write.

    Also returns the files the configs read besides themselves (logs), for --watch, and
    each config's schedule-check findings (marked on the results, so the figures show them).
    """
    from lrplot.config import load
    from lrplot.engines import simulate
    from lrplot.limits import lifting
    from lrplot.lint import lint
    from lrplot.output import (
        FORMATS,
        check_outputs,
        output_names,
        plan_outputs,
        refuse_inputs,
        write_outputs,
    )
    from lrplot.overrides import parse_assignment, parse_sweep_option
    from lrplot.plan import plan

    options = request.load_options
    if request.term:  # the environment's COLUMNS, bounded before any work
        chart_size()
    for text in options.sets:  # a space for '=' would otherwise look like a second config
        if not text.lstrip().startswith("~"):  # Hydra's ~key deletes a key and has no value
            parse_assignment(text)
    for text in options.sweeps:
        parse_sweep_option(text)
    if request.term and not request.outputs and request.out_dir is None and not request.formats:
        jobs: list[tuple[Path, list[Path]]] = [(config, []) for config in request.configs]
    elif combined(request):  # several configs, -o: one figure (and CSV) comparing them
        plan_outputs(request.configs[:1], outputs=request.outputs, out_dir=request.out_dir, formats=[])
        output_names(request.configs)  # a config named twice is refused
        jobs = [(config, list(request.outputs)) for config in request.configs]
    else:
        jobs = plan_outputs(
            request.configs, outputs=request.outputs, out_dir=request.out_dir, formats=request.formats
        )
    outputs = list(dict.fromkeys(path for _, paths in jobs for path in paths))
    check_outputs(outputs, inputs=request.configs, out_dir=request.out_dir)
    loaded = [load(config, options=options) for config, _ in jobs]
    read_by_formats = [path for config in loaded for path in config.reads]
    if read_by_formats:  # files a format read (a composed Hydra config): never write over them
        check_outputs(outputs, inputs=[*request.configs, *read_by_formats])
    plans = [
        plan(
            config,
            allow_imports=options.allow_imports,
            force=options.force,
            engine=request.engine,
            skip_dynamo=True,  # where the planner takes torch's path, torch will run
        )
        for config in loaded
    ]
    refuse_inputs(outputs)  # every file the run reads is known now: refuse before any work
    if any(FORMATS.get(path.suffix.lower()) not in (None, "csv") for path in outputs):
        from lrplot.render.startup import import_matplotlib_quickly

        import_matplotlib_quickly()  # the command line shows no matplotlib docs: skip building them
        with lifting(options.force):
            for config, config_plans in zip(loaded, plans, strict=True):
                _check_figure(config, config_plans)
    total = sum(curve.total_step for config in loaded for curve in config.curves)
    with _progress_bar(total, request.quiet) as progress:
        results = [
            simulate(
                config,
                allow_imports=options.allow_imports,
                progress=progress(),
                workers=request.workers,
                force=options.force,
                engine=request.engine,
                plans=config_plans,
            )
            for config, config_plans in zip(loaded, plans, strict=True)
        ]
    findings = [
        lint(config, result, plans=config_plans, ignore=request.ignore, verify=request.shows_fixes)
        for config, result, config_plans in zip(loaded, results, plans, strict=True)
    ]
    with warnings.catch_warnings(record=True) as drawing_warnings, lifting(options.force):
        warnings.simplefilter("always")
        if combined(request):
            write_outputs([(combined_result(request.configs, results), list(request.outputs))])
        else:
            write_outputs([(result, paths) for result, (_, paths) in zip(results, jobs, strict=True)])
    read = [path for config in loaded for path in config.dependencies()]
    return jobs, results, list(drawing_warnings), read, findings


def combined(request: PlotRequest) -> bool:
    """Whether the configs go into one figure / CSV: several configs and ``-o`` naming it."""
    return len(request.configs) > 1 and bool(request.outputs)


def combined_result(configs: list[Path], results: list[Result]) -> Result:
    """The configs' results as one (:func:`lrplot.result.combine`), named by file."""
    from lrplot.output import output_names
    from lrplot.result import combine

    names = output_names(configs)
    return combine(results, [names[config] for config in configs])


def _check_figure(config: Any, plans: list[Any]) -> None:
    """Before any stepping: the figure's size in panels and lines, and every text it will draw
    as mathtext, each error pointing at its key."""
    from lrplot.render.figure import check_drawable, check_mathtext

    texts: list[tuple[str, str, Any]] = [("title", config.title or "", ("title",))]
    for curve_plan in plans:
        curve = curve_plan.curve
        texts.append(("label", curve.label, ("curves", curve.index, "label")))
        groups = ("curves", curve.index, "optimizer", "param_groups")
        texts += [
            ("param group name", name, (*groups, i, "name")) for i, name in enumerate(curve_plan.group_names)
        ]
    try:
        check_drawable(config.plot.layout, len(plans), sum(len(p.groups) for p in plans))
        check_mathtext(texts)
    except LrplotError as error:
        raise config.locate(error) from None


def _scale_notes(jobs: list[tuple[Path, list[Path]]], results: list[Result]) -> list[str]:
    """Why a figure's y axis is logarithmic, when lrplot chose it."""
    from lrplot.output import FORMATS
    from lrplot.render.layout import choose_yscale

    notes = []
    if len({tuple(paths) for _, paths in jobs}) == 1 and len(jobs) > 1 and jobs[0][1]:  # one figure
        configs = [config for config, _ in jobs]
        jobs, results = (
            [(Path(" + ".join(map(str, configs))), jobs[0][1])],
            [combined_result(configs, results)],
        )
    for (config, paths), result in zip(jobs, results, strict=True):
        if any(FORMATS.get(path.suffix.lower(), "csv") != "csv" for path in paths):
            _, note = choose_yscale(result)
            if note:
                notes.append(f"{config}: {note}")
    return notes


def _print_charts(jobs: list[tuple[Path, list[Path]]], results: list[Result], *, clear_screen: bool) -> None:
    from lrplot.render.terminal import terminal_chart

    columns, height = chart_size()
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if clear_screen and sys.stdout.isatty():
        say_rendered("\x1b[2J\x1b[H", nl=False)  # lrplot's own sequence: clear the screen
    for _, result in zip(jobs, results, strict=True):
        say_rendered(terminal_chart(result, columns, height, colour=colour))


def _print_tables(jobs: list[tuple[Path, list[Path]]], results: list[Result], *, to_stderr: bool) -> None:
    import shutil

    from lrplot.render.table import run_summary, table

    stream = sys.stderr if to_stderr else sys.stdout
    terminal = stream.isatty()
    width = shutil.get_terminal_size().columns if terminal else 160
    bold = terminal and not os.environ.get("NO_COLOR")
    for (config, _), result in zip(jobs, results, strict=True):
        say_rendered(table(result, title=str(config), width=width, bold=bold), file=stream)
        run = run_summary(result)
        if run:
            say(f"run: {run}", err=to_stderr)


def _print_json(
    jobs: list[tuple[Path, list[Path]]], results: list[Result], findings: list[list[Finding]]
) -> None:
    from lrplot.render.table import records

    payload = [
        {
            "config": str(config),
            "outputs": [str(p) for p in paths],
            "curves": records(result),
            **({"run": result.derived} if result.derived else {}),
            "warnings": [finding.record() for finding in config_findings],
            **_divergences(result),
        }
        for (config, paths), result, config_findings in zip(jobs, results, findings, strict=True)
    ]
    say(json.dumps(payload if len(payload) > 1 else payload[0], indent=2, allow_nan=False))


def _divergences(result: Result) -> dict[str, Any]:
    """Where each curve's reference log parts from the plan (docs/references.md), for --json."""
    if all(curve.reference is None for curve in result.curves):
        return {}
    return {
        "log_divergences": [
            {"curve": curve.label, **divergence.record()}
            for curve in result.curves
            for divergence in curve.reference_divergences()
        ]
    }


class _progress_bar:  # a context manager used like a function
    """A rich progress bar on a terminal for long runs; nothing in CI or when piped."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total = total
        self.enabled = (
            not quiet and total >= PROGRESS_MIN_STEPS and sys.stderr.isatty() and not os.environ.get("CI")
        )
        self.bar: Any = None
        self.task: Any = None
        self.base = 0

    def __enter__(self) -> _progress_bar:
        if self.enabled:
            import shutil

            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            from lrplot.limits import MAX_CHART_COLUMNS

            # rich would take COLUMNS as it is (100000000: a bar that size, every refresh)
            width = max(20, min(shutil.get_terminal_size().columns, MAX_CHART_COLUMNS))

            self.bar = Progress(
                "simulating",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True, width=width),
                transient=True,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("steps", total=self.total)
        return self

    def __call__(self) -> Callable[[int, int], None] | None:
        """A progress callback for the next config (its counts add to the ones before)."""
        if self.bar is None:
            return None
        base = self.base

        def update(done: int, total: int) -> None:
            self.bar.update(self.task, completed=base + done)
            if done == total:
                self.base = base + total

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
