"""What every format module returns, and the pieces every format shares.

A format module translates a foreign training config into lrplot's own config data
(the contract of :mod:`lrplot.config`), keeping where every value came from so errors
point at the original file's lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError

PLATEAU_METRIC_NOTE = (
    "ReduceLROnPlateau gets the current lr as its metric (the tutorial helper's choice); "
    "set --set metric=... or a {csv, column} log for real losses"
)


# A claim at or above this score lets a format translate a file (see ``Identification``).
CONFIDENT = 0.5


@dataclass(frozen=True)
class Identification:
    """How surely one format recognises a file, and the keys that claim rests on.

    Every format module has ``identify(path, data) -> Identification`` (cheap: no heavy
    imports, no file reads beyond what is given). ``score`` is 0 for "not mine" up to 1 for
    "certain"; it is computed only from keys distinctive for the format (as pygments' lexers
    score ``analyse_text``), never from keys every trainer has. ``seen`` names the distinctive
    keys found; ``missing`` the ones this format would expect but the file lacks, so that a
    file no format claims (or several claim) gets a refusal naming the closest formats and
    what each is missing or conflicting on.
    """

    format: str
    score: float
    seen: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    conflicting: tuple[str, ...] = ()  # keys present that contradict this format

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT


@dataclass
class FormatOptions:
    """What the command line (or the Python API) tells a format beyond the file itself."""

    path: Path | None = None
    select: str | None = None
    steps_per_epoch: int | None = None
    dataset_size: int | None = None  # samples in the training split, for formats that count epochs
    world_size: int | None = None  # data-parallel processes (GPUs) of the run
    prefix: KeyPath = ()  # where the translated subtree sits in the file (--select)
    root: Any = None  # the whole document (a LightningCLI trainer sits beside the model)
    allow_imports: tuple[str, ...] = ()  # --allow-import: also OmegaConf resolvers a config may run
    hydra_overrides: tuple[str, ...] = ()  # --hydra-override: Hydra overrides for composition


@dataclass
class Converted:
    """Native config data, where each of its keys came from, and notes for the user."""

    data: dict[str, Any]
    origins: dict[KeyPath, KeyPath | str] = field(default_factory=dict)  # str: a ready "file:line"
    notes: list[str] = field(default_factory=list)
    form: str = "lrplot"
    assumed_metric: bool = False  # ReduceLROnPlateau got metric: lr because none was given
    interval_note: str | None = None  # how the interval was chosen; dropped if --set changes it
    derived: dict[str, Any] = field(default_factory=dict)  # run-length numbers for the summary
    reads: list[Path] = field(default_factory=list)  # other files the translation read
    # Where the translated keys' lines are, when the format read more than the loaded file
    # (an OpenMMLab config with its _base_ files): replaces the loaded source for file:line.
    source: Any = None


def missing_option(form: str, needs: str, options: str) -> LrplotError:
    """The one-line error for a run length that needs a number the file does not hold."""
    return LrplotError(f"{form} config: {needs}; give {options}", key_path=())


def curve_label(curve: dict[str, Any]) -> str:
    """``Adam + StepLR``: the short class names a user recognises."""
    short = [str(curve[k]["name"]).rsplit(".", 1)[-1] for k in ("optimizer", "scheduler")]
    return f"{short[0]} + {short[1]}"
