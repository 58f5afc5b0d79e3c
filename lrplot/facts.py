"""What a schedule says it means to do: the facts every format and driver declares for the linter.

The schedule checks (:mod:`lrplot.lint`) read two things: the simulated curve, and these
facts. A torch class declares them from its keywords (:mod:`lrplot.plan.facts`), a driver
(:mod:`lrplot.plan.drivers`) from its own with a class method ``facts(keywords) ->
ScheduleFacts``. A check never reads a class name or a format's own keys, so a new format is
linted the moment it declares its facts; no check changes.

Declaring them, for a driver whose keywords are ``warmup_epochs``, ``epochs`` and ``min_lr``
and that is stepped once per optimizer update, ``updates`` of them per epoch::

    @classmethod
    def facts(cls, keywords):
        per_epoch = keywords["updates_per_epoch"]
        return ScheduleFacts(
            peak=keywords["lr"], peak_key=("lr",),
            floor=keywords["min_lr"], floor_key=("min_lr",),
            lengths=(
                Length("warmup_epochs", keywords["warmup_epochs"] * per_epoch, "warmup", target=1.0,
                       unit="epoch", per_unit=per_epoch),
                Length("epochs", keywords["epochs"] * per_epoch, "decay", unit="epoch", per_unit=per_epoch),
            ),
        )

Every length is given in the scheduler's own ``step()`` calls (``value``) *and* as written
(``written`` in ``unit``; ``per_unit`` calls make one unit), so a check compares it with the
run and a suggestion speaks the unit the user wrote. ``key`` is where the number sits, relative
to the scheduler's node of the lrplot config (a driver's ``("args", "warmup_epochs")``); the
linter turns it into ``file:line`` of the original file.

This module imports nothing of lrplot but :mod:`lrplot.errors`: formats, plans and drivers
all fill it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lrplot.errors import KeyPath

Shape = Literal["warmup", "decay", "steps", "period", "cycle"]
After = Literal["flat", "climbs", "repeats"]
FactorOf = Literal["initial", "previous"]  # LambdaLR's factor vs MultiplicativeLR's
Unit = Literal["step", "epoch", "update", "iteration", "token", "sample", "run"]  # run: a share of it


@dataclass(frozen=True)
class Length:
    """One declared length or phase end, in the scheduler's ``step()`` calls.

    ``shape``: ``warmup`` (rises to ``target`` x the peak), ``decay`` (falls to ``target`` x
    the peak, or to the absolute ``floor``), ``steps`` (a staircase: the last milestone),
    ``period`` (a restart or cycle period that repeats: ``T_0``, ``step_size_up``, a cycle
    length; each period ``multiplier`` times the one before, ``T_mult``), ``cycle`` (one cycle
    up to the peak and down again over the whole length, annealed at its end: OneCycleLR's
    ``total_steps``). ``clipped`` marks a length the trainer cuts to the run when it is longer
    (detectron2 clips ``WARMUP_ITERS`` to ``MAX_ITER``): ``value`` is what it runs, ``written``
    what the file asks for, and a warmup clipped so has the run end at its peak, all warmup.
    """

    keyword: str
    value: int
    shape: Shape
    target: float | None = None
    floor: float | None = None
    unit: Unit = "step"
    per_unit: float = 1.0  # step() calls that make one ``unit``
    key: KeyPath | None = None  # relative to the scheduler's node; None: ``(keyword,)``
    written: float | None = None  # the value as written, in ``unit``; None: value / per_unit
    offset: int = 0  # calls the written number does not count (mmengine's ``begin``, a phase kept)
    after: After = "flat"  # past its end the lr stays (flat), climbs back (a cosine) or repeats
    fix_value: object = None  # the value that fixes this length when it is not one (num_cycles: 0.5)
    # a warmup's start, where a key sets it (Ultralytics' ``warmup_bias_lr``, timm's ``warmup_lr``):
    # the key (relative to the scheduler's node) and a value that starts the warmup below its peak
    # (None: the key is an absolute lr, and a hundredth of the peak is suggested)
    start_key: KeyPath | None = None
    start_fix: object = None
    multiplier: int = 1  # a period: each one this many times the one before (T_mult)
    clipped: bool = False  # the trainer cut it to the run (``written`` is longer than ``value``)
    spelled: str | None = None  # the value exactly as the file writes it (Composer's ``5000ba``)
    on_purpose: str | None = None  # what to use when the lr past its end is wanted (restarts)

    @property
    def as_written(self) -> float:
        return self.written if self.written is not None else self.value / self.per_unit

    def written_for(self, calls: int) -> int:
        """The number to write in ``unit`` for a length ending at ``calls`` step() calls (at least 1)."""
        return max(1, round((calls - self.offset) / self.per_unit))

    @property
    def path(self) -> KeyPath:
        return self.key if self.key is not None else (self.keyword,)


@dataclass(frozen=True)
class Milestones:
    """Declared milestones (where a staircase drops, or a SequentialLR hands over), in step() calls."""

    keyword: str
    values: tuple[int, ...]
    unit: Unit = "step"
    per_unit: float = 1.0
    key: KeyPath | None = None
    offset: int = 0  # calls before the milestones start counting (mmengine's ``begin``)
    hands_over: bool = False  # each milestone starts the next sub-schedule (SequentialLR), not a drop

    @property
    def path(self) -> KeyPath:
        return self.key if self.key is not None else (self.keyword,)

    def written(self, values: tuple[int, ...] | list[int] | None = None) -> list[int | float]:
        """Milestones (these, or ``values``) in the unit they are written in."""
        shown = [
            (value - self.offset) / self.per_unit for value in (self.values if values is None else values)
        ]
        return [int(value) if float(value).is_integer() else value for value in shown]


@dataclass(frozen=True)
class Plateau:
    """A schedule that cuts the lr when a metric stops improving (ReduceLROnPlateau).

    ``patience``: the ``step()`` calls without improvement it waits before a cut (the first
    call only sets the best value, so the first cut comes at call ``patience + 2``);
    ``cooldown`` the calls it waits after a cut; ``cut`` the factor a cut multiplies the lr by;
    ``eps`` the smallest change it applies (a smaller cut is skipped); ``min_lrs`` the floor of
    each param group (one for all when a single number). Keys are relative to the scheduler's node.
    """

    patience: int | None = None
    patience_key: KeyPath = ("patience",)
    cooldown: int = 0
    cut: float | None = None
    eps: float | None = None
    eps_key: KeyPath = ("eps",)
    min_lrs: tuple[float, ...] = (0.0,)
    min_lr_key: KeyPath = ("min_lr",)

    def min_lr(self, group: int) -> float:
        """The floor of param group ``group``."""
        return self.min_lrs[group] if group < len(self.min_lrs) else self.min_lrs[0]

    @property
    def shared_min_lr(self) -> bool:
        """Whether one number is every group's floor (a fix can then set it)."""
        return len(self.min_lrs) == 1


@dataclass(frozen=True)
class FileKey:
    """Where a native key's number sits in the training config as written, and how it reads there.

    A format declares these once, when it translates the file (``Converted.file_keys``), for
    the native keys whose number the file writes under another key or in another unit: Hugging
    Face's ``num_warmup_steps`` from ``warmup_ratio`` (``per_unit``: the run's steps, a share,
    not whole), its ``num_training_steps`` from ``num_train_epochs`` (``max_steps`` is the key
    to write). Every other native key is where its origin says, with the same number. The
    linter prints its fixes through these, so a fix names the file's key and number.
    """

    path: KeyPath  # the file's own key path (``("scheduler", "params", "warmup_num_steps")``)
    per_unit: float = 1.0  # the native value is the file's value x per_unit
    whole: bool = True  # the file writes a whole number (a ratio: False)

    def value_for(self, native: object) -> object:
        """The number to write in the file for a native value (other values as they are)."""
        if self.per_unit == 1 or isinstance(native, bool) or not isinstance(native, (int, float)):
            return native
        value = native / self.per_unit
        return max(1, round(value)) if self.whole else float(f"{value:.6g}")


@dataclass(frozen=True)
class TrainerWarning:
    """A warning the trainer itself prints for this schedule (torchtitan's "Warmup steps exceed
    total steps"), with the key it is about and, when it has one, the value that silences it.

    ``printed`` False: an adjustment the trainer makes without a word (Ultralytics capping its
    warmup before the last epoch); ``message`` then says what it does. ``suggestion``: the
    advice when no value of ``key`` alone silences it (Ultralytics' ``optimizer: auto``
    ignoring ``lr0`` is silenced by another key, ``optimizer``, of the file)."""

    message: str
    key: KeyPath | None = None
    fix_value: object = None
    printed: bool = True
    suggestion: str | None = None


@dataclass(frozen=True)
class ScheduleFacts:
    """What a scheduler declares about the schedule it is meant to draw.

    ``peak`` and ``floor`` are absolute lrs (``None``: not declared; the checks then use each
    param group's initial lr), ``floor_factor`` a floor written as a share of the peak;
    ``lengths`` its declared lengths and phase ends, ``milestones`` its milestones;
    ``stepped_in`` the unit one
    ``step()`` call advances (``step``: every optimizer step, ``epoch``: once per epoch);
    ``unbounded_decay`` a decay with no declared end (ExponentialLR), ``factor`` the factor it
    multiplies the lr by per step() or stage (``gamma``), ``factor_every`` the ``step()`` calls
    between two applications (StepLR's ``step_size``; 1: every call, ExponentialLR);
    ``plateau`` a metric-driven schedule's patience and floors (:class:`Plateau`); ``monitor`` and
    ``mode`` the metric a plateau schedule watches and its direction; ``warnings`` what the
    trainer itself warns about; ``jumps_by_design`` a schedule whose lr jumps on purpose
    (ConstantLR, StepLR, MultiStepLR, a lambda, ReduceLROnPlateau), ``start_factor_key`` and
    ``end_factor_key`` where it writes the share of the initial lr it starts and ends at
    (LinearLR's ``start_factor``, ``end_factor``); ``factor_function`` the key of a factor
    function the user wrote (LambdaLR's ``lr_lambda``: ``factor_function_of`` ``initial``, the
    lr is the initial lr x its value; MultiplicativeLR's: ``previous``, each step's lr is the
    last one x its value). Every field is optional: declare what the format knows.
    """

    peak: float | None = None
    peak_key: KeyPath | None = None
    floor: float | None = None
    floor_factor: float | None = None  # a floor written as a share of the peak (min_lr_rate)
    floor_key: KeyPath | None = None
    lengths: tuple[Length, ...] = ()
    milestones: Milestones | None = None
    stepped_in: Unit = "step"
    unbounded_decay: bool = False
    factor: float | None = None  # the lr's factor per step() or per stage (gamma)
    factor_key: KeyPath | None = None
    factor_every: int | None = None  # step() calls between two applications of ``factor`` (step_size)
    factor_every_key: KeyPath | None = None  # where that number is written (None: every call, no key)
    plateau: Plateau | None = None
    monitor: str | None = None
    mode: str | None = None
    mode_key: KeyPath | None = None
    mode_values: tuple[object, object] = ("min", "max")  # what ``mode_key`` holds for min and for max
    warnings: tuple[TrainerWarning, ...] = field(default_factory=tuple)
    jumps_by_design: bool = False  # its lr moves in jumps on purpose (a staircase, a lambda, a cut)
    start_factor_key: KeyPath | None = None  # where the share of the initial lr it starts at is written
    end_factor_key: KeyPath | None = None  # where the share of the initial lr it ends at is written
    factor_function: KeyPath | None = None  # a user-written function whose value multiplies the lr
    factor_function_of: FactorOf = "initial"  # it multiplies the initial lr, or the previous step's
    name: str | None = None  # what messages call the schedule ("timm's cosine"); None: the class
