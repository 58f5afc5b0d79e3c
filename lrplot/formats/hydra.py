"""Hydra configs: ``_target_`` optimizer and scheduler nodes, composed and resolved as Hydra does.

With hydra-core installed (``pip install 'lrplot[hydra]'``) a file is read the way Hydra
runs it: composed with its ``defaults:`` list by Hydra's compose API, the user's Hydra
overrides applied (``--hydra-override experiment=example``), a config group's file
composed as the primary config that selects it (:mod:`lrplot.formats.hydra_compose`);
then only the values lrplot uses are resolved by OmegaConf, with resolvers that read the
machine or run code refused unless allowed (:mod:`lrplot.formats.hydra_resolve`). Without
hydra-core a single file is read as it is (OmegaConf, if installed, resolves it).

The nodes are the first optimizer and scheduler ``_target_`` found breadth first (as in
lightning-hydra-template's ``model.optimizer`` and ``model.scheduler``); the trainer is the
one nearest to them. Lightning steps per epoch unless the module says ``"interval"``; when
the config itself says it beside the scheduler (``interval``, ``scheduler_interval``, a
``*scheduler*`` mapping's ``interval``), that is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import (
    CONFLICTED,
    Converted,
    FormatOptions,
    Identification,
    curve_label,
    marked_nodes,
)
from lrplot.formats.file_sets import apply_file_sets
from lrplot.formats.hydra_compose import Composition, Primary, compose, find_primary, hydra_defaults
from lrplot.formats.hydra_missing import (
    HOW_GROUPS,
    INTERPOLATED_KEY,
    MissingGroup,
    check_missing_groups,
    folder,
    groups,
    length_without_trainer,
    overlaps,
)
from lrplot.formats.hydra_resolve import ResolverGuard, allowed_names, is_refused, refusal_message
from lrplot.formats.instantiate import (
    ClassNode,
    error_at,
    is_class_node,
    lightning_epoch_length,
    native_node,
    note_missing_lr,
    same_file,
    trainer_length,
)

NAME = "Hydra"
APPLIES_SETS = True  # --set on the file's keys goes to Hydra as overrides (its own grammar)
OPTIMIZER_KEYS = ("optimizer",)
SCHEDULER_KEYS = ("lr_scheduler", "scheduler")
_INTERVAL_KEYS = ("interval", "scheduler_interval", "lr_scheduler_interval")
_FULL_KEY_PART = re.compile(r"[^.\[\]]+")


def identify(path: Path | None, data: Any) -> Identification:
    """Certain with an optimizer and a scheduler ``_target_``; likely for a ``defaults:`` list.

    A ``_target_`` node alone (a model config) is Hydra's too but says nothing of a schedule:
    named among the closest formats, not claimed. LightningCLI's ``class_path`` nodes,
    torchtune's ``_component_`` nodes, fairseq's ``_name`` optimizer/scheduler nodes and NeMo's
    ``model.optim.sched`` conflict.
    """
    expected = ("optimizer._target_", "scheduler._target_")
    if not isinstance(data, dict) or "curves" in data or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=expected)
    conflicting = (
        marked_nodes(data, data, ("class_path", "_component_"))
        + tuple(  # fairseq's registry names its optimizer and scheduler by _name, not _target_
            f"{key}._name"
            for key in ("optimizer", "lr_scheduler")
            if isinstance(data.get(key), dict) and "_name" in data[key]
        )
        + (  # NeMo names its schedule by model.optim.sched.name (its Megatron configs have defaults)
            ("model.optim.sched",) if isinstance(_at(data, ("model", "optim", "sched", "name")), str) else ()
        )
    )
    targets = _find_targets(data, ())
    if targets is not None:  # seen: where the nodes are (the mixed-file rule compares top-level keys)
        seen = tuple(".".join(map(str, (*path, "_target_"))) for path, _ in targets)
        score, missing = 1.0, ()
    elif hydra_defaults(data) is not None:
        score, seen, missing = 0.9, ("defaults",), ()
    elif _has_target(data, depth=3):
        score, seen, missing = 0.3, ("_target_",), expected
    else:
        return Identification(NAME, 0.0, missing=expected, conflicting=conflicting)
    return Identification(NAME, min(score, CONFLICTED) if conflicting else score, seen, missing, conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def _has_target(node: Any, depth: int) -> bool:
    """A ``_target_`` node within ``depth`` levels (bounded: identification stays cheap)."""
    if not isinstance(node, dict) or depth < 0:
        return False
    return "_target_" in node or any(_has_target(value, depth - 1) for value in node.values())


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """The optimizer and scheduler nodes as one lrplot curve, with the trainer's length."""
    document = _open(target, options)
    prefix = options.prefix
    if document.composition is not None and options.select:  # --select names a composed key
        prefix = tuple(int(p) if p.isdigit() else p for p in options.select.split("."))
    subtree = _at(document.tree, prefix)
    found = _find_targets(subtree, prefix) if isinstance(subtree, dict) else None
    if found is None:
        missing = document.missing
        if missing:  # the schedule may be in a group that is not there: name them
            raise LrplotError(
                "no Hydra _target_ optimizer and scheduler in what composes; the defaults "
                f"{groups(missing)} not found in {folder(document.root)} may hold them: {HOW_GROUPS}",
                where=document.primary_file,
            )
        raise LrplotError("no Hydra _target_ optimizer and scheduler found", key_path=prefix or None)
    scheduler_path = found[1][0]
    trainer_path = _nearest(document.tree, scheduler_path, "trainer")
    length_path = trainer_path or ("trainer",)
    check_missing_groups(
        document.missing, document.root, document.primary_file, (found[0][0], scheduler_path, length_path),
        _at(document.tree, length_path), options.total_step,
    )  # fmt: skip
    converted = Converted(data={}, form=NAME, reads=document.reads, notes=list(document.notes))
    curve = _curve(found, document, converted)
    converted.data = {"title": f"{curve['label']} (Hydra)", "curves": [curve]}
    interval = _stated_interval(document, scheduler_path, converted)
    steps_per_epoch = options.steps_per_epoch
    if trainer_path is None:
        length_without_trainer(converted, options, steps_per_epoch, interval)
    else:
        trainer = document.values(trainer_path, ("max_epochs", "max_steps"))
        if steps_per_epoch is None and options.dataset_size is not None:
            steps_per_epoch = _from_dataset_size(document, trainer_path, options, converted)
        trainer_length(converted, trainer, trainer_path, steps_per_epoch, document.where, interval)
    if document.missing:
        converted.notes.append(
            f"composed without the defaults {groups(document.missing)}: not found in "
            f"{folder(document.root)}; "
            "the optimizer, scheduler and trainer lrplot draws are the file's own, which they do not replace"
        )
    converted.notes = list(dict.fromkeys(converted.notes))
    return converted


def _curve(
    found: tuple[tuple[KeyPath, dict], tuple[KeyPath, dict]], document: _Document, converted: Converted
) -> dict[str, Any]:
    """The optimizer and scheduler nodes, resolved, as lrplot's curve."""
    curve: dict[str, Any] = {}
    for kind, (path, _) in zip(("optimizer", "scheduler"), found, strict=True):
        node = ClassNode(path, document.plain(path))
        curve[kind] = native_node(node, ("curves", 0, kind), converted, document.where)
    note_missing_lr(converted, curve["optimizer"])
    curve["label"] = curve_label(curve)
    if curve["scheduler"]["name"].endswith("ReduceLROnPlateau"):
        curve["metric"] = "lr"
        converted.assumed_metric = True  # the note is added if no --set gives a metric
    return curve


def _from_dataset_size(
    document: _Document, trainer_path: KeyPath, options: FormatOptions, converted: Converted
) -> int:
    """Steps per epoch from --dataset-size and the data's batch size, as Lightning counts them."""
    assert options.dataset_size is not None
    candidates = (("data", "batch_size"), ("datamodule", "batch_size"))
    batch_path = next((p for p in candidates if _at(document.tree, p) is not None), None)
    batch_size = document.plain(batch_path) if batch_path else None
    limits = document.values(trainer_path, ("limit_train_batches", "accumulate_grad_batches"))
    return lightning_epoch_length(
        converted, limits, batch_size, options.dataset_size, options.world_size, document.where,
        batch_path or ("data",),
    )  # fmt: skip


@dataclass
class _Document:
    """The config as Hydra/OmegaConf see it; values resolved on demand, with their origins."""

    config: Any  # a DictConfig, or plain data when OmegaConf is not installed
    tree: Any  # plain data, interpolations unresolved: where to look for nodes
    guard: ResolverGuard
    composition: Composition | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[MissingGroup]:
        """The defaults groups composed without (their files are not in the config folder)."""
        return list(self.composition.missing) if self.composition else []

    @property
    def root(self) -> Path | None:
        return self.composition.root if self.composition else None

    @property
    def primary_file(self) -> str | None:
        return self.composition.primary_file if self.composition else None

    @property
    def reads(self) -> list[Path]:
        return list(self.composition.reads) if self.composition else []

    def where(self, key_path: KeyPath) -> KeyPath | str:
        """The origin of a key: ``file:line`` when composed, else the key path in this file."""
        if self.composition is None:
            return same_file(key_path)
        for end in range(len(key_path), 0, -1):
            location = self.composition.locations.get(tuple(key_path[:end]))
            if location is not None:
                return location
        return self.composition.primary_file

    def values(self, mapping_path: KeyPath, keys: tuple[str, ...]) -> dict[str, Any]:
        """The resolved values of those of ``keys`` the mapping at ``mapping_path`` has."""
        mapping = _at(self.tree, mapping_path)
        if not isinstance(mapping, dict):
            return {}
        return {key: self.plain((*mapping_path, key)) for key in keys if key in mapping}

    def plain(self, key_path: KeyPath) -> Any:
        """The value at ``key_path`` with every interpolation resolved (guarded), as plain data."""
        if not _is_omegaconf(self.config):
            value = _at(self.tree, key_path)
            if "${" in repr(value):
                raise LrplotError(
                    "uses OmegaConf interpolation: pip install 'lrplot[hydra]' to resolve it",
                    key_path=key_path,
                )
            return value
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        try:
            with self.guard.active():
                node = self.config
                for part in key_path:
                    node = node[part]
                return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node
        except LrplotError:
            raise
        except (OmegaConfBaseException, ValueError, TypeError, RecursionError) as exc:
            raise self._error(exc, key_path) from None

    def _error(self, exc: Exception, key_path: KeyPath) -> LrplotError:
        key = ".".join(map(str, key_path))
        composed = self.composition is not None
        if is_refused(exc) and self.guard.refused:
            refusal = self.guard.refused[-1]
            hint = f"give the value: --hydra-override {refusal.key or key}=VALUE"
            return self._located(refusal_message(refusal, key, hint), refusal.key or key)
        culprit = str(getattr(exc, "full_key", "") or key)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = f"; give it with --hydra-override {culprit}=VALUE" if composed else ""
        reached = INTERPOLATED_KEY.search(str(exc))  # the key an interpolation could not find
        head = tuple(_FULL_KEY_PART.findall(reached[1] if reached else culprit))
        near = [entry for entry in self.missing if overlaps(entry.package, head)]
        if near:
            hint += f" (the defaults {groups(near)} not found in {folder(self.root)} may hold it)"
        return self._located(f"{culprit}: {first}{hint}", culprit)

    def _located(self, message: str, full_key: str) -> LrplotError:
        parts = tuple(int(p) if p.isdigit() else p for p in _FULL_KEY_PART.findall(full_key))
        return error_at(message, self.where(parts))


def _open(target: dict[str, Any], options: FormatOptions) -> _Document:
    guard = ResolverGuard(allowed=allowed_names(options.allow_imports))
    root = options.root if isinstance(options.root, dict) else target
    path = options.path
    # --set on the file's keys is Hydra's override grammar (group=option, key=value, +key, ~key)
    overrides = [*options.hydra_overrides, *(change.hydra for change in options.file_sets)]
    if path is not None and _installed("hydra"):
        primary = find_primary(path, root)
        if primary is None and overrides:  # a file of its own, with overrides
            primary = Primary(path.resolve().parent, path.stem)
        if primary is not None:
            from omegaconf import OmegaConf

            composition = compose(primary, overrides)
            tree = OmegaConf.to_container(composition.config, resolve=False)
            notes = [f"{change.shown} given to Hydra as an override" for change in options.file_sets]
            return _Document(composition.config, tree, guard, composition, [*notes, *composition.notes])
    if options.hydra_overrides:
        raise LrplotError("--hydra-override needs hydra-core and a config file: pip install 'lrplot[hydra]'")
    root, changes = apply_file_sets(root, options.file_sets, NAME)
    if _installed("omegaconf"):
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        try:
            return _Document(OmegaConf.create(root), root, guard, notes=changes)
        except (OmegaConfBaseException, ValueError, TypeError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise LrplotError(f"OmegaConf cannot read it: {first}") from None
    return _Document(root, root, guard, notes=changes)


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _is_omegaconf(config: Any) -> bool:
    return type(config).__module__.startswith("omegaconf")


def _at(tree: Any, key_path: KeyPath) -> Any:
    """The node at ``key_path``, or None where the path leaves the tree (a missing node)."""
    for part in key_path:
        if isinstance(tree, dict):
            tree = tree.get(part)
        elif isinstance(tree, list) and isinstance(part, int) and -len(tree) <= part < len(tree):
            tree = tree[part]
        else:
            return None
    return tree


def _nearest(tree: Any, near: KeyPath, key: str) -> KeyPath | None:
    """``key`` in the mapping nearest to ``near``, going up to the top."""
    for end in range(len(near) - 1, -1, -1):
        node = _at(tree, near[:end])
        if isinstance(node, dict) and isinstance(node.get(key), dict):
            return (*near[:end], key)
    return None


def _stated_interval(document: _Document, scheduler_path: KeyPath, converted: Converted) -> str | None:
    """``interval: step|epoch`` the config states beside its scheduler, if it does."""
    parent_path = scheduler_path[:-1]
    parent = _at(document.tree, parent_path)
    if not isinstance(parent, dict):
        return None
    candidates = [(*parent_path, key) for key in _INTERVAL_KEYS if key in parent]
    candidates += [
        (*parent_path, key, "interval")
        for key, value in parent.items()
        if "sched" in str(key)
        and isinstance(value, dict)
        and not is_class_node(value)
        and "interval" in value
    ]
    for path in candidates:
        value = document.plain(path)
        if value in ("step", "epoch"):
            converted.notes.append(f"stepped per {value}, as {'.'.join(map(str, path))} says")
            return str(value)
    return None


def _find_targets(tree: Any, prefix: KeyPath) -> tuple[tuple[KeyPath, dict], tuple[KeyPath, dict]] | None:
    """The first optimizer and scheduler ``_target_`` nodes, searched breadth first."""
    optimizer = scheduler = None
    queue: list[tuple[KeyPath, Any]] = [(prefix, tree)]
    while queue and (optimizer is None or scheduler is None):
        path, node = queue.pop(0)
        if isinstance(node, dict):
            for key, value in node.items():
                child = (*path, key)
                if isinstance(value, dict) and "_target_" in value:
                    name = str(value["_target_"])
                    if optimizer is None and (key in OPTIMIZER_KEYS or _is_optimizer_path(name)):
                        optimizer = (child, value)
                        continue
                    if scheduler is None and (key in SCHEDULER_KEYS or "lr_scheduler" in name):
                        scheduler = (child, value)
                        continue
                queue.append((child, value))
    if optimizer is None or scheduler is None:
        return None
    return optimizer, scheduler


def _is_optimizer_path(target: str) -> bool:
    return (
        target.startswith("torch.optim.") and ".lr_scheduler." not in target and ".swa_utils." not in target
    )
