"""The ``lrplot`` command: a Typer app that parses options and calls the Python API.

Nothing else lives here. Exit codes: 0 ok, 1 a check found a difference, 2 a bad config
or usage. Errors are one line on stderr, never a traceback. Each command is a typed
function; its parameters' ``Annotated`` types (lrplot.commands.options) carry the option
spellings, help texts and panels.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lrplot.commands.collector import quiet_collector
from lrplot.commands.errors import EXIT_OK, fail, interruptible
from lrplot.commands.options import (
    CATALOG_ECOSYSTEMS,
    Against,
    AllowImport,
    AllowRead,
    Atol,
    ConfigFormat,
    Configs,
    DatasetSize,
    Ecosystem,
    EngineOption,
    FileFor,
    Force,
    Formats,
    HydraOverride,
    Ignore,
    JsonOutput,
    OutDir,
    Output,
    PlotAllowImport,
    PlotSetValues,
    PlotSweep,
    Quiet,
    QuietProblems,
    Reference,
    Rtol,
    Select,
    SetValues,
    StepsPerEpoch,
    Strict,
    Sweep,
    Term,
    Update,
    Watch,
    Workers,
    WorldSize,
    Xlim,
    YScaleOption,
)
from lrplot.commands.options import Engine as Engine
from lrplot.commands.terminal import say
from lrplot.commands.toolkit import Exit
from lrplot.commands.usage import LrplotCommand, OneLineErrors
from lrplot.commands.values import load_options_from, reference_files, xlim_sets, yscale_sets
from lrplot.errors import LrplotError

app = typer.Typer(
    name="lrplot",
    cls=OneLineErrors,
    help=(
        "Plot exactly what torch.optim.lr_scheduler does: YAML optimizer + scheduler pairs "
        "are simulated step by step (the same doubles as torch) and drawn or written as data."
    ),
    epilog="Exit status: 0 ok, 1 a check found a difference, 2 bad config or usage. "
    "Start with: lrplot init && lrplot plot lrplot.yaml",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help and one-line errors: rich is never imported to start up
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        from lrplot import __version__

        say(f"lrplot {__version__}")
        raise Exit(EXIT_OK)


@app.callback()
def lrplot(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """Plot exactly what torch.optim.lr_scheduler does to your learning rate."""


@app.command(cls=LrplotCommand)
def plot(
    configs: Configs,
    quiet: Quiet = False,
    json_output: JsonOutput = False,
    force: Force = False,
    engine: EngineOption = Engine.auto,
    watch: Watch = False,
    workers: Workers = None,
    output: Output = None,
    out_dir: OutDir = None,
    formats: Formats = None,
    term: Term = False,
    xlim: Xlim = None,
    yscale: YScaleOption = None,
    set_values: PlotSetValues = None,
    sweep: PlotSweep = None,
    allow_import: PlotAllowImport = None,
    select: Select = None,
    config_format: ConfigFormat = None,
    file_for: FileFor = None,
    steps_per_epoch: StepsPerEpoch = None,
    dataset_size: DatasetSize = None,
    world_size: WorldSize = None,
    hydra_override: HydraOverride = None,
    reference: Reference = None,
    allow_read: AllowRead = None,
    strict: Strict = False,
    ignore: Ignore = None,
) -> None:
    """Simulate configs exactly as torch steps them; write figures and/or CSV and print a summary."""
    from lrplot.commands.plot import PlotRequest, plot_once

    references = reference or []
    outputs = output or []
    load_options = load_options_from(
        locals(), sets=[*(set_values or []), *xlim_sets(xlim), *yscale_sets(yscale)]
    )
    request = PlotRequest(
        configs=list(configs),
        outputs=list(outputs),
        out_dir=out_dir,
        formats=[fmt.value for fmt in formats or []],
        load_options=load_options,
        allow_read=list(allow_read or []),
        read_files=reference_files(references),
        quiet=quiet,
        json_output=json_output,
        workers=workers,
        engine=engine.value,
        term=term,
        strict=strict,
        ignore=list(ignore or []),
    )
    if Path("-") in outputs and (json_output or term):
        other = "--json" if json_output else "--term"
        fail(LrplotError(f"-o - writes the CSV to standard output, where {other} would go too; choose one"))
    if watch:
        from lrplot.commands.watch import watch as watch_files

        watch_files(list(configs), lambda: plot_once(request, exit_on_error=False, clear_screen=True))
        return
    with interruptible():
        plot_once(request, exit_on_error=True)


@app.command(cls=LrplotCommand)
def validate(
    configs: Annotated[list[Path], typer.Argument(help="Config file(s) to check.", show_default=False)],
    set_values: SetValues = None,
    sweep: Sweep = None,
    allow_import: AllowImport = None,
    quiet: QuietProblems = False,
    select: Select = None,
    config_format: ConfigFormat = None,
    file_for: FileFor = None,
    steps_per_epoch: StepsPerEpoch = None,
    dataset_size: DatasetSize = None,
    world_size: WorldSize = None,
    hydra_override: HydraOverride = None,
    strict: Strict = False,
    ignore: Ignore = None,
    allow_read: AllowRead = None,
    force: Force = False,
) -> None:
    """Check configs without drawing; list every problem as FILE:LINE: message (exit 2 if any),
    then simulate them and print the schedule checks' warnings (exit 1 with --strict)."""
    from lrplot.commands.validate import run_validate
    from lrplot.read.files import confining_reads

    load_options = load_options_from(locals())
    with confining_reads(list(allow_read or [])):
        status = run_validate(
            list(configs), load_options, ignore=list(ignore or []), quiet=quiet, strict=strict
        )
    if status:
        raise Exit(status)


@app.command(cls=LrplotCommand)
def check(
    config: Annotated[Path, typer.Argument(help="Config to simulate.", show_default=False)],
    against: Against,
    update: Update = False,
    rtol: Rtol = 0.0,
    atol: Atol = 0.0,
    set_values: SetValues = None,
    sweep: Sweep = None,
    allow_import: AllowImport = None,
    select: Select = None,
    config_format: ConfigFormat = None,
    file_for: FileFor = None,
    steps_per_epoch: StepsPerEpoch = None,
    dataset_size: DatasetSize = None,
    world_size: WorldSize = None,
    hydra_override: HydraOverride = None,
    allow_read: AllowRead = None,
    force: Force = False,
) -> None:
    """Re-simulate a config and compare it with a CSV snapshot: exit 0 if identical, 1 with what changed."""
    from lrplot.commands.compare import run_check

    load_options = load_options_from(locals())
    run_check(
        config, against, load_options, update=update, rtol=rtol, atol=atol, allow_read=tuple(allow_read or ())
    )


@app.command("list", cls=LrplotCommand)
def list_classes(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Show one in full: CosineAnnealingLR, or ecosystem.NAME where several ecosystems have it "
            "(mmengine.CosineAnnealingLR), or a config's spelling (timm.scheduler.CosineLRScheduler).",
            show_default=False,
        ),
    ] = None,
    ecosystems: Annotated[
        list[Ecosystem] | None,
        typer.Option(
            "--ecosystem",
            "-e",
            case_sensitive=False,
            metavar="ECOSYSTEM",
            help=f"List only this ecosystem (repeatable): {', '.join(CATALOG_ECOSYSTEMS)}; "
            "with NAME, look only there.",
        ),
    ] = None,
) -> None:
    """List what lrplot can draw, by ecosystem, with parameters read from the installed libraries.

    torch's schedulers and optimizers, transformers' schedule functions, the Hugging Face
    Trainer's lr_scheduler_type names, timm's, mmengine's and DeepSpeed's schedulers; a
    library that is not installed is one line saying how to install it.
    """
    from lrplot.commands.catalog import find, sections
    from lrplot.commands.catalog.text import details, listing

    chosen = [e.value for e in ecosystems or []]
    try:
        lines = details(find(name, chosen)) if name is not None else listing(sections(chosen))
    except LrplotError as error:
        fail(error)
    say("\n".join(lines))


@app.command(cls=LrplotCommand)
def init(
    template: Annotated[
        str | None,
        typer.Argument(
            help="Starter to write (default warmup-cosine); --list shows them all.", show_default=False
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path("lrplot.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    list_templates: Annotated[bool, typer.Option("--list", help="List the templates and exit.")] = False,
) -> None:
    """Write a commented starter config that plots as it is."""
    import difflib

    from lrplot.commands.templates import DEFAULT_TEMPLATE, TEMPLATES, render

    if list_templates:
        for name, (description, _) in TEMPLATES.items():
            say(f"{name:15} {description}")
        return
    name = template or DEFAULT_TEMPLATE
    try:
        if name not in TEMPLATES:
            close = difflib.get_close_matches(name, list(TEMPLATES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LrplotError(f"no template {name!r}{hint}; templates: {', '.join(TEMPLATES)}")
        if output.exists() and not force:
            raise LrplotError(f"{output}: already exists; use --force to overwrite it")
        from lrplot.output import write_text_atomically

        write_text_atomically(output, render(name, str(output)))
    except LrplotError as error:
        fail(error)
    say(f"lrplot: wrote {output} ({name}); draw it with: lrplot plot {output}", err=True)


@app.command(cls=LrplotCommand)
def schema() -> None:
    """Print the JSON Schema of the config format (for editors with a YAML language server)."""
    from lrplot.config import json_schema

    say(json.dumps(json_schema(), indent=2, sort_keys=False))


_command: Any = None


def command() -> Any:
    """The app as a click command, built once (Typer builds it from the signatures on each call)."""
    global _command
    if _command is None:
        _command = typer.main.get_command(app)
    return _command


def main() -> None:
    """Console entry point; Ctrl-C ends quietly with the conventional status 130.

    On the way out the heap is frozen (``gc.freeze``): the interpreter's shutdown would
    otherwise run full garbage collections over matplotlib's and numpy's objects, ~0.1 s
    (a fifth of a typical plot) spent on a process that is ending anyway. Output is
    flushed and exit handlers run as usual.

    Before the command runs, the garbage collector's first threshold is raised
    (:func:`lrplot.commands.collector.quiet_collector`).
    """
    quiet_collector()
    try:
        command().main(prog_name="lrplot")
    except KeyboardInterrupt:
        say("lrplot: interrupted", err=True)
        sys.exit(130)
    finally:
        gc.freeze()
