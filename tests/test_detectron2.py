"""detectron2 yacs configs: real configs plot as they are, bit for bit as detectron2's build_lr_scheduler.

The oracle is a recording (tests/fixtures/detectron2/recording.json): the lrs of every
iteration (or of the iterations listed, for long runs) made by detectron2's own
``detectron2/solver/build.py`` and ``lr_scheduler.py`` at commit
02b5c4e295e990042a714712c21dc79b731e8833, loaded standalone with fvcore (real) and the
config merged by detectron2's ``defaults.py`` + fvcore's ``merge_from_file``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot.formats import convert, format_module
from lrplot.formats.base import FormatOptions
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("fvcore")
pytest.importorskip("yacs")

D2 = FIXTURES / "detectron2"
RECORDING = json.loads((D2 / "recording.json").read_text())["cases"]


def _lrs(config: lrplot.Config) -> np.ndarray:
    curve = lrplot.simulate(config, workers=1).curves[0]
    return np.stack([group.lr for group in curve.groups], axis=1)


def _config_for(name: str, case: dict, tmp_path: Path) -> lrplot.Config:
    if "file" in case:
        return lrplot.load(D2 / case["file"])
    lines = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in case["solver"].items())
    path = tmp_path / "config.yaml"
    path.write_text("MODEL:\n  META_ARCHITECTURE: GeneralizedRCNN\nSOLVER:\n" + lines, encoding="utf-8")
    return lrplot.load(path)


@pytest.mark.parametrize("name", sorted(RECORDING))
def test_matches_the_recording_of_detectron2s_build_lr_scheduler(name: str, tmp_path: Path) -> None:
    case = RECORDING[name]
    ours = _lrs(_config_for(name, case, tmp_path))
    recorded = {int(step): lrs for step, lrs in case["lrs"].items()}
    steps = sorted(recorded)
    assert ours.shape[0] == max(steps) + 1  # MAX_ITER rows: the last recorded step is MAX_ITER - 1
    assert ours.shape[1] == len(recorded[0])
    assert [ours[step].tolist() for step in steps] == [recorded[step] for step in steps]


def test_bias_lr_factor_is_a_second_param_group(tmp_path: Path) -> None:
    config = _config_for("bias lr factor", RECORDING["bias lr factor"], tmp_path)
    names = [group.get("name") for group in config.curves[0].optimizer.param_groups]
    assert names == ["default", "bias (BIAS_LR_FACTOR 2)"]


def test_base_with_python_tag_on_a_model_key_is_opaque(tmp_path: Path) -> None:
    # Base-RetinaNet.yaml: MODEL.ANCHOR_GENERATOR.SIZES is !!python/object/apply:eval
    ours = _lrs(lrplot.load(D2 / "COCO-Detection/retinanet_R_50_FPN_1x.yaml"))
    assert ours.shape == (90000, 1)
    assert ours[0, 0] == 0.01 * 0.001 and ours[1000, 0] == 0.01 and ours[80000, 0] == pytest.approx(1e-4)
    direct = _lrs(lrplot.load(D2 / "Base-RetinaNet.yaml"))  # the tagged file itself, given directly
    assert direct.tolist() == ours.tolist()


def test_errors_point_at_the_file_and_line_that_set_the_value(cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f'_BASE_: "{D2 / "Base-RCNN-FPN.yaml"}"\nSOLVER:\n  LR_SCHEDULER_NAME: WarmupPolyLR\n')
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"lrplot: error: {path}:3: SOLVER.LR_SCHEDULER_NAME 'WarmupPolyLR' is not one of detectron2's "
        "build_lr_scheduler (WarmupMultiStepLR, WarmupCosineLR, WarmupStepWithFixedGammaLR); a project's own "
        "scheduler (e.g. DeepLab's WarmupPolyLR) is not drawn"
    ]


def test_a_value_from_the_base_points_at_the_base(cli, tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("SOLVER:\n  BASE_LR: 0.02\n  STEPS: (10, 5)\n  MAX_ITER: 30\n")
    (tmp_path / "child.yaml").write_text('_BASE_: "base.yaml"\nSOLVER:\n  BASE_LR: 0.01\n')
    result = cli("plot", tmp_path / "child.yaml", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert f"{tmp_path / 'base.yaml'}:3: SOLVER.STEPS should be increasing" in result.stderr


BAD = [
    (
        "SOLVER:\n  BASE_LR: 0.1\n  STEPS: !!python/tuple [10, 20]\n  MAX_ITER: 30\n",
        ":3: SOLVER.STEPS is a !!python/tuple node",
    ),
    ('_BASE_: "missing.yaml"\nSOLVER:\n  BASE_LR: 0.1\n', ":1: _BASE_ file"),
    ("SOLVER:\n  BASE_LR: 1\n  MAX_ITER: 30\n", ":2: detectron2 (yacs) refuses it: Type mismatch"),
    (
        "SOLVER:\n  BASE_LR: 0.1\n  BOGUS_KEY: 1\n",
        ":3: detectron2 (yacs) refuses it: Non-existent config key: SOLVER.BOGUS_KEY",
    ),
    (
        "SOLVER:\n  BASE_LR: 0.1\n  WARMUP_METHOD: cubic\n",
        ":3: SOLVER.WARMUP_METHOD should be 'linear' or 'constant'",
    ),
    ("SOLVER:\n  BASE_LR: 0.1\n  MAX_ITER: 0\n", ":3: SOLVER.MAX_ITER should be a positive integer"),
    (
        "SOLVER:\n  LR_SCHEDULER_NAME: WarmupCosineLR\n  BASE_LR: 0.1\n  BASE_LR_END: 0.5\n",
        ":4: SOLVER.BASE_LR_END / BASE_LR should be in [0, 1]",
    ),
    ('_BASE_: "config.yaml"\nSOLVER:\n  BASE_LR: 0.1\n', "inherits from itself through _BASE_"),
    (
        '_BASE_: "https://example.org/base.yaml"\nSOLVER:\n  BASE_LR: 0.1\n',
        ":1: _BASE_ 'https://example.org/base.yaml': lrplot reads no URL",
    ),
    (
        '_BASE_: "../../../../../../etc/base.yaml"\nSOLVER:\n  BASE_LR: 0.1\n',
        "is outside the config's folder and the working folder",
    ),
    ("SOLVER:\n  BASE_LR: 0.1\n  REFERENCE_WORLD_SIZE: 3\n", ":3: Invalid REFERENCE_WORLD_SIZE in config!"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_input_is_one_line_naming_the_culprit(cli, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("plot", path, "--world-size", "2", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_tagged_yaml_no_format_claims_is_still_refused(cli, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("curves: !!python/object/apply:os.system ['true']\n")
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert "YAML tag !!python/object/apply:os.system is not allowed" in result.stderr


def test_auto_scale_workers_follows_detectron2s_docstring_example(tmp_path: Path) -> None:
    # DefaultTrainer.auto_scale_workers: IMS_PER_BATCH 16, BASE_LR 0.1, REFERENCE_WORLD_SIZE 8,
    # MAX_ITER 5000, STEPS (4000,) on 16 GPUs -> 32, 0.2, 2500, (2000,)
    path = tmp_path / "c.yaml"
    path.write_text(
        "SOLVER:\n  IMS_PER_BATCH: 16\n  BASE_LR: 0.1\n  REFERENCE_WORLD_SIZE: 8\n  MAX_ITER: 5000\n  STEPS: (4000,)\n"
    )
    config = lrplot.load(path, world_size=16)
    solver = config.curves[0].scheduler.keywords["solver"]
    assert (solver["IMS_PER_BATCH"], solver["BASE_LR"], solver["MAX_ITER"], solver["STEPS"]) == (
        32,
        0.2,
        2500,
        [2000],
    )
    assert solver["WARMUP_ITERS"] == 500 and config.curves[0].total_step == 2500
    assert lrplot.load(path).curves[0].total_step == 5000  # as written without --world-size


@pytest.mark.parametrize(
    "name",
    [
        "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml",
        "Base-RCNN-FPN.yaml",
        "COCO-Detection/retinanet_R_50_FPN_1x.yaml",
    ],
)
def test_detectron2_claims_its_configs_and_only_it(name: str) -> None:
    from lrplot.read.yaml_source import load_yaml_file

    path = D2 / name
    data = load_yaml_file(path, opaque_tags=True).data
    claim = format_module("lrplot.formats.detectron2").identify(path, data)
    assert claim.confident
    assert convert(data, FormatOptions(path=path)).form == "detectron2"


def test_detectron2_does_not_claim_other_configs() -> None:
    identify = format_module("lrplot.formats.detectron2").identify
    assert identify(None, {"sched": "cosine", "epochs": 10, "opt": "sgd"}).score == 0
    assert identify(None, {"optimizer": {"lr": 0.1}, "SOLVER": "x"}).score == 0
    assert identify(Path("x.py"), {"SOLVER": {"BASE_LR": 0.1, "MAX_ITER": 3}}).score == 0


def test_cli_subprocess_plots_a_detectron2_config(tmp_path: Path) -> None:
    out = tmp_path / "mask_rcnn.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(D2 / "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"),
         "-o", str(out), "--quiet"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000


def test_a_missing_base_file_is_one_line_naming_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real config copied without the base it names (run from its configs/ folder, as detectron2's
    tools are): the line of its _BASE_ and the path looked for."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "COCO-Detection"
    folder.mkdir()
    path = folder / "faster_rcnn_R_50_FPN_1x.yaml"
    path.write_bytes((D2 / "COCO-Detection" / "faster_rcnn_R_50_FPN_1x.yaml").read_bytes())
    result = cli("plot", path, "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "faster_rcnn_R_50_FPN_1x.yaml:1: _BASE_ file" in lines[0], result.stderr
    assert "Base-RCNN-FPN.yaml: no such file" in lines[0] and not (tmp_path / "x.png").exists()


def test_the_figure_claims_no_epochs() -> None:
    """detectron2 counts iterations (MAX_ITER), not epochs: no epoch axis, whatever --steps-per-epoch says."""
    from tests.epoch_axis import drawn, epoch_axes

    path = D2 / "COCO-Detection" / "retinanet_R_50_FPN_1x.yaml"
    for options in ({}, {"steps_per_epoch": 1000}):
        result = lrplot.simulate(lrplot.load(path, **options), workers=1)
        assert result.steps_per_epoch is None
        assert epoch_axes(drawn(result)) == []
