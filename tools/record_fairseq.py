"""Record fairseq's real lr schedulers for lrplot's tests (tests/fixtures/fairseq/recording.json).

fairseq does not install on current Python, so this script loads the real files from a fairseq
git checkout (never committed to lrplot): ``fairseq/optim/fairseq_optimizer.py`` and
``fairseq/optim/lr_scheduler/{fairseq_lr_scheduler,tri_stage_lr_scheduler,...}.py`` at the
commit given, executed as modules of a stand-in ``fairseq`` package whose other parts (the
registry, ``FairseqDataclass``, ``gen_parser_from_dataclass``, ``fairseq.utils``) are the
minimum those files import. The scheduler's config is its real dataclass made an OmegaConf
structured config (as fairseq's Hydra config is: types converted, unknown keys refused) under
a root holding ``optimization`` and ``checkpoint``, so the ``II(...)`` interpolations resolve.

The scheduler is driven through fairseq's real ``Trainer`` (``fairseq/trainer.py`` at that
commit, executed with stand-ins for the registry's two build functions, ``optim.build_optimizer``
(a real ``FairseqOptimizer`` over torch's SGD) and ``lr_scheduler.build_lr_scheduler`` (the class
``_name`` registers), and for the modules these calls never reach: models, checkpoints,
distributed, metrics' logging). A ``Trainer`` made without its
``__init__`` (which needs a task, a model and devices) holds a one-parameter model; its real
``_build_optimizer`` builds the scheduler (the registry's role: the dataclass's class) and calls
``step_update(0)``; its real ``lr_step``, ``begin_epoch`` (``lr_step_begin_epoch``:
``step_begin_epoch`` + ``step_update``), ``set_num_updates`` (``lr_step_update``) and ``get_lr``
are the calls. The loop around them is ``fairseq_cli/train.py``'s at that commit
(``main``/``train``, which need a task and data): ``checkpoint_utils.load_checkpoint`` calls
``trainer.lr_step(1)`` (line 301 of checkpoint_utils.py, no checkpoint), then ``lr =
trainer.get_lr()``; before each epoch ``lr <= stop_min_lr`` stops; ``trainer.begin_epoch``; the
epoch's updates (``ceil(batches / update_freq)``, ``GroupedIterator``), each one a
``train_step`` ending in ``set_num_updates(get_num_updates() + 1)`` and the stop at
``max_update``; then ``lr = trainer.lr_step(epoch, None)`` (no validation loss). The lr
recorded for an update is ``trainer.get_lr()`` (the first param group's) before it.

    python tools/record_fairseq.py /work/.mirror/facebookresearch+fairseq/repo [COMMIT]
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import math
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "fairseq"
COMMIT = "3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99"
FILES = {
    "fairseq_lr_scheduler": "fairseq/optim/lr_scheduler/fairseq_lr_scheduler.py",
    "tri_stage": "fairseq/optim/lr_scheduler/tri_stage_lr_scheduler.py",
    "inverse_sqrt": "fairseq/optim/lr_scheduler/inverse_square_root_schedule.py",
    "polynomial_decay": "fairseq/optim/lr_scheduler/polynomial_decay_schedule.py",
    "cosine": "fairseq/optim/lr_scheduler/cosine_lr_scheduler.py",
    "fixed": "fairseq/optim/lr_scheduler/fixed_schedule.py",
    "step": "fairseq/optim/lr_scheduler/step_lr_scheduler.py",
    "reduce_lr_on_plateau": "fairseq/optim/lr_scheduler/reduce_lr_on_plateau.py",
}
OPTIMIZATION = {"max_epoch": 0, "max_update": 0, "update_freq": [1], "lr": [0.25], "stop_min_lr": -1.0,
                "skip_remainder_batch": False}  # fmt: skip


@dataclasses.dataclass
class Optimization:  # the OptimizationConfig fields the schedule reads (fairseq/dataclass/configs.py)
    max_epoch: int = 0
    max_update: int = 0
    update_freq: list[int] = dataclasses.field(default_factory=lambda: [1])
    lr: list[float] = dataclasses.field(default_factory=lambda: [0.25])
    stop_min_lr: float = -1.0
    skip_remainder_batch: bool = False


MAX_RECORDED = 4000  # lrs per case; longer runs record evenly spaced updates and every boundary

# Real configs (fixtures) and cases written for each scheduler's branches.
CASES: dict[str, dict[str, Any]] = {
    "wav2vec_base_10h": {"file": "wav2vec/config/finetuning/base_10h.yaml"},
    "roberta_pretraining_base": {"file": "roberta/config/pretraining/base.yaml"},
    "roberta_rte": {"file": "roberta/config/finetuning/rte.yaml", "steps_per_epoch": 156},
    "data2vec_text_base": {"file": "data2vec/config/text/pretraining/base.yaml"},
    "hubert_base": {"file": "hubert/config/pretrain/hubert_base_librispeech.yaml"},
    "tri_stage_steps": {"data": {
        "optimization": {"lr": [0.001], "max_update": 300},
        "lr_scheduler": {"_name": "tri_stage", "warmup_steps": 40, "hold_steps": 60, "decay_steps": 150,
                         "init_lr_scale": 0.05, "final_lr_scale": 0.02}}},
    "inverse_sqrt_default_init": {"data": {
        "optimization": {"lr": [0.0005], "max_update": 500},
        "lr_scheduler": {"_name": "inverse_sqrt", "warmup_updates": 100}}},
    "inverse_sqrt_init_lr": {"data": {
        "optimization": {"lr": [0.0005], "max_update": 500, "stop_min_lr": 1e-09},
        "lr_scheduler": {"_name": "inverse_sqrt", "warmup_updates": 100, "warmup_init_lr": "1e-07"}}},
    "polynomial_power_end": {"data": {
        "optimization": {"lr": [0.01], "max_update": 400},
        "lr_scheduler": {"_name": "polynomial_decay", "warmup_updates": 50, "power": 2.0,
                         "end_learning_rate": 0.0001, "total_num_update": 350}}},
    "polynomial_lr_list_force_anneal": {"steps_per_epoch": 30, "data": {
        "optimization": {"lr": [0.01, 0.005, 0.002], "max_update": 200},
        "lr_scheduler": {"_name": "polynomial_decay", "warmup_updates": 20, "force_anneal": 4}}},
    "cosine_t_mult": {"data": {
        "optimization": {"lr": [0.1], "max_update": 700},
        "lr_scheduler": {"_name": "cosine", "warmup_updates": 20, "warmup_init_lr": 0.001, "min_lr": 0.001,
                         "lr_period_updates": 100, "t_mult": 2.0, "lr_shrink": 0.5}}},
    "cosine_restarts": {"data": {
        "optimization": {"lr": [0.1], "max_update": 350},
        "lr_scheduler": {"_name": "cosine", "lr_period_updates": 100, "lr_shrink": 0.75}}},
    "fixed_lr_list_anneal_warmup": {"steps_per_epoch": 25, "data": {
        "optimization": {"lr": [0.1, 0.05], "max_epoch": 8, "update_freq": [1, 2, 4]},
        "lr_scheduler": {"_name": "fixed", "force_anneal": 5, "lr_shrink": 0.5, "warmup_updates": 30}}},
    "step": {"data": {
        "optimization": {"lr": [0.01], "max_update": 400},
        "lr_scheduler": {"_name": "step", "warmup_updates": 30, "lr_deacy_period": 80, "lr_decay": 0.7,
                         "min_lr": 0.002}}},
    "reduce_lr_on_plateau_warmup": {"steps_per_epoch": 40, "data": {
        "optimization": {"lr": [0.003], "max_epoch": 5},
        "lr_scheduler": {"_name": "reduce_lr_on_plateau", "warmup_updates": 50}}},
    "cosine_stop_min_lr": {"steps_per_epoch": 20, "data": {
        "optimization": {"lr": [0.1], "max_update": 400, "stop_min_lr": 0.01},
        "lr_scheduler": {"_name": "cosine", "warmup_updates": 10, "warmup_init_lr": 0.02}}},
}  # fmt: skip


def _source(repo: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={repo}", "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def _module(name: str, text: str, filename: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(text, filename, "exec"), module.__dict__)  # the real fairseq file, a trusted checkout
    return module


def load_fairseq(repo: Path, commit: str) -> dict[str, type]:
    """The real scheduler classes by registry name (and FairseqOptimizer), on stand-in packages."""
    for name in ("fairseq", "fairseq.optim", "fairseq.dataclass", "fairseq.dataclass.utils",
                 "fairseq.optim.lr_scheduler", "fairseq.utils"):  # fmt: skip
        module = types.ModuleType(name)
        module.__path__ = []  # type: ignore[attr-defined]
        sys.modules[name] = module
    sys.modules["fairseq"].utils = sys.modules["fairseq.utils"]  # type: ignore[attr-defined]

    @dataclasses.dataclass
    class FairseqDataclass:  # fairseq/dataclass/configs.py: the base's one field
        _name: str | None = None

    sys.modules["fairseq.dataclass"].FairseqDataclass = FairseqDataclass  # type: ignore[attr-defined]
    sys.modules["fairseq.dataclass.utils"].gen_parser_from_dataclass = lambda *a, **k: None  # type: ignore[attr-defined]
    optimizer_module = _module(
        "fairseq.optim.fairseq_optimizer",
        _source(repo, commit, "fairseq/optim/fairseq_optimizer.py"),
        "fairseq/optim/fairseq_optimizer.py",
    )
    sys.modules["fairseq.optim"].FairseqOptimizer = optimizer_module.FairseqOptimizer  # type: ignore[attr-defined]
    registry: dict[str, tuple[type, type]] = {}
    package = sys.modules["fairseq.optim.lr_scheduler"]

    def register_lr_scheduler(name: str, dataclass: type | None = None) -> Any:  # fairseq/registry.py's role
        def register(cls: type) -> type:
            registry[name] = (cls, dataclass)  # type: ignore[assignment]
            return cls

        return register

    package.register_lr_scheduler = register_lr_scheduler  # type: ignore[attr-defined]
    base = _module(
        "fairseq.optim.lr_scheduler.fairseq_lr_scheduler",
        _source(repo, commit, FILES["fairseq_lr_scheduler"]),
        FILES["fairseq_lr_scheduler"],
    )
    package.FairseqLRScheduler = base.FairseqLRScheduler  # type: ignore[attr-defined]
    for name, path in FILES.items():
        if name != "fairseq_lr_scheduler":
            _module(f"fairseq.optim.lr_scheduler.{Path(path).stem}", _source(repo, commit, path), path)
    return {"FairseqOptimizer": optimizer_module.FairseqOptimizer, **registry}  # type: ignore[dict-item]


def load_trainer(repo: Path, commit: str, classes: dict[str, Any]) -> type:
    """fairseq's real ``Trainer`` class, its imports stood in for (none of their code is reached)."""
    import contextlib

    def stub(name: str, **attrs: Any) -> types.ModuleType:
        module = sys.modules.get(name) or types.ModuleType(name)
        module.__path__ = getattr(module, "__path__", [])  # type: ignore[attr-defined]
        module.__dict__.update(attrs)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
        return module

    built: dict[str, Any] = {}

    def build_optimizer(cfg: Any, params: list[Any]) -> Any:  # fairseq.optim.build_optimizer's role
        return built["optimizer"]

    def build_lr_scheduler(cfg: Any, optimizer: Any) -> Any:  # registry.setup_registry's build
        return classes[cfg._name][0](cfg, optimizer)

    def aggregate(*a: Any, **k: Any) -> Any:  # metrics.aggregate, a decorator on train_step
        return lambda f: f

    stub("fairseq.checkpoint_utils")
    stub("fairseq.models")
    stub("fairseq.models.ema", build_ema=None)
    stub("fairseq.optim", build_optimizer=build_optimizer)
    stub("fairseq.optim.lr_scheduler", build_lr_scheduler=build_lr_scheduler)
    stub("fairseq.utils", safe_hasattr=hasattr, has_parameters=lambda m: False)
    stub("fairseq.dataclass.configs", FairseqConfig=object)
    stub("fairseq.dataclass.utils", convert_namespace_to_omegaconf=None)
    stub("fairseq.distributed")
    stub("fairseq.distributed.utils")
    stub("fairseq.file_io", PathManager=None)
    stub("fairseq.logging")
    stub("fairseq.logging.meters")
    stub("fairseq.logging.metrics", aggregate=aggregate, log_scalar=lambda *a, **k: None,
         aggregate_context=contextlib.nullcontext)  # fmt: skip
    stub("fairseq.nan_detector", NanDetector=None)
    trainer = _module("fairseq.trainer", _source(repo, commit, "fairseq/trainer.py"), "fairseq/trainer.py")
    trainer.Trainer._built = built  # type: ignore[attr-defined]
    return trainer.Trainer  # type: ignore[no-any-return]


def record(classes: dict[str, Any], trainer_class: type, case: dict[str, Any]) -> dict[str, Any]:
    """Every update's lr for one case (sampled when long), as fairseq's trainer sets it."""
    # Hydra reads the file with OmegaConf's YAML loader (2e-05 is a float there, a string to PyYAML).
    data = OmegaConf.to_container(OmegaConf.load(FIXTURES / case["file"])) if "file" in case else case["data"]
    given = {k: v for k, v in data.get("optimization", {}).items() if k in OPTIMIZATION}
    optimization = OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(Optimization), given))
    node = dict(data.get("lr_scheduler", {}))
    name = node.pop("_name")
    _, config_class = classes[name]
    root = OmegaConf.create({
        "optimization": {"lr": optimization["lr"], "max_update": optimization["max_update"],
                         "debug_param_names": False, "use_bmuf": False},
        "checkpoint": {"maximize_best_checkpoint_metric": False},
        "common": {"fp16": False, "bf16": False, "amp": False, "fp16_no_flatten_grads": False},
        "distributed_training": {"ddp_backend": "pytorch_ddp", "zero_sharding": "none"},
        "optimizer": {"_name": "sgd"},
    })  # fmt: skip
    root.lr_scheduler = OmegaConf.merge(OmegaConf.structured(config_class), {**node, "_name": name})
    model = torch.nn.Linear(1, 1, bias=False)

    class Optimizer(classes["FairseqOptimizer"]):  # a FairseqOptimizer over a real torch optimizer
        def __init__(self, params: list[Any]) -> None:
            super().__init__(None)
            self._optimizer = torch.optim.SGD(params, lr=0.0)

    trainer = trainer_class.__new__(trainer_class)  # Trainer.__init__ needs a task and devices
    trainer.__dict__.update(cfg=root, cuda=False, tpu=False, quantizer=None, _num_updates=0,
                            _model=model, _wrapped_model=model, _criterion=torch.nn.Module(),
                            _wrapped_criterion=torch.nn.Module(), _optimizer=None, _lr_scheduler=None,
                            task=types.SimpleNamespace(begin_epoch=lambda epoch, model: None))  # fmt: skip
    trainer._built["optimizer"] = Optimizer(list(model.parameters()))
    _ = trainer.lr_scheduler  # the property builds optimizer and scheduler and calls step_update(0)
    trainer.lr_step(1)  # checkpoint_utils.load_checkpoint, no checkpoint
    lr = trainer.get_lr()  # fairseq_cli/train.py main
    lrs: list[float] = []
    max_update = optimization["max_update"] or math.inf
    max_epoch = optimization["max_epoch"] or math.inf
    batches = case.get("steps_per_epoch")
    update_freq = optimization["update_freq"]
    boundaries: list[int] = []
    epoch = 1
    stopped_by = "max_update"
    while epoch <= max_epoch:
        if lr <= optimization["stop_min_lr"]:
            stopped_by = "stop_min_lr"
            break
        freq = update_freq[epoch - 1] if epoch <= len(update_freq) else update_freq[-1]
        updates = math.inf if batches is None else math.ceil(batches / freq)
        trainer.begin_epoch(epoch)
        done = 0
        should_stop = False
        while done < updates:
            lrs.append(trainer.get_lr())
            trainer.set_num_updates(trainer.get_num_updates() + 1)  # the end of Trainer.train_step
            done += 1
            if trainer.get_num_updates() >= max_update:
                should_stop = True
                break
        if should_stop:
            break
        lr = trainer.lr_step(epoch, None)
        boundaries.append(trainer.get_num_updates())
        epoch += 1
    else:
        stopped_by = "max_epoch"
    total = len(lrs)
    if total <= MAX_RECORDED:
        indices = list(range(total))
    else:
        step = total / MAX_RECORDED
        marks = {int(i * step) for i in range(MAX_RECORDED)} | {total - 1}
        for b in boundaries:
            marks |= {b - 1, b} & set(range(total))
        indices = sorted(marks)
    return {
        **{k: v for k, v in case.items() if k != "data"},
        **({"data": case["data"]} if "data" in case else {}),
        "updates": total,
        "stopped_by": stopped_by,
        "indices": indices if total > MAX_RECORDED else None,
        "lrs": [lrs[i] for i in indices],
    }


def main() -> None:
    repo = Path(sys.argv[1])
    commit = sys.argv[2] if len(sys.argv) > 2 else COMMIT
    classes = load_fairseq(repo, commit)
    trainer_class = load_trainer(repo, commit, classes)
    cases = {name: record(classes, trainer_class, case) for name, case in CASES.items()}
    versions = {
        "fairseq": commit,
        "torch": torch.__version__,
        "omegaconf": importlib.metadata.version("omegaconf"),
    }
    out = FIXTURES / "recording.json"
    out.write_text(json.dumps({"recorded_with": versions, "cases": cases}, indent=1) + "\n")
    print(f"{out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
