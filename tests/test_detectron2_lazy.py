"""detectron2 LazyConfig ``.py`` files: real configs plot as they are, bit for bit as detectron2 runs them.

The oracle is a recording (tests/fixtures/detectron2_lazy/recording.json, made by
tools/record_detectron2_lazy.py): detectron2's own ``LazyConfig.load`` (lazy.py, its patched
relative imports, ``LazyCall``) ran each real config, its ``instantiate`` built
``cfg.lr_multiplier`` from real fvcore and detectron2's own ``WarmupParamScheduler``, and its
``LRMultiplier`` was stepped ``cfg.train.max_iter`` times, at commit
02b5c4e295e990042a714712c21dc79b731e8833. lrplot reads the same files without running them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import format_module, identify
from tests.conftest import FIXTURES

pytest.importorskip("fvcore")

LAZY = FIXTURES / "detectron2_lazy"
RECORDING = json.loads((LAZY / "recording.json").read_text())["cases"]
# model_zoo.get_config(...) of detectron2's packaged configs: the same files, given with --file-for
PACKAGED = (
    f"common/train.py={LAZY / 'configs/common/train.py'}",
    f"common/optim.py={LAZY / 'configs/common/optim.py'}",
)


# the configs that call model_zoo.get_config, and the packaged files they name
GETS_CONFIG = {
    "configs/Misc/torchvision_imagenet_R_50.py": PACKAGED[:1],
    "projects/ViTDet/configs/COCO/mask_rcnn_vitdet_b_100ep.py": PACKAGED,
    "projects/ViTDet/configs/COCO/mask_rcnn_vitdet_h_75ep.py": PACKAGED,
}


def _lrs(path: Path, **options: object) -> np.ndarray:
    config = lrplot.load(path, **options)
    curve = lrplot.simulate(config, workers=1).curves[0]
    return curve.groups[0].lr


@pytest.mark.parametrize("name", sorted(RECORDING))
def test_matches_the_recording_of_detectron2s_lazyconfig(name: str) -> None:
    case = RECORDING[name]
    ours = _lrs(LAZY / name, files_for=GETS_CONFIG.get(name, ()))
    recorded = {int(step): lr for step, lr in case["lrs"].items()}
    assert ours.shape[0] == case["max_iter"]  # train.max_iter iterations, one lr each
    steps = sorted(recorded)
    assert [float(ours[step]) for step in steps] == [recorded[step] for step in steps]


def test_fvcore_stepped_by_hand_matches_bit_for_bit() -> None:
    """The 100ep LSJ schedule written out with fvcore and the reproduced WarmupParamScheduler, stepped
    as LRMultiplier.get_lr does: base_lr * multiplier(last_epoch / max_iter) for every iteration."""
    from fvcore.common.param_scheduler import MultiStepParamScheduler

    from lrplot.plan.drivers.detectron2 import warmup_param_scheduler

    max_iter = 184375
    multiplier = warmup_param_scheduler(
        MultiStepParamScheduler(values=[1.0, 0.1, 0.01], milestones=[163889, 177546], num_updates=max_iter),
        0.067,
        500 / max_iter,
        "linear",
        False,
    )
    by_hand = np.array([0.1 * multiplier(i / max_iter) for i in range(max_iter)])
    ours = _lrs(LAZY / "configs/new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py")
    assert ours.tobytes() == by_hand.tobytes()


def test_a_derived_config_keeps_the_warmup_share_its_parent_computed() -> None:
    """200ep doubles train.max_iter after 100ep computed warmup_length = 500 / train.max_iter: the
    warmup is 1,000 iterations of the longer run, as in detectron2 (the recording agrees)."""
    ours = _lrs(LAZY / "configs/new_baselines/mask_rcnn_R_50_FPN_200ep_LSJ.py")
    assert ours.shape[0] == 368750
    assert ours[999] < 0.1 and ours[1000] == 0.1


def test_coco_schedule_function_is_evaluated_not_run() -> None:
    """common/coco_schedule.py's default_X_scheduler(1), through if/else and return, as data."""
    from lrplot.read.python.lazy import read_lazy_config

    source, files = read_lazy_config(LAZY / "configs/common/coco_schedule.py")
    assert source.data["lr_multiplier_3x"]["scheduler"]["milestones"] == [210000, 250000, 270000]
    assert source.data["lr_multiplier_1x"]["scheduler"]["milestones"] == [60000, 80000, 90000]
    assert source.data["lr_multiplier_1x"]["warmup_length"] == 1000 / 90000
    assert source.where(("lr_multiplier_3x", "scheduler", "milestones")).endswith("coco_schedule.py:33")
    assert len(files) == 1


LAZY_FILES = [path for path in sorted(LAZY.rglob("*.py")) if "common" not in path.parts]
COMMON_FILES = [path for path in sorted(LAZY.rglob("*.py")) if "common" in path.parts]


@pytest.mark.parametrize("path", LAZY_FILES, ids=lambda p: str(p.relative_to(LAZY)))
def test_detectron2_lazy_claims_its_configs_and_only_it(path: Path) -> None:
    from lrplot.read.python import read_python

    claims = [(m.__name__, found) for m, found in identify(path, read_python(path).data) if found.confident]
    assert [name for name, _ in claims] == ["lrplot.formats.detectron2_lazy"], claims


@pytest.mark.parametrize("path", COMMON_FILES, ids=lambda p: str(p.relative_to(LAZY)))
def test_the_common_files_a_config_imports_are_not_claimed(path: Path) -> None:
    """common/optim.py, common/train.py, ... hold no lr_multiplier: no schedule to draw on their own."""
    from lrplot.read.python import read_python

    assert not [m for m, found in identify(path, read_python(path).data) if found.confident]


def test_detectron2_lazy_does_not_claim_other_python_configs() -> None:
    module = format_module("lrplot.formats.detectron2_lazy")
    assert module.identify(Path("x.py"), {"learning_rate": 1e-3, "max_iters": 10}).score == 0
    assert module.identify(Path("x.py"), {"lr_multiplier": 1, "param_scheduler": []}).score < 0.5
    assert module.identify(Path("x.yaml"), {"lr_multiplier": {}, "train": {}}).score == 0


def test_cli_plots_a_lazyconfig_in_process_and_in_a_real_process(cli, tmp_path: Path) -> None:
    config = LAZY / "configs/COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py"
    result = cli("plot", config, "-o", tmp_path / "in.csv")
    assert result.exit_code == 0, result.stderr
    rows = (tmp_path / "in.csv").read_text().splitlines()
    assert rows[0].startswith("curve,group,step,lr") and len(rows) == 90001
    out = tmp_path / "vitdet.png"
    vitdet = LAZY / "projects/ViTDet/configs/COCO/mask_rcnn_vitdet_b_100ep.py"
    args = [arg for given in PACKAGED for arg in ("--file-for", given)]
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(vitdet), *args, "-o", str(out)],
        capture_output=True, text=True, cwd=LAZY, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000
    assert "lr_factor_func" in done.stderr  # the layer-wise factors are named, not drawn


def test_set_addresses_the_files_own_names(cli, tmp_path: Path) -> None:
    config = LAZY / "configs/COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py"
    result = cli(
        "plot", config, "--set", "train.max_iter=1000", "--set", "optimizer.lr=0.5", "-o", tmp_path / "x.csv"
    )
    assert result.exit_code == 0, result.stderr
    rows = (tmp_path / "x.csv").read_text().splitlines()
    assert len(rows) == 1001 and rows[-1].split(",")[3] == repr(0.5 * 0.01)


def test_warmup_longer_than_the_run_is_flagged(cli, tmp_path: Path) -> None:
    """``warmup_length = 500 / 1000`` copied into a run cut to 200 iterations (a cosine: fvcore draws it)."""
    path = tmp_path / "short.py"
    path.write_text(_config("CosineParamScheduler)(start_value=1.0, end_value=0.0)", "2.5", max_iter=200))
    result = cli("validate", "--strict", path)
    assert result.exit_code == 1, result.stderr
    assert "[LR003]" in result.stderr and f"{path.name}:" in result.stderr
    assert "lr_multiplier.warmup_length" in result.stderr


def test_a_matching_warmup_passes(cli, tmp_path: Path) -> None:
    path = tmp_path / "ok.py"
    path.write_text(_config("CosineParamScheduler)(start_value=1.0, end_value=0.0)", "0.05", max_iter=2000))
    result = cli("validate", "--strict", path)
    assert result.exit_code == 0, result.stderr


def _config(scheduler: str, warmup: str, max_iter: int = 1000, extra: str = "") -> str:
    return (
        "import torch\n"
        "from detectron2.config import LazyCall as L\n"
        "from detectron2.solver import WarmupParamScheduler\n"
        "from fvcore.common.param_scheduler import CosineParamScheduler, MultiStepParamScheduler\n"
        f"train = L(dict)(max_iter={max_iter})\n"
        "optimizer = L(torch.optim.SGD)(lr=0.1, momentum=0.9)\n"
        f"lr_multiplier = L(WarmupParamScheduler)(scheduler=L({scheduler}, warmup_length={warmup},\n"
        "    warmup_factor=0.001)\n"
        f"{extra}"
    )


MULTISTEP = "MultiStepParamScheduler)(values=[1.0, 0.1], milestones=[500, 1000])"
BAD = [
    (_config(MULTISTEP, "0.01", extra="import os\ntrain.max_iter = int(os.environ['ITERS'])\n"),
     ":10: train.max_iter cannot be read: uses the imported os.environ, which lrplot does not import"),
    (_config(MULTISTEP, "0.01", extra="optimizer.lr = [x for x in range(3)][0]\n"),
     ":9: optimizer.lr cannot be read: calling range() is not read by lrplot"),
    (_config("MultiStepParamScheduler)(values=[1.0, 0.1], milestones=[5000], num_updates=1000)", "0.01"),
     ":7: curve 'SGD + MultiStepParamScheduler + warmup': lr_multiplier.scheduler: MultiStepParamScheduler "
     "refuses it (ValueError: Milestone must be smaller than total number of updates"),
    (_config(MULTISTEP, "2.0"),
     ":7: curve 'SGD + MultiStepParamScheduler + warmup': lr_multiplier: WarmupParamScheduler refuses it "
     "(RuntimeError: where in ParamScheduler must be in [0, 1]: got 2.0)"),
    (_config("torch.optim.lr_scheduler.StepLR)(step_size=3)", "0.01"),
     ":7: curve 'SGD + StepLR + warmup': lr_multiplier.scheduler is L(torch.optim.lr_scheduler.StepLR); "
     "lrplot draws fvcore's param schedulers"),
    (_config(MULTISTEP, "0.01", extra="train = dict(max_iter=10)\ntrain.max_iter = 20\n"),
     ":10: train.max_iter: a dict the file writes itself has no attributes (Python would fail too"),
    (_config(MULTISTEP, "0.01", extra="train.max_iters = 20\nx = train.max_iterz\n"),
     ":10: train.max_iterz is not set in the config (OmegaConf raises on a missing key too)"),
    (_config(MULTISTEP, "0.01", extra="lr_multiplier.warmup_factor = L(torch.nn.Linear)(3, 4)\n"),
     ":9: L(torch.nn.Linear)(3, 4): LazyCall(...)() takes keyword arguments only"),
    (_config(MULTISTEP, "0.01", extra="from ..common.train import train\n"),
     ":9: from ..common.train import ...: "),
    (_config(MULTISTEP, "0.01", extra="from .other import *\n"),
     ":9: from .other import *: detectron2's LazyConfig cannot import '*'"),
    (_config(MULTISTEP, "0.01", extra="from .config import train\n"), "imports itself (config.py -> config.py)"),
    (_config(MULTISTEP, "'${train.max_iterz}'"), "the config sets no train.max_iterz"),
    (_config(MULTISTEP, "0.01", extra="from detectron2 import model_zoo\n"
                                      "train = model_zoo.get_config('common/train.py').train\n"),
     "config.py:10) loads a config packaged inside detectron2, which lrplot does not import: give that file "
     "(detectron2's configs/common/train.py) with --file-for common/train.py=PATH"),
    (_config(MULTISTEP, "0.01", extra="del lr_multiplier\n"), "(has optimizer, train; lacks lr_multiplier)"),
    (_config(MULTISTEP, "0.01", extra="train.max_iter = 0\n"), ":9: train.max_iter should be a positive integer, got 0"),
    # bounded: nesting, calls of the file's own functions, comprehensions, repeated references
    (_config(MULTISTEP, "0.01", extra="a = 1\n" + "a = [a]\n" * 100 + "lr_multiplier = a\n"),
     ":110: lr_multiplier: a config value nested more than 64 levels deep; refusing it"),
    (_config(MULTISTEP, "0.01", extra="def f(n):\n    if n:\n        x = [f(n - 1), f(n - 1), f(n - 1)]\n"
                                      "    return 1\ntrain.max_iter = f(7)\n"),
     "more than 1,000 calls of the config's own functions; refusing them"),
    (_config(MULTISTEP, "0.01", extra="def f(n):\n    return f(n)\ntrain.max_iter = f(1)\n"),
     ":10: calls nested deeper than 8; refusing them"),
    (_config(MULTISTEP, "0.01", extra="big = [0] * 100000\nx = [[y for y in big] for z in big]\n"),
     ":10: comprehensions going through more than 100,000 items; refusing them"),
    (_config(MULTISTEP, "0.01", extra="big = [[0] * 1000] * 150\nlr_multiplier.x = L(dict)(a=big, b=big)\n"),
     ":10: a config value of more than 200,000 values (repeated references); refusing it"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_is_one_line_naming_the_culprit(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.py"
    path.write_text(text, encoding="utf-8")
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.csv").exists()


def test_a_missing_imported_config_is_one_line_naming_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real config copied without the common/ files it imports: the import's line and the path."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "COCO-InstanceSegmentation"
    folder.mkdir()
    path = folder / "mask_rcnn_R_50_FPN_1x.py"
    path.write_bytes((LAZY / "configs/COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py").read_bytes())
    result = cli("plot", path, "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert (
        "mask_rcnn_R_50_FPN_1x.py:1: from ..common.optim import ...: common/optim.py does not exist" in line
    )


def test_an_import_outside_the_config_tree_is_refused(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative imports are confined as _BASE_ files are: the config's folder or the working folder."""
    (tmp_path / "outside.py").write_text("train = dict(max_iter=10)\n")
    inner = tmp_path / "work" / "configs"
    inner.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    path = inner / "config.py"
    path.write_text(_config(MULTISTEP, "0.01", extra="from ...outside import train\n"))
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert "config.py:9: imported config" in result.stderr
    assert "is outside the config's folder and the working folder" in result.stderr


def test_get_config_with_file_for_reads_that_file(tmp_path: Path) -> None:
    path = tmp_path / "config.py"
    path.write_text(
        _config(MULTISTEP, "0.01", extra="from detectron2 import model_zoo\n"
                "train = model_zoo.get_config('common/train.py').train\ntrain.max_iter = 600\n")
    )  # fmt: skip
    given = f"common/train.py={LAZY / 'configs/common/train.py'}"
    assert _lrs(path, files_for=(given,)).shape[0] == 600
    with pytest.raises(LrplotError, match="no such file"):
        lrplot.load(path, files_for=(f"common/train.py={tmp_path / 'nope.py'}",))


def test_nothing_in_the_config_runs(tmp_path: Path) -> None:
    """A call the reader does not evaluate leaves a marker, never a side effect."""
    marker = tmp_path / "ran"
    path = tmp_path / "config.py"
    path.write_text(_config(MULTISTEP, "0.01", extra=f"open({str(marker)!r}, 'w').write('x')\n"))
    lrplot.load(path)
    assert not marker.exists()


# Differential: programs of LazyCall nodes, attribute assignments, in-place changes and
# comprehensions, read by lrplot and run by Python with OmegaConf's DictConfig and a LazyCall
# made as detectron2's LazyCall.__call__ makes one (detectron2/config/lazy.py): same values.
NAMES = ("a", "b")
INTS = st.integers(-50, 50)


def _expression(draw: st.DrawFn) -> str:
    other = draw(st.sampled_from(NAMES))
    return draw(st.sampled_from([
        str(draw(INTS)),
        f"{other}.x",
        f"{other}.x * {draw(INTS)}",
        f"[{draw(INTS)}, {draw(INTS)}]",
        f"[m * 2 for m in {other}.y]",
        f"L(T)(x={draw(INTS)})",
    ]))  # fmt: skip


@st.composite
def _programs(draw: st.DrawFn) -> str:
    lines = ["from detectron2.config import LazyCall as L", "from m import T"]
    lines += [f"{name} = L(T)(x={draw(INTS)}, y=[{draw(INTS)}, {draw(INTS)}])" for name in NAMES]
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.sampled_from(NAMES))
        lines.append(draw(st.sampled_from([
            f"{name}.x = {_expression(draw)}",
            f"{name}.z = {_expression(draw)}",
            f"{name}.x *= {draw(INTS)}",
            f"{name}.y = [m + {draw(INTS)} for m in {name}.y]",
            f"{name} = L(T)(s={draw(st.sampled_from(NAMES))}, x={draw(INTS)}, y=[1, 2])",
        ])))  # fmt: skip
    return "\n".join(lines) + "\n"


def _run_with_omegaconf(text: str) -> dict[str, object] | None:
    """What Python makes of the program with DictConfig-based LazyCalls (None: Python fails)."""
    from omegaconf import DictConfig, OmegaConf

    def lazy_call(target: object):
        def call(**kwargs: object) -> DictConfig:
            kwargs["_target_"] = target
            return DictConfig(content=kwargs, flags={"allow_objects": True})

        return call

    namespace: dict[str, object] = {"L": lazy_call, "T": "m.T"}
    body = "\n".join(text.splitlines()[2:])  # the imports, provided above
    try:
        exec(compile(body, "program", "exec"), namespace)  # test code, built above: never a config
    except Exception:
        return None
    return {name: OmegaConf.to_container(namespace[name]) for name in NAMES}


@settings(max_examples=150, deadline=None)
@given(_programs())
def test_the_reader_agrees_with_python_and_omegaconf(text: str) -> None:
    pytest.importorskip("omegaconf")
    from lrplot.read.python.lazy import read_lazy_config
    from lrplot.read.python.lazy_values import plain

    expected = _run_with_omegaconf(text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program.py"
        path.write_text(text, encoding="utf-8")
        try:
            source, _ = read_lazy_config(path)
        except LrplotError:
            assert expected is None, text  # refused only what Python refuses
            return
    assert expected is not None, text
    assert {name: plain(source.data[name]) for name in NAMES} == expected, text
