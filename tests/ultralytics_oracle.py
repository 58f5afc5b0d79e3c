"""Ultralytics' own trainer statements, executed from the installed package's source (the test oracle).

``import ultralytics`` needs torchvision and OpenCV, which are not installed beside this
torch; the statements that decide the lr are taken from the installed
``ultralytics/engine/trainer.py``, ``ultralytics/utils/torch_utils.py`` and
``ultralytics/data/build.py`` by their syntax tree and executed as they are, against a
stand-in ``self`` holding the args, the loader length and a real torch optimizer.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

ROOT = Path(next(iter(importlib.util.find_spec("ultralytics").submodule_search_locations)))


def _tree(relative: str) -> ast.Module:
    return ast.parse((ROOT / relative).read_text(encoding="utf-8"))


def _method(tree: ast.Module, cls: str | None, name: str) -> ast.FunctionDef:
    body = tree.body
    if cls is not None:
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
    return next(n for n in body if isinstance(n, ast.FunctionDef) and n.name == name)


def _code(nodes: list[ast.stmt]) -> Any:
    return compile(ast.Module(body=nodes, type_ignores=[]), "<ultralytics>", "exec")


def _find(node: ast.AST, predicate: Any) -> ast.stmt:
    return next(n for n in ast.walk(node) if isinstance(n, ast.stmt) and predicate(n))


_TRAINER = _tree("engine/trainer.py")
_ONE_CYCLE = _method(_tree("utils/torch_utils.py"), None, "one_cycle")
_WARMUP_ITERS = _method(_TRAINER, "BaseTrainer", "_get_warmup_iterations")
_SETUP_SCHEDULER = _method(_TRAINER, "BaseTrainer", "_setup_scheduler")
_DO_TRAIN = _method(_TRAINER, "BaseTrainer", "_do_train")
_WARMUP = _find(_DO_TRAIN, lambda n: isinstance(n, ast.If) and ast.unparse(n.test) == "nw and ni <= nw")
_PIPELINE = _method(_TRAINER, "BaseTrainer", "_build_train_pipeline")
_ACCUMULATE = [
    n
    for n in _PIPELINE.body
    if isinstance(n, (ast.Assign, ast.If)) and "accumulate" in ast.unparse(n).split("\n")[0]
]
_BUILD_OPTIMIZER = _method(_TRAINER, "BaseTrainer", "build_optimizer")
_AUTO = _find(_BUILD_OPTIMIZER, lambda n: isinstance(n, ast.If) and ast.unparse(n.test) == "name == 'auto'")
_NAMES = [n for n in _BUILD_OPTIMIZER.body if isinstance(n, ast.Assign)
          and ast.unparse(n.targets[0]) in ("optimizers", "name")]  # fmt: skip
_DATALOADER = _method(_tree("data/build.py"), None, "build_dataloader")
_BATCHES = [n for n in _DATALOADER.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) in
            ("dataset_len", "batch", "samples", "drop_last", "batches")]  # fmt: skip


def _functions(*nodes: ast.FunctionDef, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(_code(list(nodes)), namespace)  # the installed package's own source
    return namespace


def loader_batches(images: int, batch: int, world: int, compile_: bool = False) -> int:
    """build_dataloader's ``batches`` for a per-rank batch (DistributedSampler when world > 1)."""
    sampler = None if world == 1 else SimpleNamespace(__len__=None)
    namespace: dict[str, Any] = {
        "len": lambda x: images if x == "dataset" else math.ceil(images / world),
        "dataset": "dataset",
        "batch": batch,
        "sampler": sampler if sampler is None else "sampler",
        "drop_last": compile_,
        "math": math,
    }
    exec(_code(_BATCHES), namespace)
    return namespace["batches"]


def run(args: dict[str, Any], images: int, world: int = 1, nc: int = 10) -> dict[str, Any]:
    """The lr (and momentum) of every group at every batch, as BaseTrainer's own statements set them."""
    self = SimpleNamespace(args=SimpleNamespace(**args), epochs=args["epochs"], batch_size=args["batch"])
    self.data = {"nc": nc}
    nb = loader_batches(images, max(args["batch"] // world, 1), world, bool(args.get("compile")))
    self.train_loader = SimpleNamespace(__len__=lambda: nb)
    namespace = _functions(_ONE_CYCLE, _WARMUP_ITERS, _SETUP_SCHEDULER, namespace={"math": math, "np": np})
    namespace.update(optim=torch.optim, one_cycle=namespace["one_cycle"], len=lambda x: nb, self=self)
    exec(_code(_ACCUMULATE), namespace)
    accumulate = self.accumulate
    iterations = math.ceil(images / max(self.batch_size, self.args.nbs)) * self.epochs
    logged: list[str] = []
    opt = {"name": self.args.optimizer, "lr": self.args.lr0, "momentum": self.args.momentum, "self": self,
           "iterations": iterations, "LOGGER": SimpleNamespace(info=logged.append),
           "colorstr": lambda *a: a[-1]}  # fmt: skip
    exec(_code([*_NAMES, _AUTO]), {"__builtins__": __builtins__}, opt)
    name, lr, momentum = opt["name"], opt["lr"], opt["momentum"]
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]
    kinds = ["weight", "bn", "bias"]
    if name in ("SGD", "MuSGD"):
        extra = {"momentum": momentum, "nesterov": True}
        cls = torch.optim.SGD
    else:
        extra = {"betas": (momentum, 0.999)}
        cls = getattr(torch.optim, name)
    groups = [
        {"params": [p], "lr": lr, **extra, "param_group": k} for p, k in zip(params, kinds, strict=True)
    ]
    if name == "MuSGD":
        kinds = ["weight", "bn", "bias", "muon"]
        groups = []
        for k in kinds:
            groups += [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * 3, **extra, "param_group": k},
                       {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr, **extra, "param_group": k}]  # fmt: skip
    self.optimizer = cls(groups)
    namespace["_setup_scheduler"](self)
    self.scheduler.last_epoch = -1  # _setup_train: start_epoch - 1
    nw = namespace["_get_warmup_iterations"](self, nb)
    acc0 = self.accumulate
    warmup = _code([_WARMUP])
    lrs, momenta = [], []
    for epoch in range(self.epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the trainer suppresses it too
            self.scheduler.step()
        for i in range(nb):
            ni = i + nb * epoch
            exec(warmup, {"np": np, "int": int, "max": max, "float": float},
                 {"ni": ni, "nw": nw, "nb": nb, "self": self, "acc0": acc0, "epoch": epoch})  # fmt: skip
            lrs.append([g["lr"] for g in self.optimizer.param_groups])
            momenta.append(
                [g.get("momentum", g.get("betas", (None,))[0]) for g in self.optimizer.param_groups]
            )
    return {"lrs": lrs, "momenta": momenta, "nb": nb, "nw": nw, "name": name, "accumulate": accumulate,
            "logged": logged, "lr0": self.args.lr0, "warmup_bias_lr": self.args.warmup_bias_lr}  # fmt: skip


def warmup_iterations(warmup_epochs: float, epochs: int, nb: int) -> int:
    """``BaseTrainer._get_warmup_iterations`` itself, on a stand-in ``self``."""
    namespace = _functions(_WARMUP_ITERS, namespace={})
    self = SimpleNamespace(args=SimpleNamespace(warmup_epochs=warmup_epochs), epochs=epochs)
    return namespace["_get_warmup_iterations"](self, nb)


_CFG = _tree("cfg/__init__.py")
_CHECK_CFG = [
    *(n for n in _CFG.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]).startswith("CFG_")),
    _method(_CFG, None, "check_cfg"),
]


def check_cfg(cfg: dict[str, Any], defaults: dict[str, Any]) -> None:
    """``ultralytics.cfg.check_cfg`` itself (what ``get_cfg`` runs on the merged args): raises as it does."""
    namespace = _functions(*_CHECK_CFG, namespace={"FLOAT_OR_INT": (int, float), "DEFAULT_CFG_DICT": defaults,
                                                   "QUANTIZE_ALIASES": {}, "QUANTIZE_VALID_VALUES": (),
                                                   "QUANTIZE_DOCS_URL": ""})  # fmt: skip
    namespace["check_cfg"](dict(cfg))
