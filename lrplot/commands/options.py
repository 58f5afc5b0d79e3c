"""Options shared by several commands, defined once so their help texts cannot drift.

Each name here is a click decorator; :class:`PanelOption` carries the help section
("panel") an option is listed under, :class:`HelpArgument` an argument's help line.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import click

OUTPUT_PANEL = "Outputs"
CHANGE_PANEL = "Changing the config"
FORMS_PANEL = "Training configs and logs"
LINT_PANEL = "Schedule checks"

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class PanelOption(click.Option):
    """A click option that knows the help section it belongs to (``None``: "Options")."""

    def __init__(
        self, param_decls: Sequence[str] | None = None, panel: str | None = None, **attrs: Any
    ) -> None:
        super().__init__(param_decls, **attrs)
        self.panel = panel


class HelpArgument(click.Argument):
    """A click argument with a help line (click itself documents arguments only from 8.5)."""

    def __init__(self, param_decls: Sequence[str], help: str | None = None, **attrs: Any) -> None:
        super().__init__(param_decls, **attrs)
        self.help = help


class AtLeast(click.IntRange):
    """An integer >= a bound, read as before (``3.0`` is 3) and refused with the same words."""

    name = "integer"

    def __init__(self, low: int) -> None:
        super().__init__(min=low)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = value if isinstance(value, int) else _integer(str(value))
        if number is None:
            self.fail("input should be a valid integer, unable to parse string as an integer", param, ctx)
        if self.min is not None and number < self.min:
            self.fail(f"input should be greater than or equal to {self.min}", param, ctx)
        return number


class NonNegative(click.FloatRange):
    """A float >= 0 (nan is not), refused with the same words as before."""

    name = "float"

    def __init__(self) -> None:
        super().__init__(min=0.0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = value if isinstance(value, float) else _number(str(value))
        if number is None:
            self.fail("input should be a valid number, unable to parse string as a number", param, ctx)
        if not number >= 0:  # nan too
            self.fail("input should be greater than or equal to 0", param, ctx)
        return number


def _integer(text: str) -> int | None:
    """Decimal digits (``_`` between them), optionally ending ``.0``; None if not an integer."""
    text = text.strip()
    if not text.isascii():
        return None
    whole, dot, zeros = text.partition(".")
    if dot and (not zeros or zeros.strip("0")):
        return None
    try:
        return int(whole)
    except ValueError:
        return None


def _number(text: str) -> float | None:
    text = text.strip()
    if not text.isascii():
        return None
    try:
        return float(text)
    except ValueError:
        return None


PATH = click.Path(path_type=Path)


def option(*decls: str, panel: str | None = None, **attrs: Any) -> Decorator:
    """A click option listed under ``panel`` in the help; repeatable ones collect a tuple."""
    return click.option(*decls, cls=PanelOption, panel=panel, **attrs)


def options(*decorators: Decorator) -> Decorator:
    """Several option decorators in reading order (the first is listed first in the help)."""

    def apply(function: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def argument(name: str, help: str, **attrs: Any) -> Decorator:
    """A click argument with a help line."""
    return click.argument(name, cls=HelpArgument, help=help, **attrs)


def finite_tolerance(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """--rtol / --atol: a finite number >= 0 (inf and nan would compare everything as equal)."""
    if not math.isfinite(value) or value < 0:
        raise click.BadParameter(f"should be a finite number >= 0, got {value}")
    return value


def reference_files(references: Sequence[str]) -> list[Path]:
    """The files ``--reference`` names: the user named them, so a config may read them."""
    return [
        Path(text if Path(text).exists() or ":" not in text else text.rpartition(":")[0])
        for text in references
    ]


def reference_sets(references: Sequence[str]) -> list[str]:
    """``--reference PATH[:TAG]`` → a --set of every curve's ``reference``."""
    sets = []
    for text in references:
        path, column = text, None
        if not Path(text).exists() and ":" in text:
            path, _, column = text.rpartition(":")
        value: dict[str, str] = {"path": os.path.abspath(path)}  # as named: /proc/self stays /proc/self
        if column:
            value["tag"] = column
        sets.append("reference=" + json.dumps(value))
    return sets


def xlim_sets(text: str | None) -> list[str]:
    """``--xlim A:B`` → a --set of ``plot.xlim`` (an open end takes the run's own)."""
    if text is None:
        return []
    first, sep, last = text.partition(":")
    if not sep:
        raise click.BadParameter(f"{text!r}: expected A:B, for example 0:3000", param_hint="--xlim")
    try:
        low = float(first) if first.strip() else 0.0
        high = float(last) if last.strip() else None
    except ValueError:
        raise click.BadParameter(f"{text!r}: A and B must be step numbers", param_hint="--xlim") from None
    return [f"plot.xlim=[{low!r}, {high!r}]" if high is not None else f"plot.xlim=[{low!r}, null]"]


# Shared by validate and check.
set_option = option(
    "--set", "-s", "set_values", multiple=True, help="Override a value, KEY=VALUE, as for plot."
)
sweep_option = option("--sweep", multiple=True, help="Sweep KEY=V1,V2,..., as for plot.")
allow_import_option = option("--allow-import", multiple=True, help="Module prefix a config may import from.")

select_option = option(
    "--select",
    help="Read the optimizer/scheduler (or an lrplot config) from this KEY.PATH of a larger file, "
    "e.g. model. LightningCLI and Hydra forms are detected automatically.",
    panel=FORMS_PANEL,
)
steps_per_epoch_option = option(
    "--steps-per-epoch",
    type=AtLeast(1),
    help="Iterations per epoch, for training configs that give trainer.max_epochs "
    "(the scheduler is then stepped once per epoch, as Lightning does); for timm and litgpt "
    "configs, the optimizer updates per epoch.",
    panel=FORMS_PANEL,
)
dataset_size_option = option(
    "--dataset-size",
    type=AtLeast(1),
    help="Samples in the training split (after packing, where the config packs), for training "
    "configs that count epochs (timm, litgpt finetuning, Hugging Face Trainer, axolotl, LightningCLI, "
    "Hydra, OpenMMLab): the steps per epoch follow from the batch size.",
    panel=FORMS_PANEL,
)
world_size_option = option(
    "--world-size",
    type=AtLeast(1),
    help="Data-parallel processes (GPUs) of the training run, for configs whose batch or lr "
    "depends on it (timm, litgpt with devices: auto, Hugging Face Trainer, axolotl, LightningCLI and "
    "Hydra with --dataset-size, OpenMMLab; default 1).",
    panel=FORMS_PANEL,
)
hydra_override_option = option(
    "--hydra-override",
    multiple=True,
    help="A Hydra override for composing a Hydra config, as on its command line: experiment=example, "
    "trainer.max_epochs=20, +model.x=1. Repeatable. The config is composed with its defaults list "
    "by Hydra's compose API (needs the hydra extra).",
    panel=FORMS_PANEL,
)
allow_read_option = option(
    "--allow-read",
    multiple=True,
    type=PATH,
    help="Let the config read logs below this folder too (beyond its own folder and the working "
    "folder). Repeatable; also LRPLOT_ALLOW_READ=dir1:dir2.",
    panel=FORMS_PANEL,
)
strict_option = option(
    "--strict",
    is_flag=True,
    help="Exit 1 when a schedule check warns (for CI); see docs/lint.md.",
    panel=LINT_PANEL,
)
ignore_option = option(
    "--ignore",
    multiple=True,
    help="Silence a schedule check by id, e.g. --ignore LR005. Repeatable.",
    panel=LINT_PANEL,
)


# The command line's name for each LoadOptions field that is not called the same.
LOAD_OPTION_NAMES = {
    "sets": "set_values",
    "sweeps": "sweep",
    "hydra_overrides": "hydra_override",
    "allow_imports": "allow_import",
}


def with_load_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command its load options (--set, --select, --force, ...) as one ``load_options``.

    Put it under the option decorators: of the options a command declares, those that are
    :class:`~lrplot.config.LoadOptions` fields are built into one value, once per run; the
    others reach the command as they are.
    """

    @functools.wraps(command)
    def run(**params: Any) -> Any:
        from lrplot.config import LoadOptions

        given = {}
        for load_field in fields(LoadOptions):
            name = LOAD_OPTION_NAMES.get(load_field.name, load_field.name)
            if name in params:
                given[load_field.name] = params.pop(name)
        return command(**params, load_options=LoadOptions(**given))

    return run


def training_options(*, with_read: bool) -> list[Decorator]:
    """--select, the run-length options and --hydra-override (and --allow-read), in help order."""
    options = [
        select_option,
        steps_per_epoch_option,
        dataset_size_option,
        world_size_option,
        hydra_override_option,
    ]
    return [*options, allow_read_option] if with_read else options


# The plot command's own options.
configs_argument = argument(
    "configs",
    nargs=-1,
    required=True,
    type=PATH,
    help="YAML config(s) describing the curves (see the README's reference).",
)
output_option = option(
    "--output",
    "-o",
    multiple=True,
    type=PATH,
    help="Output file; the format follows the extension: .png .svg .pdf .jpg .webp .tif .csv; "
    "- writes the CSV to standard output (the summary then goes to stderr). Repeat for several. "
    "Default: <config stem>.png in the current folder.",
    panel=OUTPUT_PANEL,
)
out_dir_option = option(
    "--out-dir",
    "-d",
    type=PATH,
    help="Write <config stem>.<format> for each config into this folder (created if missing).",
    panel=OUTPUT_PANEL,
)
format_option = option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    help="Format(s) for --out-dir or the default outputs: png, svg, pdf, jpg, webp, tif, csv. "
    "Repeatable. Default: png.",
    panel=OUTPUT_PANEL,
)
plot_set_option = option(
    "--set",
    "-s",
    "set_values",
    multiple=True,
    help="Override a value, KEY=VALUE (YAML value): total_step=500, curves.0.scheduler.T_max=50, "
    "scheduler.T_max=50 (every curve), scheduler.milestones=[30,60]. Repeatable.",
    panel=CHANGE_PANEL,
)
plot_sweep_option = option(
    "--sweep",
    multiple=True,
    help="One curve per value, KEY=V1,V2,... (like a sweep: block): scheduler.T_max=20,40,80. "
    "Several make the product.",
    panel=CHANGE_PANEL,
)
plot_allow_import_option = option(
    "--allow-import",
    multiple=True,
    help="Let the config name classes from this module prefix (beyond torch.optim). "
    "Repeatable; also LRPLOT_ALLOW_IMPORT=a,b.",
    panel=CHANGE_PANEL,
)
quiet_option = option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
json_option = option(
    "--json", "json_output", is_flag=True, help="Print the summary as JSON on stdout instead of a table."
)
reference_option = option(
    "--reference",
    multiple=True,
    help="A training log to draw dashed over every curve and compare with it: PATH or PATH:TAG. "
    "TensorBoard event file or logdir, trainer_state.json or checkpoint folder, Lightning metrics.csv, "
    "W&B CSV export, MLflow run folder, or a CSV with step and lr columns (docs/references.md). "
    "--strict exits 1 where the log parts from the plan.",
    panel=FORMS_PANEL,
)
force_option = option(
    "--force",
    is_flag=True,
    help="Lift the liftable limits (curves, values, memory, log bytes, figure pixels, panels, "
    "lines; see the security model in docs).",
)
engine_option = option(
    "--engine",
    default="auto",
    show_default=True,
    help="torch: step real torch objects; fast: the exact fast engine (same doubles, verified "
    "bit for bit; refused where it does not apply); auto: without importing torch where the "
    "config is covered (engine column: no-torch), else fast wherever it applies, else torch.",
)
watch_option = option(
    "--watch",
    "-w",
    is_flag=True,
    help="Keep running: re-plot each time a config (or a log it reads) is saved; "
    "a broken config is reported and waited out. Ctrl-C ends it.",
)
workers_option = option(
    "--workers",
    "-j",
    type=AtLeast(1),
    help="Processes for simulating curves in parallel (default: one per long curve, up to the cores).",
)
term_option = option(
    "--term",
    "-t",
    is_flag=True,
    help="Draw the curves as a chart in the terminal (no file is written unless -o, --out-dir or "
    "--format is given too); with --watch it is redrawn on each save.",
    panel=OUTPUT_PANEL,
)
xlim_option = option(
    "--xlim",
    help="Show only steps A to B (A:B, either may be left out), like plot.xlim.",
    panel=OUTPUT_PANEL,
)


def tolerance_option(name: str, help: str) -> Decorator:
    """--rtol / --atol of ``lrplot check``."""
    return option(
        name, type=NonNegative(), default=0.0, show_default=True, callback=finite_tolerance, help=help
    )
