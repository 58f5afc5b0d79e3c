"""timm: train.py argument YAML and timm's scheduler classes, checked against timm itself.

The oracle is timm's own ``create_scheduler_v2`` (via ``scheduler_kwargs``) stepped by a small
loop written the way train.py steps it (huggingface/pytorch-image-models, train.py at
aa4b5850c1543fa488abf260f18390eda46cf85d: lines 1078-1095 build the scheduler and resume,
1108-1201 run the epochs and call ``lr_scheduler.step(epoch + 1, metric)``, 1266-1269 and
1391-1439 count updates and call ``lr_scheduler.step_update(num_updates=num_updates)``); the
updates per epoch come from real torch/timm samplers and DataLoader lengths.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.config.loading import from_source
from lrplot.formats import timm as timm_format
from lrplot.read.yaml_source import YamlSource, load_yaml_file
from tests.conftest import FIXTURES, ROOT
from tests.golden import check_source, golden_cases

if importlib.util.find_spec("timm") is None:
    pytest.skip("timm is not installed (CI installs it: pip install --no-deps timm)", allow_module_level=True)

from lrplot.plan.drivers.timm import load_timm_scheduler

TIMM = FIXTURES / "timm"
CONFIGS = sorted(p for p in TIMM.iterdir() if p.suffix in (".yaml", ".yml"))
ARGUMENTS_GOLDEN = TIMM / "golden_train_py_arguments.json"


def train_py_lrs(args: SimpleNamespace, lr: float, updates_per_epoch: int) -> list[float]:
    """The lr of every optimizer update of timm's train.py, with timm's own scheduler."""
    import torch

    timm_scheduler = load_timm_scheduler()
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    lr_scheduler, num_epochs = timm_scheduler.create_scheduler_v2(
        optimizer,
        **timm_scheduler.scheduler_kwargs(args, decreasing_metric=None),
        updates_per_epoch=updates_per_epoch,
    )
    start_epoch = args.start_epoch or 0
    if lr_scheduler is not None and start_epoch > 0:
        if args.sched_on_updates:
            lr_scheduler.step_update(start_epoch * updates_per_epoch)
        else:
            lr_scheduler.step(start_epoch)
    used = []
    for epoch in range(start_epoch, num_epochs):
        num_updates = epoch * updates_per_epoch
        for _update_idx in range(updates_per_epoch):
            used.append(optimizer.param_groups[0]["lr"])  # what optimizer.step() uses
            num_updates += 1
            if lr_scheduler is not None:
                lr_scheduler.step_update(num_updates=num_updates, metric=0.0)
        if lr_scheduler is not None:
            lr_scheduler.step(epoch + 1, None)
    return used


def train_py_lr(args: SimpleNamespace, world_size: int) -> float:
    """train.py lines 837-849."""
    if args.lr:
        return args.lr
    global_batch_size = float(args.batch_size) * world_size * args.grad_accum_steps
    batch_ratio = global_batch_size / args.lr_base_size
    scale = args.lr_base_scale or (
        "sqrt" if any(o in args.opt.lower() for o in ("ada", "lamb")) else "linear"
    )
    if scale == "sqrt":
        batch_ratio = batch_ratio**0.5
    return args.lr_base * batch_ratio


def loader_updates(size: int, batch_size: int, world_size: int, accum: int, aug_repeats: float = 0) -> int:
    """train.py line 1079 with len(loader_train) from real samplers and DataLoader (drop_last=True)."""
    import torch
    from torch.utils.data import DataLoader, DistributedSampler

    dataset = range(size)
    sampler = None
    if world_size > 1:
        if aug_repeats:
            sampler = _repeat_aug_sampler()(dataset, num_replicas=world_size, rank=0, num_repeats=aug_repeats)
        else:
            sampler = DistributedSampler(dataset, num_replicas=world_size, rank=0)
    loader = DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, drop_last=True, generator=torch.Generator()
    )
    return (len(loader) + accum - 1) // accum


def _repeat_aug_sampler() -> type:
    """timm's RepeatAugSampler, from its own file (timm.data's __init__ needs torchvision)."""
    spec = importlib.util.find_spec("timm")
    path = Path(spec.submodule_search_locations[0]) / "data" / "distributed_sampler.py"
    module_spec = importlib.util.spec_from_file_location("_timm_distributed_sampler", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.RepeatAugSampler


def lrplot_lrs(path: Path, **options) -> list[float]:
    result = lrplot.simulate(lrplot.load(path, **options))
    return result.curves[0].groups[0].lr.tolist()


def test_the_loader_gives_the_installed_timm_schedulers_without_torchvision() -> None:
    module = load_timm_scheduler()
    installed = Path(importlib.util.find_spec("timm").submodule_search_locations[0]).resolve()
    assert Path(module.__file__).resolve().parent == installed / "scheduler"
    assert module.CosineLRScheduler.__module__ == "timm.scheduler.cosine_lr"
    assert callable(module.create_scheduler_v2)
    if importlib.util.find_spec("torchvision") is None:
        assert "torchvision" not in sys.modules


def test_the_loader_works_in_a_fresh_process() -> None:
    code = (
        "from lrplot.plan.drivers.timm import load_timm_scheduler\n"
        "s = load_timm_scheduler()\n"
        "import sys\n"
        "print(s.CosineLRScheduler.__name__, 'torchvision' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    name, torchvision_loaded = done.stdout.split()
    assert name == "CosineLRScheduler"
    if importlib.util.find_spec("torchvision") is None:
        assert torchvision_loaded == "False"


def test_lrplot_reads_the_arguments_as_train_py_declares_them() -> None:
    """lrplot's argument table matches train.py's add_argument calls (recorded as data in
    golden_train_py_arguments.json: name, flags, line, and the keywords that shape the values)."""
    check_source(ARGUMENTS_GOLDEN)
    declared = {
        case.values[0]["name"]: {k: case.values[0][k] for k in ("type", "default", "nargs", "action")
                                 if k in case.values[0]}
        for case in golden_cases(ARGUMENTS_GOLDEN)
    }  # fmt: skip
    ours = {
        name: {k: (v.__name__ if k == "type" else v) for k, v in keywords.items()}
        for name, keywords in timm_format.ARGUMENTS
    }
    assert ours == declared


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
@pytest.mark.parametrize(("size", "world"), [(12_800, 1), (10_000, 8)])
def test_real_configs_match_train_py_with_timm_bit_for_bit(path: Path, size: int, world: int) -> None:
    data = load_yaml_file(path).data
    args = SimpleNamespace(**vars(timm_format.parse_arguments(data)))
    updates = loader_updates(size, args.batch_size, world, args.grad_accum_steps)
    expected = train_py_lrs(args, train_py_lr(args, world), updates)
    assert lrplot_lrs(path, dataset_size=size, world_size=world) == expected


def test_steps_per_epoch_gives_the_updates_directly() -> None:
    path = TIMM / "gcvit_gc_vit_xxtiny.yml"
    data = load_yaml_file(path).data
    args = SimpleNamespace(**vars(timm_format.parse_arguments(data)))
    assert lrplot_lrs(path, steps_per_epoch=7) == train_py_lrs(args, args.lr, 7)


@pytest.mark.parametrize(
    ("size", "batch", "world", "accum", "repeats"),
    [
        (1000, 32, 1, 1, 0),
        (1000, 32, 3, 1, 0),
        (1_281_167, 128, 8, 1, 0),
        (1001, 10, 4, 3, 0),
        (50_000, 64, 8, 2, 3),
    ],
)
def test_updates_per_epoch_match_real_loaders(
    size: int, batch: int, world: int, accum: int, repeats: float
) -> None:
    args = timm_format.parse_arguments(
        {"batch_size": batch, "grad_accum_steps": accum, "aug_repeats": repeats}
    )
    options = timm_format.FormatOptions(dataset_size=size, world_size=world)
    expected = loader_updates(size, batch, world, accum, repeats)
    assert timm_format.updates_per_epoch(args, options, world) == expected


SCHEDS = st.sampled_from(["cosine", "tanh", "poly", "step", "multistep", "constant", "wsd", "rsqrt", "none"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sched=SCHEDS,
    epochs=st.integers(2, 12),
    warmup=st.integers(0, 3),
    cooldown=st.integers(0, 2),
    prefix=st.booleans(),
    on_updates=st.booleans(),
    cycle_mul=st.sampled_from([1.0, 1.5, 2.0]),
    cycle_limit=st.integers(1, 3),
    noise=st.sampled_from([None, [0.3], [0.2, 0.8]]),
    updates=st.integers(1, 6),
    start=st.integers(0, 2),
    k_decay=st.sampled_from([1.0, 0.5]),
)
def test_random_arguments_match_train_py(
    sched,
    epochs,
    warmup,
    cooldown,
    prefix,
    on_updates,
    cycle_mul,
    cycle_limit,
    noise,
    updates,
    start,
    k_decay,
) -> None:
    data = {
        "sched": sched, "epochs": epochs, "warmup_epochs": warmup, "cooldown_epochs": cooldown,
        "warmup_prefix": prefix, "sched_on_updates": on_updates, "lr_cycle_mul": cycle_mul,
        "lr_cycle_limit": cycle_limit, "lr_noise": noise, "lr": 0.5, "decay_epochs": 2, "decay_rate": 0.5,
        "decay_milestones": [2, 5], "start_epoch": start, "lr_k_decay": k_decay, "min_lr": 1e-3,
    }  # fmt: skip
    if sched in ("wsd", "rsqrt"):
        data["decay_epochs"] = 0.5
        data["warmup_epochs"] = max(warmup, 1)
    args = SimpleNamespace(**vars(timm_format.parse_arguments(data)))
    try:
        expected = train_py_lrs(args, 0.5, updates)
    except (ValueError, AssertionError, ZeroDivisionError):
        return  # timm refuses these arguments itself
    total = sum(1 for _ in expected)
    if total == 0:
        return
    converted = timm_format.translate(data, timm_format.FormatOptions(steps_per_epoch=updates))
    assert converted.data["total_step"] == total  # lrplot's epoch count is timm's
    config = from_source(YamlSource(data=data, name="args.yaml"), steps_per_epoch=updates)
    assert lrplot.simulate(config).curves[0].groups[0].lr.tolist() == expected


def test_timm_classes_can_be_named_in_lrplot_yaml(write_config) -> None:
    import torch

    path = write_config(
        """
        total_step: 60
        steps_per_epoch: 4
        curves:
          - optimizer: {name: SGD, lr: 0.1}
            scheduler: {name: timm.scheduler.CosineLRScheduler, t_initial: 12, warmup_t: 3, warmup_lr_init: 0.001, lr_min: 0.0001}
          - label: per update
            optimizer: {name: SGD, lr: 0.1}
            scheduler: {name: timm.scheduler.step_lr.StepLRScheduler, decay_t: 10, decay_rate: 0.5, t_in_epochs: false}
        """
    )
    result = lrplot.simulate(lrplot.load(path))
    timm_scheduler = load_timm_scheduler()
    for curve, build in zip(
        result.curves,
        [
            lambda o: timm_scheduler.CosineLRScheduler(
                o, t_initial=12, warmup_t=3, warmup_lr_init=0.001, lr_min=0.0001
            ),
            lambda o: timm_scheduler.StepLRScheduler(o, decay_t=10, decay_rate=0.5, t_in_epochs=False),
        ],
        strict=True,
    ):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = build(optimizer)
        expected = []
        for epoch in range(15):
            for update in range(4):
                expected.append(optimizer.param_groups[0]["lr"])
                scheduler.step_update(num_updates=epoch * 4 + update + 1)
            scheduler.step(epoch + 1)
        assert curve.groups[0].lr.tolist() == expected


def test_cli_plots_a_timm_config(cli, tmp_path: Path) -> None:
    out = tmp_path / "timm.csv"
    result = cli("plot", TIMM / "mambavision_tiny_1k.yaml", "--dataset-size", "25600", "-o", out, "--quiet")
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()
    assert rows[0] == "curve,group,step,lr"
    assert len(rows) == 1 + 320 * 200


def test_cli_subprocess_plots_a_timm_config(tmp_path: Path) -> None:
    out = tmp_path / "mobileone.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(TIMM / "mobileone_s1_blog.yaml"), "--dataset-size", "2560",
         "--world-size", "2", "-o", str(out), "--quiet"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000


BAD = [
    ("sched: cosine\nepochs: 10\nopt: sgd\n", [], "give --dataset-size N", None),
    (
        "sched: plateau\nepochs: 10\nopt: sgd\n",
        ["--steps-per-epoch", "5"],
        "sched: plateau (deprecated in timm)",
        1,
    ),
    (
        "sched: cosine\nepochs: ten\nopt: sgd\n",
        ["--steps-per-epoch", "5"],
        "epochs: invalid int value: 'ten'",
        2,
    ),
    (
        "sched: cosine\nepochs: 10.5\nopt: sgd\n",
        ["--steps-per-epoch", "5"],
        "epochs should be an integer >= 1",
        2,
    ),
    (
        "sched: cosine\nepochs: 10\nopt: sgd\naug_repeats: 3\n",
        ["--dataset-size", "100"],
        "aug_repeats needs distributed",
        4,
    ),
    ("sched: cosin\nepochs: 10\nopt: sgd\n", ["--steps-per-epoch", "5"], "timm raised ValueError", 1),
    (
        "sched: cosine\nepochs: 10\nopt: sgd\nbatch_size: 64\n",
        ["--dataset-size", "10"],
        "make no full batch of 64",
        4,
    ),
    (
        "sched: cosine\nepochs: 10\nopt: sgd\ndataset: wds/imagenet\n",
        ["--dataset-size", "10"],
        "give --steps-per-epoch",
        4,
    ),
]


@pytest.mark.parametrize(("text", "options", "message", "line"), BAD)
def test_bad_timm_configs_fail_in_one_line(cli, write_config, text, options, message, line) -> None:
    path = write_config(text, name="args.yaml")
    result = cli("plot", path, *options, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"args.yaml:{line}: " in result.stderr if line else "args.yaml: " in result.stderr


def test_bad_timm_class_names_and_intervals(cli, write_config) -> None:
    path = write_config(
        "total_step: 10\ncurves:\n  - scheduler: {name: timm.scheduler.scheduler_factory.Optimizer}\n"
    )
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert "is not one of timm's schedulers" in result.stderr and "config.yaml:3" in result.stderr
    path = write_config(
        "total_step: 10\ncurves:\n  - scheduler: {name: timm.scheduler.CosineLRScheduler, t_initail: 5}\n"
    )
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert (
        "config.yaml:3: " in result.stderr
        and "no keyword 't_initail' (did you mean 't_initial'?)" in result.stderr
    )
    path = write_config(
        "total_step: 10\nsteps_per_epoch: 2\ninterval: epoch\n"
        "curves:\n  - scheduler: {name: timm.scheduler.CosineLRScheduler, t_initial: 5}\n"
    )
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert "interval: epoch does not apply to timm's schedulers" in result.stderr


def test_notes_say_what_was_assumed() -> None:
    config = lrplot.load(TIMM / "mobileone_s1_blog.yaml", dataset_size=25600)
    notes = " ".join(config.notes)
    assert "lr 0.1 = lr_base 0.1 scaled (linear) by the global batch 256" in notes
    assert "--world-size N" in notes
    assert "resume is set" in notes
    config = lrplot.load(TIMM / "gcvit_gc_vit_xxtiny.yml", dataset_size=25600, world_size=8)
    assert "ignored: lr_ep" in " ".join(config.notes)
    assert not any("world-size" in n for n in config.notes)


def test_a_length_lrplot_and_timm_disagree_on_is_refused_as_a_bug_in_lrplot(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_epochs mirrors create_scheduler_v2's returned num_epochs for every sched (see its
    docstring); were they ever to differ, the curve would be a guess: exit 2, naming both."""
    path = TIMM / "gcvit_gc_vit_xxtiny.yml"
    real = timm_format.run_epochs
    monkeypatch.setattr(timm_format, "run_epochs", lambda args, updates: real(args, updates) + 679)
    result = cli("plot", str(path), "--dataset-size", "768", "-o", "-")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"{path.name}:" in line
    assert "timm's create_scheduler_v2 schedules 320 epochs, lrplot computed 999" in line
    assert "a bug in lrplot" in line and "report" in line


def test_the_disagreement_refusal_in_a_real_process(tmp_path: Path) -> None:
    script = (
        "import sys; from lrplot.formats import timm as t; real = t.run_epochs; "
        "t.run_epochs = lambda a, u: real(a, u) + 679; "
        "from lrplot.__main__ import main; sys.argv = ['lrplot', *sys.argv[1:]]; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "validate", str(TIMM / "gcvit_gc_vit_xxtiny.yml"), "--dataset-size", "768"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "schedules 320 epochs, lrplot computed 999: a bug in lrplot" in done.stderr
    assert "Traceback" not in done.stderr


def test_arguments_changed_after_translation_keep_the_files_length_with_a_warning() -> None:
    """The one legitimate difference: ``--set scheduler.args.epochs`` changes timm's arguments
    after the format read the file's length. timm and lrplot agree on the new arguments (no
    refusal); the curve keeps the file's length and says so."""
    import torch

    from lrplot.plan.drivers.timm import TrainPy

    args = vars(timm_format.parse_arguments(load_yaml_file(TIMM / "gcvit_gc_vit_xxtiny.yml").data))
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.005)
    with pytest.warns(UserWarning, match="schedules 60 epochs for these arguments, the file's 320"):
        TrainPy(optimizer, args={**args, "epochs": 50}, updates_per_epoch=3, epochs=320)


def test_lamb_scales_the_base_lr_by_the_square_root() -> None:
    args = timm_format.parse_arguments({"opt": "lamb", "batch_size": 128, "grad_accum_steps": 2})
    lr, note = timm_format.learning_rate(args, world_size=4)
    assert lr == 0.1 * math.sqrt(128 * 4 * 2 / 256)
    assert note is not None and "(sqrt)" in note
