"""Record detectron2's real LazyConfig schedules for lrplot (tests/fixtures/detectron2_lazy/recording.json).

detectron2 is not on the package index, so this script loads its real files from a detectron2
git checkout (never committed to lrplot): ``detectron2/config/lazy.py`` (``LazyConfig.load``,
``LazyCall``, the patched relative imports), ``detectron2/config/instantiate.py``,
``detectron2/utils/registry.py``, ``detectron2/utils/file_io.py`` and
``detectron2/solver/lr_scheduler.py`` (``WarmupParamScheduler``, ``LRMultiplier``), executed
as modules of a stand-in ``detectron2`` package. Every other ``detectron2.*``/``torchvision``
module a config imports (models, data, layers) is a stand-in whose attributes are empty
classes: the configs only hand them to ``LazyCall``, which never calls them.
``model_zoo.get_config(path)`` is ``LazyConfig.load`` of ``configs/<path>`` of the checkout,
as detectron2's own ``model_zoo.get_config`` does for a ``.py`` path.

Each config is then run as ``tools/lazyconfig_train_net.py`` would: ``cfg =
LazyConfig.load(file)``, the optimizer a torch SGD over one parameter at ``cfg.optimizer.lr``
(``params.base_lr`` when set: ``get_default_optimizer_params``'s default), the scheduler
``LRMultiplier(optimizer, instantiate(cfg.lr_multiplier), cfg.train.max_iter)`` as
``hooks.LRScheduler.before_train`` builds it, one ``step()`` after each iteration. The lr of
an iteration is the optimizer's before it; long runs record the iterations listed.

    python tools/record_detectron2_lazy.py DETECTRON2_CHECKOUT [COMMIT]
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "detectron2_lazy"
REAL = {
    "detectron2.config.lazy": "detectron2/config/lazy.py",
    "detectron2.config.instantiate": "detectron2/config/instantiate.py",
    "detectron2.utils.registry": "detectron2/utils/registry.py",
    "detectron2.utils.file_io": "detectron2/utils/file_io.py",
    "detectron2.solver.lr_scheduler": "detectron2/solver/lr_scheduler.py",
}
# The configs recorded, relative to the fixture folder, with the --file-for files model_zoo needs.
CASES = [
    "configs/COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py",
    "configs/COCO-Detection/retinanet_R_50_FPN_1x.py",
    "configs/new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py",
    "configs/new_baselines/mask_rcnn_R_50_FPN_200ep_LSJ.py",
    "configs/new_baselines/mask_rcnn_R_50_FPN_50ep_LSJ.py",
    "configs/Misc/torchvision_imagenet_R_50.py",
    "projects/ViTDet/configs/COCO/mask_rcnn_vitdet_b_100ep.py",
    "projects/ViTDet/configs/COCO/mask_rcnn_vitdet_h_75ep.py",
]


class _Stand(type):
    """An empty class standing for anything a config names but never calls."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Stand(name, (_Any,), {"__qualname__": f"{cls.__qualname__}.{name}"})


class _Any(metaclass=_Stand):
    """What a stand-in class makes when a config calls it (``ShapeSpec(channels=256)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


class _Module(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = _Stand(name, (_Any,), {"__module__": self.__name__})
        setattr(self, name, value)
        return value


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """detectron2's real files where listed, stand-ins for the rest of detectron2 and torchvision."""

    def __init__(self, checkout: Path) -> None:
        self.checkout = checkout

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name in REAL:
            return importlib.util.spec_from_file_location(name, self.checkout / REAL[name])
        if name.split(".")[0] in ("detectron2", "torchvision"):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> Any:
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: Any) -> None:
        pass


def install(checkout: Path) -> Any:
    """The stand-in package, with the real files and ``model_zoo.get_config``; returns LazyConfig."""
    sys.meta_path.insert(0, _Finder(checkout))
    lazy = importlib.import_module("detectron2.config.lazy")
    instantiate = importlib.import_module("detectron2.config.instantiate")
    scheduler = importlib.import_module("detectron2.solver.lr_scheduler")
    config = importlib.import_module("detectron2.config")
    config.LazyCall, config.LazyConfig = lazy.LazyCall, lazy.LazyConfig
    config.instantiate = instantiate.instantiate
    solver = importlib.import_module("detectron2.solver")
    solver.WarmupParamScheduler = scheduler.WarmupParamScheduler
    solver.LRMultiplier = scheduler.LRMultiplier
    model_zoo = importlib.import_module("detectron2.model_zoo")
    model_zoo.get_config = lambda path, trained=False: lazy.LazyConfig.load(str(checkout / "configs" / path))
    return lazy.LazyConfig, instantiate.instantiate, scheduler.LRMultiplier


def record(file: Path, load: Any, instantiate: Any, multiplier_class: Any) -> dict[str, Any]:
    cfg = load.load(str(file))
    optimizer_cfg = cfg.optimizer
    params = optimizer_cfg.get("params") or {}
    base_lr = params.get("base_lr") if "base_lr" in params else None
    lr = float(base_lr if base_lr is not None else optimizer_cfg.lr)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    max_iter = int(cfg.train.max_iter)
    scheduler = multiplier_class(optimizer, instantiate(cfg.lr_multiplier), max_iter)
    every = max_iter <= 3000
    wanted = {*range(min(max_iter, 1200)), *range(0, max_iter, 997), *range(max_iter - 3, max_iter)}
    lrs: dict[str, float] = {}
    for iteration in range(max_iter):
        if every or iteration in wanted or _near_change(scheduler, optimizer):
            lrs[str(iteration)] = optimizer.param_groups[0]["lr"]
        scheduler.step()
    return {"max_iter": max_iter, "lr": lr, "lrs": lrs}


def _near_change(scheduler: Any, optimizer: Any) -> bool:
    """Record the iterations next to each drop (the value of the next step differs)."""
    where = (scheduler.last_epoch + 1) / scheduler._max_iter
    nxt = scheduler.base_lrs[0] * scheduler._multiplier(min(where, 1.0 - 1e-9))
    return nxt != optimizer.param_groups[0]["lr"]


def main(checkout: str, commit: str | None = None) -> None:
    repo = Path(checkout)
    commit = (
        commit
        or subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    # the checkout's own configs: a relative import reads them beside the file, as the fixtures do
    load, instantiate, multiplier_class = install(repo)
    cases = {name: record(repo / name, load, instantiate, multiplier_class) for name in CASES}
    path = FIXTURES / "recording.json"
    path.write_text(json.dumps({"commit": commit, "cases": cases}, indent=None) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(cases)} configs, detectron2 {commit[:12]})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
