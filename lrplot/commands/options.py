"""Options shared by several commands, defined once so their help texts cannot drift."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Annotated

import typer

OUTPUT_PANEL = "Outputs"
CHANGE_PANEL = "Changing the config"
FORMS_PANEL = "Training configs and logs"

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a value, KEY=VALUE, as for plot.", show_default=False),
]
SweepOption = Annotated[
    list[str] | None,
    typer.Option("--sweep", help="Sweep KEY=V1,V2,..., as for plot.", show_default=False),
]
AllowImportOption = Annotated[
    list[str] | None,
    typer.Option("--allow-import", help="Module prefix a config may import from.", show_default=False),
]
SelectOption = Annotated[
    str | None,
    typer.Option(
        "--select",
        help="Read the optimizer/scheduler (or an lrplot config) from this KEY.PATH of a larger file, "
        "e.g. model. LightningCLI and Hydra forms are detected automatically.",
        show_default=False,
        rich_help_panel=FORMS_PANEL,
    ),
]
StepsPerEpochOption = Annotated[
    int | None,
    typer.Option(
        "--steps-per-epoch",
        help="Iterations per epoch, for training configs that give trainer.max_epochs "
        "(the scheduler is then stepped once per epoch, as Lightning does); for timm and litgpt "
        "configs, the optimizer updates per epoch.",
        show_default=False,
        min=1,
        rich_help_panel=FORMS_PANEL,
    ),
]
DatasetSizeOption = Annotated[
    int | None,
    typer.Option(
        "--dataset-size",
        help="Samples in the training split (after packing, where the config packs), for training "
        "configs that count epochs (timm, litgpt finetuning, Hugging Face Trainer, axolotl, LightningCLI, "
        "Hydra, OpenMMLab): the steps per epoch follow from the batch size.",
        show_default=False,
        min=1,
        rich_help_panel=FORMS_PANEL,
    ),
]
WorldSizeOption = Annotated[
    int | None,
    typer.Option(
        "--world-size",
        help="Data-parallel processes (GPUs) of the training run, for configs whose batch or lr "
        "depends on it (timm, litgpt with devices: auto, Hugging Face Trainer, axolotl, LightningCLI and "
        "Hydra with --dataset-size, OpenMMLab; default 1).",
        show_default=False,
        min=1,
        rich_help_panel=FORMS_PANEL,
    ),
]
HydraOverrideOption = Annotated[
    list[str] | None,
    typer.Option(
        "--hydra-override",
        help="A Hydra override for composing a Hydra config, as on its command line: experiment=example, "
        "trainer.max_epochs=20, +model.x=1. Repeatable. The config is composed with its defaults list "
        "by Hydra's compose API (needs the hydra extra).",
        show_default=False,
        rich_help_panel=FORMS_PANEL,
    ),
]

LINT_PANEL = "Schedule checks"
StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 1 when a schedule check warns (for CI); see docs/lint.md.",
        rich_help_panel=LINT_PANEL,
    ),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        help="Silence a schedule check by id, e.g. --ignore LR005. Repeatable.",
        show_default=False,
        rich_help_panel=LINT_PANEL,
    ),
]


AllowReadOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--allow-read",
        help="Let the config read logs below this folder too (beyond its own folder and the working "
        "folder). Repeatable; also LRPLOT_ALLOW_READ=dir1:dir2.",
        show_default=False,
        rich_help_panel=FORMS_PANEL,
    ),
]


def finite_tolerance(value: float) -> float:
    """--rtol / --atol: a finite number >= 0 (inf and nan would compare everything as equal)."""
    if not math.isfinite(value) or value < 0:
        raise typer.BadParameter(f"should be a finite number >= 0, got {value}")
    return value


def reference_files(references: list[str] | None) -> list[Path]:
    """The files ``--reference`` names: the user named them, so a config may read them."""
    return [
        Path(text if Path(text).exists() or ":" not in text else text.rpartition(":")[0])
        for text in references or []
    ]


def reference_sets(references: list[str] | None) -> list[str]:
    """``--reference PATH[:COLUMN]`` → a --set of every curve's ``reference``."""
    sets = []
    for text in references or []:
        path, column = text, None
        if not Path(text).exists() and ":" in text:
            path, _, column = text.rpartition(":")
        value: dict[str, str] = {"csv": os.path.abspath(path)}  # as named: /proc/self stays /proc/self
        if column:
            value["column"] = column
        sets.append("reference=" + json.dumps(value))
    return sets


def xlim_sets(text: str | None) -> list[str]:
    """``--xlim A:B`` → a --set of ``plot.xlim`` (an open end takes the run's own)."""
    if text is None:
        return []
    first, sep, last = text.partition(":")
    if not sep:
        raise typer.BadParameter(f"{text!r}: expected A:B, for example 0:3000", param_hint="--xlim")
    try:
        low = float(first) if first.strip() else 0.0
        high = float(last) if last.strip() else None
    except ValueError:
        raise typer.BadParameter(f"{text!r}: A and B must be step numbers", param_hint="--xlim") from None
    return [f"plot.xlim=[{low!r}, {high!r}]" if high is not None else f"plot.xlim=[{low!r}, null]"]


# The plot command's own options.
ConfigsArgument = Annotated[
    list[Path],
    typer.Argument(
        help="YAML config(s) describing the curves (see the README's reference).", show_default=False
    ),
]

OutputOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--output",
        "-o",
        help="Output file; the format follows the extension: .png .svg .pdf .jpg .webp .tif .csv; "
        "- writes the CSV to standard output (the summary then goes to stderr). Repeat for several. "
        "Default: <config stem>.png in the current folder.",
        show_default=False,
        rich_help_panel=OUTPUT_PANEL,
    ),
]

OutDirOption = Annotated[
    Path | None,
    typer.Option(
        "--out-dir",
        "-d",
        help="Write <config stem>.<format> for each config into this folder (created if missing).",
        show_default=False,
        rich_help_panel=OUTPUT_PANEL,
    ),
]

FormatOption = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        "-f",
        help="Format(s) for --out-dir or the default outputs: png, svg, pdf, jpg, webp, tif, csv. "
        "Repeatable. Default: png.",
        show_default=False,
        rich_help_panel=OUTPUT_PANEL,
    ),
]

PlotSetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override a value, KEY=VALUE (YAML value): total_step=500, curves.0.scheduler.T_max=50, "
        "scheduler.T_max=50 (every curve), scheduler.milestones=[30,60]. Repeatable.",
        show_default=False,
        rich_help_panel=CHANGE_PANEL,
    ),
]

PlotSweepOption = Annotated[
    list[str] | None,
    typer.Option(
        "--sweep",
        help="One curve per value, KEY=V1,V2,... (like a sweep: block): scheduler.T_max=20,40,80. "
        "Several make the product.",
        show_default=False,
        rich_help_panel=CHANGE_PANEL,
    ),
]

PlotAllowImportOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-import",
        help="Let the config name classes from this module prefix (beyond torch.optim). "
        "Repeatable; also LRPLOT_ALLOW_IMPORT=a,b.",
        show_default=False,
        rich_help_panel=CHANGE_PANEL,
    ),
]

QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the summary as JSON on stdout instead of a table.")
]

ReferenceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        help="A training log to draw dashed over every curve: PATH or PATH:COLUMN (a CSV with a step "
        "column and an lr column, e.g. Lightning's metrics.csv).",
        show_default=False,
        rich_help_panel=FORMS_PANEL,
    ),
]

ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Lift the liftable limits (curves, values, memory, log bytes, figure pixels, panels, "
        "lines; see the security model in docs).",
    ),
]

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="torch: step real torch objects; fast: the exact fast engine (same doubles, verified "
        "bit for bit; refused where it does not apply); auto: fast wherever it applies.",
        case_sensitive=False,
    ),
]

WatchOption = Annotated[
    bool,
    typer.Option(
        "--watch",
        "-w",
        help="Keep running: re-plot each time a config (or a log it reads) is saved; "
        "a broken config is reported and waited out. Ctrl-C ends it.",
    ),
]

WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-j",
        help="Processes for simulating curves in parallel (default: one per long curve, up to the cores).",
        show_default=False,
        min=1,
    ),
]

TermOption = Annotated[
    bool,
    typer.Option(
        "--term",
        "-t",
        help="Draw the curves as a chart in the terminal (no file is written unless -o, --out-dir or "
        "--format is given too); with --watch it is redrawn on each save.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]

XlimOption = Annotated[
    str | None,
    typer.Option(
        "--xlim",
        help="Show only steps A to B (A:B, either may be left out), like plot.xlim.",
        show_default=False,
        rich_help_panel=OUTPUT_PANEL,
    ),
]
