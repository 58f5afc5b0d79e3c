"""The command line's options, declared once as Typer parameters so their help cannot drift.

Each name here is an ``Annotated`` type: a command declares ``quiet: Quiet = False`` and
Typer reads the option's spellings, help text and help panel (``rich_help_panel``) from it.
Closed choices are ``Enum``s, so ``--help`` lists them. Values are checked by the parsers
of :mod:`lrplot.commands.values`.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lrplot.commands.values import positive_integer, tolerance

OUTPUT_PANEL = "Outputs"
CHANGE_PANEL = "Changing the config"
FORMS_PANEL = "Training configs and logs"
LINT_PANEL = "Schedule checks"


class Engine(str, Enum):
    """How curves are simulated (``--engine``)."""

    auto = "auto"
    torch = "torch"
    fast = "fast"


class YScale(str, Enum):
    """The figure's and terminal chart's y axis (``--yscale``); auto: log only where a linear
    axis would flatten the schedule for most of the run."""

    linear = "linear"
    log = "log"
    auto = "auto"


class OutputFormat(str, Enum):
    """What ``--format`` writes (the suffix of ``<config stem>.<format>``)."""

    png = "png"
    svg = "svg"
    pdf = "pdf"
    jpg = "jpg"
    jpeg = "jpeg"
    webp = "webp"
    tif = "tif"
    tiff = "tiff"
    csv = "csv"


# lrplot.commands.catalog.ECOSYSTEMS, spelled out so that other commands never import the
# catalog (tests/test_catalog.py keeps the two equal).
CATALOG_ECOSYSTEMS = ("torch", "transformers", "huggingface", "timm", "mmengine", "deepspeed")
Ecosystem = Enum("Ecosystem", {name: name for name in CATALOG_ECOSYSTEMS}, type=str)  # type: ignore[misc]
Ecosystem.__doc__ = "An ecosystem ``lrplot list`` knows (``--ecosystem``)."


# Shared by validate and check.
SetValues = Annotated[
    list[str] | None, typer.Option("--set", "-s", help="Override a value, KEY=VALUE, as for plot.")
]
Sweep = Annotated[list[str] | None, typer.Option("--sweep", help="Sweep KEY=V1,V2,..., as for plot.")]
AllowImport = Annotated[
    list[str] | None, typer.Option("--allow-import", help="Module prefix a config may import from.")
]

# Reading a training config.
Select = Annotated[
    str | None,
    typer.Option(
        "--select",
        help="Read the optimizer/scheduler (or an lrplot config) from this KEY.PATH of a larger file, "
        "e.g. model. LightningCLI and Hydra forms are detected automatically.",
        rich_help_panel=FORMS_PANEL,
    ),
]
StepsPerEpoch = Annotated[
    int | None,
    typer.Option(
        "--steps-per-epoch",
        parser=positive_integer,
        min=1,
        help="Iterations per epoch, for training configs that give trainer.max_epochs "
        "(the scheduler is then stepped once per epoch, as Lightning does); for timm and litgpt "
        "configs, the optimizer updates per epoch.",
        rich_help_panel=FORMS_PANEL,
    ),
]
DatasetSize = Annotated[
    int | None,
    typer.Option(
        "--dataset-size",
        parser=positive_integer,
        min=1,
        help="Samples in the training split (after packing, where the config packs), for training "
        "configs that count epochs (timm, litgpt finetuning, Hugging Face Trainer, axolotl, LightningCLI, "
        "Hydra, OpenMMLab): the steps per epoch follow from the batch size.",
        rich_help_panel=FORMS_PANEL,
    ),
]
WorldSize = Annotated[
    int | None,
    typer.Option(
        "--world-size",
        parser=positive_integer,
        min=1,
        help="Data-parallel processes (GPUs) of the training run, for configs whose batch or lr "
        "depends on it (timm, litgpt with devices: auto, Hugging Face Trainer, axolotl, LightningCLI and "
        "Hydra with --dataset-size, OpenMMLab; default 1).",
        rich_help_panel=FORMS_PANEL,
    ),
]
HydraOverride = Annotated[
    list[str] | None,
    typer.Option(
        "--hydra-override",
        help="A Hydra override for composing a Hydra config, as on its command line: experiment=example, "
        "trainer.max_epochs=20, +model.x=1. Repeatable. The config is composed with its defaults list "
        "by Hydra's compose API (needs the hydra extra).",
        rich_help_panel=FORMS_PANEL,
    ),
]
ConfigFormat = Annotated[
    str | None,
    typer.Option(
        "--config-format",
        metavar="NAME",
        help="Read the config as this format when none (or several) claim it: huggingface, axolotl, "
        "deepspeed, lightning, litgpt, hydra, timm, torchtitan, mmengine, nanogpt "
        "(--format is the output's).",
        rich_help_panel=FORMS_PANEL,
    ),
]
FileFor = Annotated[
    list[str] | None,
    typer.Option(
        "--file-for",
        metavar="KEY=PATH",
        help="Where a file the config names by KEY is, when it is not beside the config, above it up to "
        "its repository's root, or in the working folder: deepspeed=ds_z3_config.json; for a detectron2 "
        "LazyConfig's model_zoo.get_config(PATH), that config: common/train.py=configs/common/train.py. "
        "Repeatable.",
        rich_help_panel=FORMS_PANEL,
    ),
]
AllowRead = Annotated[
    list[Path] | None,
    typer.Option(
        "--allow-read",
        help="Let the config read logs below this folder too (beyond its own folder and the working "
        "folder). Repeatable; also LRPLOT_ALLOW_READ=dir1:dir2.",
        rich_help_panel=FORMS_PANEL,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 1 when a schedule check warns (for CI); see docs/lint.md.",
        rich_help_panel=LINT_PANEL,
    ),
]
Ignore = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        help="Silence a schedule check by id, e.g. --ignore LR005. Repeatable.",
        rich_help_panel=LINT_PANEL,
    ),
]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Lift the liftable limits (curves, values, memory, log bytes, figure pixels, panels, "
        "lines; see the security model in docs).",
    ),
]

# The plot command's own options.
Configs = Annotated[
    list[Path],
    typer.Argument(
        help="YAML config(s) describing the curves (every key: docs/config.md).",
        show_default=False,
    ),
]
Output = Annotated[
    list[Path] | None,
    typer.Option(
        "--output",
        "-o",
        help="Output file; the format follows the extension: .png .svg .pdf .jpg .webp .tif .csv; "
        "- writes the CSV to standard output (the summary then goes to stderr). Repeat for several. "
        "With several configs, one figure / CSV comparing them (a label two share is prefixed with "
        "the file's name). Default: <config stem>.png in the current folder.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
OutDir = Annotated[
    Path | None,
    typer.Option(
        "--out-dir",
        "-d",
        help="Write <config stem>.<format> for each config into this folder (created if missing).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
Formats = Annotated[
    list[OutputFormat] | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Format(s) for --out-dir or the default outputs. Repeatable. Default: png.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
PlotSetValues = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override a value, KEY=VALUE (YAML value): total_step=500, curves.0.scheduler.T_max=50, "
        "scheduler.T_max=50 (every curve), scheduler.milestones=[30,60]. Repeatable.",
        rich_help_panel=CHANGE_PANEL,
    ),
]
PlotSweep = Annotated[
    list[str] | None,
    typer.Option(
        "--sweep",
        help="One curve per value, KEY=V1,V2,... (like a sweep: block): scheduler.T_max=20,40,80. "
        "Several make the product.",
        rich_help_panel=CHANGE_PANEL,
    ),
]
PlotAllowImport = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-import",
        help="Let the config name classes from this module prefix (beyond torch.optim). "
        "Repeatable; also LRPLOT_ALLOW_IMPORT=a,b.",
        rich_help_panel=CHANGE_PANEL,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
QuietProblems = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")]
JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print the summary as JSON on stdout instead of a table.")
]
Reference = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        help="A training log to draw dashed over every curve and compare with it: PATH or PATH:TAG. "
        "TensorBoard event file or logdir, trainer_state.json or checkpoint folder, Lightning "
        "metrics.csv, W&B CSV export, MLflow run folder, or a CSV with step and lr columns "
        "(docs/references.md). --strict exits 1 where the log parts from the plan.",
        rich_help_panel=FORMS_PANEL,
    ),
]
EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        case_sensitive=False,
        help="torch: step real torch objects; fast: the exact fast engine (same doubles, verified "
        "bit for bit; refused where it does not apply); auto: without importing torch where the "
        "config is covered (engine column: no-torch), else fast wherever it applies, else torch.",
    ),
]
Watch = Annotated[
    bool,
    typer.Option(
        "--watch",
        "-w",
        help="Keep running: re-plot each time a config (or a log it reads) is saved; "
        "a broken config is reported and waited out. Ctrl-C ends it.",
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-j",
        parser=positive_integer,
        min=1,
        help="Processes for simulating curves in parallel (default: one per long curve, up to the cores).",
    ),
]
Term = Annotated[
    bool,
    typer.Option(
        "--term",
        "-t",
        help="Draw the curves as a chart in the terminal (no file is written unless -o, --out-dir or "
        "--format is given too); with --watch it is redrawn on each save.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
Xlim = Annotated[
    str | None,
    typer.Option(
        "--xlim",
        help="Show only steps A to B (A:B, either may be left out), like plot.xlim.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
YScaleOption = Annotated[
    YScale | None,
    typer.Option(
        "--yscale",
        help="The y axis: linear, log, or auto (log only when the curves span more than two decades "
        "for most of the run); like plot.yscale, which it overrides. Default: the config's, else auto.",
        show_default=False,
        rich_help_panel=OUTPUT_PANEL,
    ),
]

# check's own.
Against = Annotated[
    Path,
    typer.Option("--against", "-a", help="The committed CSV snapshot to compare with.", show_default=False),
]
Update = Annotated[bool, typer.Option("--update", help="Rewrite the snapshot from the config instead.")]
Rtol = Annotated[
    float,
    typer.Option(
        "--rtol", parser=tolerance, min=0.0,
        help="Relative tolerance (default 0: bit-identical; inf: any finite value matches).",
    ),
]  # fmt: skip
Atol = Annotated[
    float,
    typer.Option("--atol", parser=tolerance, min=0.0, help="Absolute tolerance (default 0)."),
]
