"""Options shared by several commands, defined once so their help texts cannot drift."""

from __future__ import annotations

import json
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
        "(the scheduler is then stepped once per epoch, as Lightning does).",
        show_default=False,
        min=1,
        rich_help_panel=FORMS_PANEL,
    ),
]


def reference_sets(references: list[str] | None) -> list[str]:
    """``--reference PATH[:COLUMN]`` → a --set of every curve's ``reference``."""
    sets = []
    for text in references or []:
        path, column = text, None
        if not Path(text).exists() and ":" in text:
            path, _, column = text.rpartition(":")
        value: dict[str, str] = {"csv": str(Path(path).resolve())}
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
