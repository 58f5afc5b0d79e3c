"""The ``lrplot`` command: parse options, call the Python API, map errors to exit codes.

Nothing else lives here. Exit codes: 0 ok, 1 a check found a difference, 2 a bad config
or usage. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.exceptions import Exit

from lrplot.commands.errors import EXIT_OK, fail, interruptible
from lrplot.commands.options import (
    PATH,
    allow_import_option,
    allow_read_option,
    argument,
    configs_argument,
    engine_option,
    force_option,
    format_option,
    ignore_option,
    json_option,
    option,
    options,
    out_dir_option,
    output_option,
    plot_allow_import_option,
    plot_set_option,
    plot_sweep_option,
    quiet_option,
    reference_files,
    reference_option,
    reference_sets,
    set_option,
    strict_option,
    sweep_option,
    term_option,
    tolerance_option,
    training_options,
    watch_option,
    with_load_options,
    workers_option,
    xlim_option,
    xlim_sets,
)
from lrplot.commands.plot import PlotRequest, plot_once
from lrplot.commands.usage import OneLineErrors
from lrplot.errors import LrplotError

if TYPE_CHECKING:
    from lrplot.config import LoadOptions


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from lrplot import __version__

        click.echo(f"lrplot {__version__}")
        raise Exit(EXIT_OK)


@click.group(
    name="lrplot",
    cls=OneLineErrors,
    help=(
        "Plot exactly what torch.optim.lr_scheduler does: YAML optimizer + scheduler pairs "
        "are simulated step by step (the same doubles as torch) and drawn or written as data."
    ),
    epilog="Exit status: 0 ok, 1 a check found a difference, 2 bad config or usage. "
    "Start with: lrplot init && lrplot plot lrplot.yaml",
    no_args_is_help=True,
)
@option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
    help="Print the version and exit.",
)  # fmt: skip
def app() -> None:
    """Plot exactly what torch.optim.lr_scheduler does to your learning rate."""


@app.command()
@configs_argument
@options(
    quiet_option, json_option, force_option, engine_option, watch_option, workers_option,
    output_option, out_dir_option, format_option, term_option, xlim_option,
    plot_set_option, plot_sweep_option, plot_allow_import_option,
    *training_options(with_read=False), reference_option, allow_read_option,
    strict_option, ignore_option,
)  # fmt: skip
@with_load_options
def plot(
    configs: tuple[Path, ...],
    output: tuple[Path, ...],
    out_dir: Path | None,
    formats: tuple[str, ...],
    quiet: bool,
    json_output: bool,
    reference: tuple[str, ...],
    allow_read: tuple[Path, ...],
    engine: str,
    watch: bool,
    workers: int | None,
    term: bool,
    xlim: str | None,
    strict: bool,
    ignore: tuple[str, ...],
    load_options: LoadOptions,
) -> None:
    """Simulate configs exactly as torch steps them; write figures and/or CSV and print a summary."""
    from dataclasses import replace

    request = PlotRequest(
        configs=list(configs),
        outputs=list(output),
        out_dir=out_dir,
        formats=list(formats),
        load_options=replace(
            load_options, sets=[*load_options.sets, *reference_sets(reference), *xlim_sets(xlim)]
        ),
        allow_read=list(allow_read),
        read_files=reference_files(reference),
        quiet=quiet,
        json_output=json_output,
        workers=workers,
        engine=engine.lower(),
        term=term,
        strict=strict,
        ignore=list(ignore),
    )
    if Path("-") in output and (json_output or term):
        other = "--json" if json_output else "--term"
        fail(LrplotError(f"-o - writes the CSV to standard output, where {other} would go too; choose one"))
    if watch:
        from lrplot.commands.watch import watch as watch_files

        watch_files(list(configs), lambda: plot_once(request, exit_on_error=False, clear_screen=True))
        return
    with interruptible():
        plot_once(request, exit_on_error=True)


@app.command()
@argument("configs", nargs=-1, required=True, type=PATH, help="Config file(s) to check.")
@options(
    set_option, sweep_option, allow_import_option,
    option("--quiet", "-q", is_flag=True, help="Print only problems."),
    *training_options(with_read=False), strict_option, ignore_option, allow_read_option, force_option,
)  # fmt: skip
@with_load_options
def validate(
    configs: tuple[Path, ...],
    quiet: bool,
    strict: bool,
    ignore: tuple[str, ...],
    allow_read: tuple[Path, ...],
    load_options: LoadOptions,
) -> None:
    """Check configs without drawing; list every problem as FILE:LINE: message (exit 2 if any),
    then simulate them and print the schedule checks' warnings (exit 1 with --strict)."""
    from lrplot.commands.validate import run_validate
    from lrplot.read.files import confining_reads

    with confining_reads(allow_read):
        status = run_validate(list(configs), load_options, ignore=ignore, quiet=quiet, strict=strict)
    if status:
        raise Exit(status)


@app.command()
@argument("config", type=PATH, help="Config to simulate.")
@options(
    option("--against", "-a", required=True, type=PATH, help="The committed CSV snapshot to compare with."),
    option("--update", is_flag=True, help="Rewrite the snapshot from the config instead."),
    tolerance_option("--rtol", "Relative tolerance (default 0: bit-identical)."),
    tolerance_option("--atol", "Absolute tolerance (default 0)."),
    set_option, sweep_option, allow_import_option, *training_options(with_read=True), force_option,
)  # fmt: skip
@with_load_options
def check(
    config: Path,
    against: Path,
    update: bool,
    rtol: float,
    atol: float,
    allow_read: tuple[Path, ...],
    load_options: LoadOptions,
) -> None:
    """Re-simulate a config and compare it with a CSV snapshot: exit 0 if identical, 1 with what changed."""
    from lrplot.commands.compare import run_check

    run_check(config, against, load_options, update=update, rtol=rtol, atol=atol, allow_read=allow_read)


# lrplot.commands.catalog.ECOSYSTEMS, spelled out so that other commands never import the
# catalog (tests/test_catalog.py keeps the two equal).
CATALOG_ECOSYSTEMS = ("torch", "transformers", "huggingface", "timm", "mmengine", "deepspeed")


@app.command("list")
@argument(
    "name", required=False,
    help="Show one in full: CosineAnnealingLR, or ecosystem.NAME where several ecosystems have it "
    "(mmengine.CosineAnnealingLR), or a config's spelling (timm.scheduler.CosineLRScheduler).",
)  # fmt: skip
@option(
    "--ecosystem", "-e", "ecosystems", multiple=True, metavar="ECOSYSTEM",
    type=click.Choice(CATALOG_ECOSYSTEMS, case_sensitive=False),
    help=f"List only this ecosystem (repeatable): {', '.join(CATALOG_ECOSYSTEMS)}; "
    "with NAME, look only there.",
)  # fmt: skip
def list_classes(name: str | None, ecosystems: tuple[str, ...]) -> None:
    """List what lrplot can draw, by ecosystem, with parameters read from the installed libraries.

    torch's schedulers and optimizers, transformers' schedule functions, the Hugging Face
    Trainer's lr_scheduler_type names, timm's, mmengine's and DeepSpeed's schedulers; a
    library that is not installed is one line saying how to install it.
    """
    from lrplot.commands.catalog import find, sections
    from lrplot.commands.catalog.text import details, listing

    chosen = [e.lower() for e in ecosystems]
    try:
        lines = details(find(name, chosen)) if name is not None else listing(sections(chosen))
    except LrplotError as error:
        fail(error)
    click.echo("\n".join(lines))


@app.command()
@argument("template", required=False, help="Starter to write (default warmup-cosine); --list shows them all.")
@options(
    option("--output", "-o", type=PATH, default=Path("lrplot.yaml"), show_default=True,
           help="Where to write it."),
    option("--force", is_flag=True, help="Overwrite an existing file."),
    option("--list", "list_templates", is_flag=True, help="List the templates and exit."),
)  # fmt: skip
def init(template: str | None, output: Path, force: bool, list_templates: bool) -> None:
    """Write a commented starter config that plots as it is."""
    import difflib

    from lrplot.commands.templates import DEFAULT_TEMPLATE, TEMPLATES, render

    if list_templates:
        for name, (description, _) in TEMPLATES.items():
            click.echo(f"{name:15} {description}")
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
    click.echo(f"lrplot: wrote {output} ({name}); draw it with: lrplot plot {output}", err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the config format (for editors with a YAML language server)."""
    from lrplot.config import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=False))


def main() -> None:
    """Console entry point; Ctrl-C ends quietly with the conventional status 130.

    On the way out the heap is frozen (``gc.freeze``): the interpreter's shutdown would
    otherwise run full garbage collections over matplotlib's and numpy's objects, ~0.1 s
    (a fifth of a typical plot) spent on a process that is ending anyway. Output is
    flushed and exit handlers run as usual.
    """
    try:
        app()
    except KeyboardInterrupt:
        click.echo("lrplot: interrupted", err=True)
        sys.exit(130)
    finally:
        gc.freeze()
