"""Random inputs for the newer readers, shared by the hypothesis properties
(tests/test_fuzz_readers.py, every test run) and the atheris harness (fuzz/fuzz_config.py, by
hand): Python configs read as data, OmegaConf documents with interpolations and resolvers,
DeepSpeed JSON and torchtitan TOML with hostile numbers, and terminal text.

A generator takes a :class:`Pick` (hypothesis's ``data.draw`` or atheris's
``FuzzedDataProvider`` behind one interface) and returns the text of a file. Every one is
built from the shapes the issues found (``round(10, -10**9)``, ``d['self'] = d``,
``${oc.env:...}`` in a typed key, NaN/inf/1e400 in a step count) and their neighbours.
:func:`outcome` runs one input and says whether it ended cleanly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

SECRET_ENV = "LRPLOT_FUZZ_SECRET"
SECRET = "canary-7f3a9c1e5b2d4680-fuzz"
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


class Pick(Protocol):
    """Where a generator's choices come from."""

    def index(self, count: int) -> int: ...  # 0 <= index < count
    def integer(self, low: int, high: int) -> int: ...
    def text(self, size: int) -> str: ...


def one(pick: Pick, options: Sequence[T]) -> T:
    return options[pick.index(len(options))]


# Numbers a config can hold that broke a reader once, and their neighbours.
NUMBERS_PY = ("0", "1", "-1", "3", "20", "0.5", "1e300", "-1e300", "10**1000", "2**64", "2**53 + 1",
              "float('nan')", "float('inf')", "-float('inf')", "True", "None", "'7'", "'x'")  # fmt: skip
NUMBERS_JSON = ("0", "1", "-1", "5", "10", "0.5", "1e300", "1e400", "-1e400", "NaN", "Infinity",
                "-Infinity", "100000000000000000000", "18446744073709551617", "true", "null",
                '"auto"', '"10"', '"\\ud83d\\ude00"', '"\\udc80"')  # fmt: skip
NUMBERS_TOML = ("0", "1", "-1", "10", "0.5", "1e300", "inf", "nan", "-inf", "100000000000000000000",
                "9223372036854775807", "true", '"10"', "[1, 2]")  # fmt: skip


def number(pick: Pick, good: Sequence[str], hostile: Sequence[str]) -> str:
    """Mostly a value that reads (so the input gets past the first check), sometimes a hostile one."""
    return one(pick, good) if pick.index(3) else one(pick, hostile)


GOOD_PY = ("1", "3", "20", "0.1", "0.5", "2 * 5", "max(1, 2)")


def _lazy_statements(name: str, other: str, literal: str) -> tuple[str, ...]:
    """Statements only LazyConfig files read: LazyCall nodes, attributes, functions, imports."""
    return (
        f"{name} = L(dict)(x={literal}, s={other})",
        f"{name}.x = {other}",
        f"{name}.s = {name}",
        f"{name}.x *= {literal}",
        f"{name} = [m for m in {other}]",
        f"def {name}(n):\n    if n:\n        return {name}(n - 1)\n    return L(dict)(x=n)",
        f"{name} = {other}({literal})",
        f"from .{name} import {other}",
        f"from detectron2 import model_zoo\n{name} = model_zoo.get_config('common/train.py').train",
        f"{name} = '${{..{other}}}'",
    )


def python_config(pick: Pick, kind: str = "mmengine") -> str:
    """An OpenMMLab (``kind="mmengine"``), nanoGPT-shaped or detectron2 LazyConfig
    (``kind="detectron2_lazy"``) Python config: a few statements on earlier names, some of them
    the shapes that hung the reader, then the keys a format reads."""
    names = {
        "mmengine": ("a", "b", "d", "train_cfg", "cfg"),
        "detectron2_lazy": ("a", "b", "train", "lr_multiplier", "f"),
    }.get(kind, ("batch_size", "block_size", "dropout"))
    lines: list[str] = []
    for _ in range(pick.integer(0, 6)):
        name, other = one(pick, names), one(pick, names)
        literal = one(pick, NUMBERS_PY)
        lines.append(
            one(
                pick,
                (
                    f"{name} = {{}}",
                    f"{name} = [{literal}, {literal}]",
                    f"{name} = dict(k={literal}, **{{'j': {literal}}})",
                    f"{name}['self'] = {name}",
                    f"{name}[{pick.integer(-2, 2)}] = {other}",
                    f"{name}['k'] = {other}",
                    f"{name} = {other}",
                    f"{name} = round({literal}, {one(pick, ('-10**9', '-400', '-401', '3', '10**9', literal))})",
                    f"{name} = {literal} ** {literal}",
                    f"{name} = {literal} * {literal}",
                    f"{name} = [{literal}] * {one(pick, ('3', '10**6', '10**9', literal))}",
                    f"{name} = {pick.text(8)!r}" if pick.index(2) else f"{name} += {literal}",
                    f"del {name}",
                    f"{name} = {other}['k'] if {literal} else {literal}",
                    *(_lazy_statements(name, other, literal) if kind == "detectron2_lazy" else ()),
                ),
            )
        )
    hostile = (*NUMBERS_PY, "a", "d", "round(10, -10**9)", "int('1' * 40)")

    def value() -> str:
        return number(pick, GOOD_PY, hostile)

    def count() -> str:
        return number(pick, ("0", "1", "20", "2 * 50"), hostile)

    if kind == "detectron2_lazy":
        scheduler = one(
            pick,
            (
                "CosineParamScheduler)(start_value=1.0, end_value=0.0",
                f"MultiStepParamScheduler)(values=[1.0, 0.1], milestones=[{value()}, {count()}]",
            ),
        )
        lines.insert(
            0,
            "from detectron2.config import LazyCall as L\nfrom detectron2.solver import "
            "WarmupParamScheduler as W\nfrom fvcore.common.param_scheduler import "
            "CosineParamScheduler, MultiStepParamScheduler\nimport torch",
        )
        lines.append(
            f"train = L(dict)(max_iter={count()})\noptimizer = L(torch.optim.SGD)(lr={value()})\n"
            f"lr_multiplier = L(W)(scheduler=L({scheduler}), warmup_length={value()}, warmup_factor=0.001)"
        )
        if pick.index(2):
            lines.append(
                one(
                    pick,
                    (
                        "train.max_iter *= 2",
                        f"lr_multiplier.warmup_length = {value()}",
                        "lr_multiplier.scheduler.milestones = [m * 2 for m in "
                        "lr_multiplier.scheduler.milestones]",
                        "lr_multiplier = f(3)",
                    ),
                )
            )
    elif kind == "mmengine":
        scheduler = one(pick, ("LinearLR", "CosineAnnealingLR", "MultiStepLR", "ConstantLR"))
        extra = f", milestones=[{value()}]" if scheduler == "MultiStepLR" else ""
        lines.append(
            f"optim_wrapper = dict(optimizer=dict(type='SGD', lr={value()}))\n"
            f"param_scheduler = [dict(type='{scheduler}', begin=0, end={value()}, by_epoch=False{extra})]\n"
            f"train_cfg = dict(by_epoch=False, max_iters={value()})"
        )
    else:
        lines.append(
            f"learning_rate = {value()}\nmax_iters = {count()}\nlr_decay_iters = {count()}\n"
            f"warmup_iters = {count()}\nmin_lr = 6e-5\ndecay_lr = True"
        )
    return "\n".join(lines) + "\n"


_VALUES_OMEGACONF = (
    "3", "0.1", "-1", ".nan", ".inf", "1e300", "'x'",
    f"'${{oc.env:{SECRET_ENV}}}'", f"'${{oc.decode:${{oc.env:{SECRET_ENV}}}}}'",
    f"'x-${{oc.env:{SECRET_ENV}}}-y'", f"'${{oc.env:{SECRET_ENV},3}}'", "'${oc.env:LRPLOT_FUZZ_UNSET,2}'",
    "'${trainer.max_epochs}'", "'${..lr}'", "'${oc.select:trainer.max_epochs,4}'", "'${now:%S}'",
    "'${oc.create:{k: 1}}'", "'${nope:1}'", "'${trainer}'", "'${oc.decode:\"[1, 2]\"}'", "'${'",
)  # fmt: skip


def omegaconf_config(pick: Pick) -> str:
    """A Hydra/OmegaConf single file: trainer, optimizer and scheduler nodes whose values may be
    interpolations, resolvers allowed and not, and ``oc.env`` of a variable holding the canary."""

    def value() -> str:
        return number(pick, ("3", "2", "0.1", f"'${{oc.env:{SECRET_ENV},3}}'", "'${oc.decode:\"4\"}'"),
                      _VALUES_OMEGACONF)  # fmt: skip

    scheduler = one(pick, ("StepLR", "CosineAnnealingLR", "LinearLR"))
    key = {"StepLR": "step_size", "CosineAnnealingLR": "T_max", "LinearLR": "total_iters"}[scheduler]
    return (
        f"trainer:\n  max_epochs: {value()}\n"
        + ("  max_steps: " + value() + "\n" if pick.index(2) else "")
        + f"optimizer:\n  _target_: torch.optim.SGD\n  lr: {value()}\n"
        + f"scheduler:\n  _target_: torch.optim.lr_scheduler.{scheduler}\n  {key}: {value()}\n"
        + (f"label: {value()}\n" if pick.index(2) else "")
    )


def deepspeed_config(pick: Pick) -> str:
    """A DeepSpeed JSON alone: a scheduler block of each type, its parameters hostile numbers."""
    from lrplot.formats.deepspeed import PARAMETERS

    kind = one(pick, (*PARAMETERS, "StepLR"))
    known = PARAMETERS.get(kind, ("step_size", "gamma"))
    good = ("0", "1", "5", "10", "0.001", "0.5")
    chosen = dict.fromkeys(one(pick, known) for _ in range(pick.integer(0, 5)))
    params = ", ".join(f'"{key}": {number(pick, good, NUMBERS_JSON)}' for key in chosen)
    lr = number(pick, ("0.001", "1"), NUMBERS_JSON)
    optimizer = f'{{"type": "AdamW", "params": {{"lr": {lr}}}}}'
    scheduler = f'{{"type": "{kind}", "params": {{{params}}}}}'
    return f'{{"train_micro_batch_size_per_gpu": 4, "optimizer": {optimizer},\n "scheduler": {scheduler}}}\n'


def torchtitan_config(pick: Pick) -> str:
    """A torchtitan TOML: ``[lr_scheduler]`` and ``[training]`` with hostile numbers."""
    keys = ("warmup_steps", "decay_ratio", "decay_type", "min_lr_factor", "lr_min")
    good = ("1", "2", "10", "0.5", "0.1")
    lines = [f"[optimizer]\nlr = {number(pick, good, NUMBERS_TOML)}", "[lr_scheduler]"]
    for key in dict.fromkeys(one(pick, keys) for _ in range(pick.integer(0, 4))):
        kinds = ('"linear"', '"cosine"', '"sqrt"', '"x"')
        lines.append(
            f"{key} = {one(pick, kinds) if key == 'decay_type' else number(pick, good, NUMBERS_TOML)}"
        )
    lines.append(f"[training]\nsteps = {number(pick, ('10', '20', '100'), NUMBERS_TOML)}")
    return "\n".join(lines) + "\n"


def hostile_text(pick: Pick) -> str:
    """A label: printable text mixed with control, escape, bidirectional and odd characters."""
    pieces = ("\x1b]0;title\x07", "\x1b[31m", "\u202e", "\u2066", "\u200f", "\x9b", "\x00", "\r", "\n",
              "\t", "\u2028", "$x$", "😀", "中文", "a", " ")  # fmt: skip
    return "".join(one(pick, pieces) if pick.index(3) else pick.text(4) for _ in range(pick.integer(1, 8)))


def outcome(action: Callable[[], Any], *, secret: str | None = SECRET) -> str:
    """Run one input: ``"ok"``, or ``"refused"`` for lrplot's own one-line error; anything else
    raises (an exception that is not lrplot's, a message of several lines, a message holding
    the canary or, once shown, a raw control character)."""
    from lrplot.errors import LrplotError
    from lrplot.safe_text import shown

    try:
        action()
    except LrplotError as error:
        message = str(error)
        assert "\n" not in shown(message) and UNSAFE.search(shown(message)) is None, repr(message)
        assert secret is None or secret not in message, message
        assert "bug in lrplot" not in message, message
        return "refused"
    return "ok"
