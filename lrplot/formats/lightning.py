"""LightningCLI configs: optimizer and scheduler nodes wherever LightningCLI reads them.

LightningCLI (``lightning/pytorch/cli.py``, lightning 2.6) takes ``{class_path, init_args}``
nodes from three places, all read here:

- the automatic ``optimizer`` and ``lr_scheduler`` keys at the top of the config (or any
  key added with ``add_optimizer_args``/``add_lr_scheduler_args``), a bare class path
  (``optimizer: torch.optim.Adam``) included;
- the model's own init args typed ``OptimizerCallable``/``LRSchedulerCallable``:
  ``model.init_args.<name>`` (or ``model.<name>`` when the model class is fixed);
- either of those under a subcommand (``fit:``), when the file is given before it
  (``main.py --config cfg.yaml fit``).

The trainer is the one beside the nodes (``fit.trainer`` for a ``fit:`` body). jsonargparse
merges ``dict_kwargs`` into the call; ``class_path: ReduceLROnPlateau`` is Lightning's
wrapper with a ``monitor`` (torch's class stepped with that metric). Several optimizer and
scheduler pairs (``encoder_optimizer`` with ``encoder_scheduler``) become several curves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import CONFLICTED, Converted, FormatOptions, Identification, curve_label
from lrplot.formats.instantiate import (
    LIGHTNING_PLATEAU,
    ClassNode,
    lightning_epoch_length,
    looks_like_optimizer,
    looks_like_scheduler,
    native_node,
    note_missing_lr,
    plateau_monitor_note,
    same_file,
    trainer_length,
)

NAME = "LightningCLI"
SUBCOMMANDS = ("fit", "validate", "test", "predict")  # LightningCLI.subcommands()
_BODY_KEYS = {"trainer", "model", "data", "optimizer", "lr_scheduler", "seed_everything", "ckpt_path"}
_NOT_OPTIMIZATION = {"trainer", "model", "data", "seed_everything", "ckpt_path"}
# A bare string LightningCLI accepts as a class: a dotted path or a class name.
_CLASS_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
_SHORT_PLATEAU = "ReduceLROnPlateau"


def identify(path: Path | None, data: Any) -> Identification:
    """Certain when LightningCLI's optimizer node (``class_path``) is where it reads one.

    litgpt's configs name their optimizer the same way (jsonargparse too): a ``train:``
    table of litgpt's TrainArgs conflicts, so that file is litgpt's alone.
    """
    expected = ("optimizer.class_path",)
    if not isinstance(data, dict) or "curves" in data or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=expected)
    from lrplot.formats.litgpt import train_keys

    conflicting = ("train",) if len(train_keys(data)) >= 2 else ()
    body_path, body = _body(data, ())
    nodes = _class_nodes(body, body_path)
    if any(kind == "optimizer" and isinstance(n.node, dict) for kind, _, n in nodes):
        score, seen = 1.0, expected
    elif any(kind == "optimizer" for kind, _, n in nodes) and "trainer" in body:
        score, seen = 0.6, ("optimizer", "trainer")
    else:
        return Identification(NAME, 0.0, missing=expected, conflicting=conflicting)
    return Identification(NAME, min(score, CONFLICTED) if conflicting else score, seen, (), conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """Each optimizer with its scheduler as one lrplot curve, run as Lightning's trainer runs it."""
    body_path, body = _body(target, options.prefix)
    pairs = _pairs(_class_nodes(body, body_path), body_path, options.root)
    converted = Converted(data={}, form=NAME)
    curves = []
    for index, (prefix, optimizer, scheduler) in enumerate(pairs):
        curve: dict[str, Any] = {
            "optimizer": native_node(optimizer, ("curves", index, "optimizer"), converted, same_file),
            "scheduler": native_node(
                _lightning_class(scheduler), ("curves", index, "scheduler"), converted, same_file
            ),
        }
        note_missing_lr(converted, curve["optimizer"])
        label = curve_label(curve)
        curve["label"] = f"{prefix}: {label}" if prefix and len(pairs) > 1 else label
        if curve["scheduler"]["name"].endswith("ReduceLROnPlateau"):
            curve["metric"] = "lr"
            converted.assumed_metric = True  # the note is added if no --set gives a metric
            if isinstance(scheduler.node, dict):
                monitor = (scheduler.node.get("init_args") or {}).get("monitor")
                plateau_monitor_note(converted, monitor)
                if isinstance(monitor, str):  # a fact for the linter: mode against the name
                    curve["lint"] = {"monitor": monitor}
                    converted.origins[("curves", index, "lint", "monitor")] = same_file(
                        (*scheduler.path, "init_args", "monitor")
                    )
        curves.append(curve)
    title = curves[0]["label"] if len(curves) == 1 else f"{len(curves)} optimizers"
    converted.data = {"title": f"{title} (LightningCLI)", "curves": curves}
    trainer_path, trainer = _trainer(options.root, body_path)
    steps_per_epoch = options.steps_per_epoch
    if steps_per_epoch is None and options.dataset_size is not None:
        batch_path = _batch_size_path(body, body_path)
        batch_size = _at(body, batch_path[len(body_path) :]) if batch_path else None
        steps_per_epoch = lightning_epoch_length(
            converted, trainer, batch_size, options.dataset_size, options.world_size, same_file,
            batch_path or (*body_path, "data"),
        )  # fmt: skip
    trainer_length(converted, trainer, trainer_path, steps_per_epoch, same_file)
    converted.notes = list(dict.fromkeys(converted.notes))
    return converted


def _batch_size_path(body: dict[str, Any], body_path: KeyPath) -> KeyPath | None:
    """``data.init_args.batch_size`` (or ``data.batch_size``), where LightningCLI keeps it."""
    data = body.get("data")
    if isinstance(data, dict):
        arguments = data.get("init_args")
        if isinstance(arguments, dict) and "batch_size" in arguments:
            return (*body_path, "data", "init_args", "batch_size")
        if "batch_size" in data:
            return (*body_path, "data", "batch_size")
    return None


def _at(tree: Any, key_path: KeyPath) -> Any:
    for part in key_path:
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def _body(data: dict[str, Any], prefix: KeyPath) -> tuple[KeyPath, dict[str, Any]]:
    """The config LightningCLI runs: ``fit``'s when the file wraps subcommands."""
    for name in SUBCOMMANDS:
        inner = data.get(name)
        if isinstance(inner, dict) and _BODY_KEYS & set(inner):
            return (*prefix, name), inner
    return prefix, data


def _class_nodes(body: dict[str, Any], body_path: KeyPath) -> list[tuple[str, str, ClassNode]]:
    """(kind, key, node) for every optimizer and scheduler node LightningCLI would read."""
    found: list[tuple[str, str, ClassNode]] = []
    for key, value in body.items():
        if key not in _NOT_OPTIMIZATION:
            _classify(found, key, value, (*body_path, key), bare=key in ("optimizer", "lr_scheduler"))
    model, model_path = body.get("model"), (*body_path, "model")
    if "class_path" in body:  # --select pointed at the model node itself
        model, model_path = body, body_path
    if isinstance(model, dict):
        arguments, arguments_path = model, model_path
        if "class_path" in model:
            arguments, arguments_path = model.get("init_args") or {}, (*arguments_path, "init_args")
        if isinstance(arguments, dict):
            for key, value in arguments.items():
                _classify(found, key, value, (*arguments_path, key), bare="optim" in key or "sched" in key)
    return found


def _classify(
    found: list[tuple[str, str, ClassNode]], key: str, value: Any, path: KeyPath, bare: bool
) -> None:
    if isinstance(value, dict) and "class_path" in value:
        name = str(value["class_path"])
    elif bare and isinstance(value, str) and _CLASS_NAME.match(value):
        name = value
    else:
        return
    if looks_like_scheduler(key, name):
        found.append(("scheduler", key, ClassNode(path, value)))
    elif looks_like_optimizer(key, name):
        found.append(("optimizer", key, ClassNode(path, value)))


def _pairs(
    nodes: list[tuple[str, str, ClassNode]], body_path: KeyPath, root: Any
) -> list[tuple[str, ClassNode, ClassNode]]:
    """Optimizers with their schedulers: same container, same key prefix, else in order."""
    pairs: list[tuple[str, ClassNode, ClassNode]] = []
    containers = list(dict.fromkeys(node.path[:-1] for _, _, node in nodes))
    lonely: ClassNode | None = None
    for container in containers:
        here = [(kind, key, node) for kind, key, node in nodes if node.path[:-1] == container]
        optimizers = [(key, node) for kind, key, node in here if kind == "optimizer"]
        schedulers = [(key, node) for kind, key, node in here if kind == "scheduler"]
        for key, optimizer in optimizers:
            prefix = _prefix(key, ("optimizer", "optim"))
            match = next(
                (s for s in schedulers if _prefix(s[0], ("lr_scheduler", "scheduler")) == prefix), None
            )
            match = match or (schedulers[0] if schedulers else None)
            if match is None:
                lonely = lonely or optimizer
                continue
            schedulers.remove(match)
            pairs.append((prefix, optimizer, match[1]))
    if pairs:
        return pairs
    if lonely is not None:
        parent = lonely.path[:-1]
        holder: Any = root
        for part in parent:
            holder = holder.get(part) if isinstance(holder, dict) else None
        for key in ("lr_scheduler", "scheduler"):
            node = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(node, dict) and "class_path" not in node:
                raise LrplotError(
                    f"{key} should be {{class_path: ..., init_args: {{...}}}} naming a scheduler class; "
                    "class_path is missing",
                    key_path=(*parent, key),
                )
        raise LrplotError("LightningCLI config has an optimizer but no lr_scheduler", key_path=lonely.path)
    raise LrplotError(
        "no LightningCLI optimizer and lr_scheduler found (at the top, under model.init_args, or under fit:)",
        key_path=body_path or None,
    )


def _prefix(key: str, words: tuple[str, ...]) -> str:
    """``encoder_optimizer`` → ``encoder``; ``optimizer`` → ``""``."""
    for word in words:
        if word in key:
            return key.replace(word, "", 1).strip("_")
    return key


def _lightning_class(found: ClassNode) -> ClassNode:
    """``class_path: ReduceLROnPlateau`` in LightningCLI is Lightning's class (it takes ``monitor``)."""
    if found.name == _SHORT_PLATEAU:
        if isinstance(found.node, dict):
            return ClassNode(found.path, {**found.node, "class_path": LIGHTNING_PLATEAU[0]})
        return ClassNode(found.path, LIGHTNING_PLATEAU[0])
    return found


def _trainer(root: Any, body_path: KeyPath) -> tuple[KeyPath, Any]:
    """The trainer beside the nodes: the nearest ``trainer`` from the body up to the file's top."""
    for end in range(len(body_path), -1, -1):
        node = root
        for part in body_path[:end]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get("trainer"), dict):
            return (*body_path[:end], "trainer"), node["trainer"]
    return (*body_path, "trainer"), None
