"""What every format module returns, and the pieces every format shares.

A format module translates a foreign training config into lrplot's own config data
(the contract of :mod:`lrplot.config`), keeping where every value came from so errors
point at the original file's lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.formats.file_sets import FileSet

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
    rivals: tuple[str, ...] = ()  # the formats whose distinctive keys are among ``conflicting``

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT


# A format that sees keys of another format's own caps its claim here: below CONFIDENT,
# so it is named among the closest formats but never translates the file on its own.
CONFLICTED = 0.25


def capped(found: Identification, conflicting: tuple[str, ...]) -> Identification:
    """``found`` with the keys of other formats it saw, its score capped at ``CONFLICTED``."""
    if not conflicting:
        return found
    score = min(found.score, CONFLICTED)
    return Identification(
        found.format, score, found.seen, found.missing, (*found.conflicting, *conflicting), found.rivals
    )


def marked_nodes(data: dict[str, Any], keys: Iterable[str], markers: Sequence[str]) -> tuple[str, ...]:
    """``key.marker`` for each of ``keys`` whose node carries one of ``markers`` (Hydra's
    ``_target_``, LightningCLI's ``class_path``, torchtune's ``_component_``): another
    ecosystem's instantiation node, a conflict for a format that does not read it."""
    return tuple(
        f"{key}.{marker}"
        for key in keys
        for marker in markers
        if isinstance(data.get(key), dict) and marker in data[key]
    )


def by_keys(
    form: str,
    data: Mapping[str, Any],
    weights: Mapping[str, float],
    *,
    expected: Iterable[str] = (),
    conflicts: Iterable[str] = (),
) -> Identification:
    """A claim from the distinctive keys present: the sum of their weights, capped at 1.

    ``weights`` names only keys distinctive for the format (their weight says how surely one
    of them alone means the format); ``expected`` the keys the refusal names when the claim
    falls short; ``conflicts`` keys distinctive for another format, which cap the claim at
    ``CONFLICTED`` whatever this format saw.
    """
    seen = tuple(key for key in weights if key in data)
    conflicting = tuple(key for key in conflicts if key in data)
    score = min(1.0, sum(weights[key] for key in seen))
    if conflicting:
        score = min(score, CONFLICTED)
    missing = tuple(key for key in expected if key not in data)
    return Identification(form, round(score, 6), seen, missing, conflicting)


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
    config_format: str | None = None  # --config-format: the format the user says the file is
    files_for: tuple[str, ...] = ()  # --file-for KEY=PATH: where a file the config names really is
    used_files: set[str] = field(default_factory=set)  # the --file-for keys a format asked for
    # --set/--sweep on the file's own key paths, applied before translation (lrplot.formats.file_sets)
    file_sets: tuple[FileSet, ...] = ()
    total_step: int | None = None  # the run's length the user gave (--set lrplot.total_step=N)
    # --set KEY=VALUE as given: a format whose own arguments they name (Megatron's train_iters)
    # takes them before the file's values and records them in used_sets; the rest apply after.
    sets: tuple[str, ...] = ()
    used_sets: set[str] = field(default_factory=set)

    def file_for(self, key: str) -> Path | None:
        """The file the user named for the config's ``key`` (``--file-for KEY=PATH``), if any."""
        for text in self.files_for:
            name, sep, path = text.partition("=")
            if not sep or not name.strip() or not path.strip():
                raise LrplotError(f"--file-for {text}: expected KEY=PATH, for example deepspeed=ds_z3.json")
            if name.strip() == key:
                self.used_files.add(key)
                return Path(path.strip()).expanduser()
        return None


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
    # The file's key (and unit) of native keys whose number the file writes elsewhere or
    # otherwise (lrplot.facts.FileKey): the linter prints its fixes in the file's own keys.
    file_keys: dict[KeyPath, Any] = field(default_factory=dict)


# A file a config names relative to its project's root is found the way the project's launcher
# finds it (run from that root): in the config's folder, then each folder above it up to and
# including the first that looks like a repository's root, then the working folder.
REPO_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
MAX_ANCESTORS = 12


def launch_folders(config: Path | None) -> list[Path]:
    """The folders a relative path in ``config`` may be relative to, nearest first."""
    folders: list[Path] = []
    if config is not None:
        folder = config.absolute().parent
        for _ in range(MAX_ANCESTORS):
            folders.append(folder)
            if any((folder / marker).exists() for marker in REPO_MARKERS) or folder.parent == folder:
                break
            folder = folder.parent
    cwd = Path.cwd()
    return [*folders, cwd] if cwd not in folders else folders


def referenced_file(value: str, key: str, key_path: KeyPath, options: FormatOptions, why: str) -> Path:
    """The file the config's ``key`` names (``--file-for KEY=PATH`` first), or a one-line refusal.

    ``why`` says what the file can change, for the message when it is not found: a file that can
    change the schedule is never skipped with a warning (in a CI log the warning is lost).
    """
    given = options.file_for(key)
    if given is not None:
        if not given.is_file():
            raise LrplotError(f"--file-for {key}={printable(str(given))}: no such file")
        return given
    named = Path(value).expanduser()
    candidates = (
        [named] if named.is_absolute() else [folder / named for folder in launch_folders(options.path)]
    )
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        where = "" if named.is_absolute() else (
            " (looked beside the config, in the folders above it up to its repository's root, and in "
            "the working folder)"
        )  # fmt: skip
        raise LrplotError(
            f"{key}: {printable(value)} not found{where}; {why}: give --file-for {key}=PATH",
            key_path=key_path,
        )
    return found


def missing_option(form: str, needs: str, options: str) -> LrplotError:
    """The one-line error for a run length that needs a number the file does not hold."""
    return LrplotError(f"{form} config: {needs}; give {options}", key_path=())


def curve_label(curve: dict[str, Any]) -> str:
    """``Adam + StepLR``: the short class names a user recognises."""
    short = [str(curve[k]["name"]).rsplit(".", 1)[-1] for k in ("optimizer", "scheduler")]
    return f"{short[0]} + {short[1]}"
