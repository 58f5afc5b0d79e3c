"""Defaults groups a Hydra primary config names but whose files are not there (copied out of its tree).

Hydra refuses to compose a defaults list whose files are missing; lrplot composes what exists:
each missing entry of a file's own defaults list is composed as an empty config (a stand-in in
Hydra's ConfigStore, removed afterwards), and :func:`check_missing_groups` decides whether one
of them could change the schedule drawn (refused, naming it) or not (named in a note). The rule
is in docs/formats/hydra.md. A model config with no trainer node has no length but the user's
(:func:`length_without_trainer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.formats.base import Converted, FormatOptions
from lrplot.limits import MAX_HYDRA_DEFAULTS

_MISSING_CONFIG = re.compile(r"Could not (?:find|load) '([^']+)'")
INTERPOLATED_KEY = re.compile(r"Interpolation key '([^']+)' not found")


@dataclass(frozen=True)
class MissingGroup:
    """A defaults entry whose file is not in the config folder (a primary copied out of its tree).

    ``package`` is where its values would go (its ``@package`` as the defaults list writes it,
    else Hydra's default: the group's path); None when unknown (an entry of a nested file, or
    ``_global_``). ``after_self``: merged after the file's own values, so they would replace them.
    """

    group: str | None
    option: str
    package: tuple[str, ...] | None
    after_self: bool

    @property
    def shown(self) -> str:
        return f"{self.group}: {self.option}" if self.group else self.option


def missing_entry(
    exc: Exception,
    primary: Path,
    requested: list[str],
    loaded: dict[str, list[Any]],
    missing: list[MissingGroup],
) -> MissingGroup | None:
    """The defaults entry Hydra could not find, when it is one a file wrote (not the user's choice).

    A group the user selected (``scheduler=cosine``) that does not exist stays Hydra's error;
    so does one already stood in for (Hydra would loop) or one beyond the defaults bound.
    """
    name = _MISSING_CONFIG.search(str(exc))
    if name is None or len(missing) >= MAX_HYDRA_DEFAULTS:
        return None
    text = name[1].strip("/").removesuffix(".yaml")
    group, _, option = text.rpartition("/")
    if not option or group.startswith("hydra/"):
        return None
    for override in requested:
        key = override.lstrip("+~").partition("=")[0].strip().lstrip("/").split("@")[0]
        if group and key == group:
            return None
    if any((entry.group, entry.option) == (group or None, option) for entry in missing):
        return None
    primary_file = str(primary.resolve())
    own = next((entries for path, entries in loaded.items() if str(Path(path).resolve()) == primary_file), [])
    package: tuple[str, ...] | None = None
    after_self = True  # an entry of a nested file: where it merges is not known here
    names = [entry_of(entry) for entry in own]
    self_at = next((i for i, entry in enumerate(own) if entry == "_self_"), len(own))
    for index, entry in enumerate(own):
        parsed = names[index]
        if parsed is None or not isinstance(parsed[1], str):
            continue
        written = parsed[0].lstrip("/") if parsed[0] is not None else None
        if (written, parsed[1].removesuffix(".yaml")) != (group or None, option):
            continue
        package = package_of(entry)
        after_self = index > self_at
        break
    return MissingGroup(group or None, option, package, after_self)


class StandIns:
    """Empty configs in Hydra's ConfigStore for defaults entries whose files are missing, while
    composing (so Hydra composes what exists); removed again afterwards, leaving the store as it was."""

    def __init__(self) -> None:
        self.entries: list[tuple[str | None, str]] = []
        self._added: list[tuple[str | None, str]] = []

    def add(self, group: str | None, option: str) -> None:
        self.entries.append((group, option))

    def __enter__(self) -> StandIns:
        from hydra.core.config_store import ConfigStore

        store = ConfigStore.instance()
        for group, option in self.entries:
            if _stored(store.repo, group, option) is None:
                store.store(name=option, node={}, group=group)
                self._added.append((group, option))
        return self

    def __exit__(self, *_: object) -> None:
        from hydra.core.config_store import ConfigStore

        repo = ConfigStore.instance().repo
        for group, option in self._added:
            parts = [part for part in (group or "").split("/") if part]
            folder = _stored(repo, group, None)
            if isinstance(folder, dict):
                folder.pop(f"{option}.yaml", None)
            while parts and not _stored(repo, "/".join(parts), None):  # the folders store() made
                parent = _stored(repo, "/".join(parts[:-1]), None)
                if isinstance(parent, dict):
                    parent.pop(parts[-1], None)
                parts.pop()
        self._added.clear()


def _stored(repo: dict[str, Any], group: str | None, option: str | None) -> Any:
    """The ConfigStore's folder for ``group`` (or its ``option``'s entry), if there is one."""
    node: Any = repo
    for part in (group or "").split("/"):
        if part:
            node = node.get(part) if isinstance(node, dict) else None
    if option is not None and isinstance(node, dict):
        return node.get(f"{option}.yaml")
    return node


def entry_of(entry: Any) -> tuple[str, Any] | None:
    """A defaults entry → (group or config name as written, option); None for ``_self_``."""
    if isinstance(entry, str):
        return (None, entry) if entry != "_self_" else None  # type: ignore[return-value]
    if isinstance(entry, dict) and len(entry) == 1:
        key, value = next(iter(entry.items()))
        key = str(key).split("@", 1)[0]
        for word in ("override ", "optional "):
            key = key.removeprefix(word)
        return key.strip(), value
    return None


def package_of(entry: Any) -> tuple[str, ...] | None:
    """Where Hydra merges a defaults entry: ``group@pkg`` at ``pkg``, ``a/b`` at ``a.b``.

    None where it may set anything: a config name alone (merged at the root), or a package
    ``_global_``/``_global_.x``/``_here_`` whose place depends on the file that lists it.
    """
    parsed = entry_of(entry)
    if parsed is None:
        return None
    raw = str(next(iter(entry))) if isinstance(entry, dict) else ""
    at = raw.split("@", 1)[1].strip() if "@" in raw else None
    if at is not None and (at in ("_global_", "_here_") or at.startswith("_global_.")):
        return None
    dotted = at if at is not None else (parsed[0] or "").lstrip("/").replace("/", ".")
    return tuple(dotted.split(".")) if dotted else None


# How to give a defaults group that is not beside a primary config copied out of its tree.
HOW_GROUPS = (
    "compose the file in its config tree, or give the folder that holds them with "
    "--hydra-override 'hydra.searchpath=[file://DIR]'"
)
_NO_TRAINER = (
    "the run's length is a Lightning trainer's max_steps or max_epochs: give --set +trainer.max_steps=N "
    "(Hydra's override grammar; or +trainer.max_epochs=N) or --set lrplot.total_step=N"
)


def groups(missing: list[MissingGroup]) -> str:
    names = [entry.shown for entry in missing]
    shown = ", ".join(printable(name, 60) for name in names[:12]) + (", ..." if len(names) > 12 else "")
    return f"group{'s' if len(names) > 1 else ''} {shown}"


def folder(root: Path | None) -> str:
    """The folder the groups were searched in, as messages show it."""
    return printable(str(root), 120) if root is not None else "the config's folder"


def overlaps(package: tuple[str, ...] | None, path: KeyPath) -> bool:
    """Whether a group merged at ``package`` can set values at ``path`` (or replace it whole)."""
    if package is None:  # _global_ or an entry of a nested file: it may set anything
        return True
    shorter = min(len(package), len(path))
    return tuple(map(str, package[:shorter])) == tuple(map(str, path[:shorter]))


def check_missing_groups(
    missing: list[MissingGroup],
    root: Path | None,
    where: str | None,
    nodes: tuple[KeyPath, ...],
    trainer: Any,
    total_step: int | None,
) -> None:
    """Refuse when a missing defaults group could change the schedule lrplot would draw.

    ``nodes`` are the optimizer's, the scheduler's and the trainer's key paths (the last the
    trainer's, ``trainer`` its node or None where there is none). Such a group is one merged over
    (after ``_self_``) one of those nodes, or one
    that could hold the trainer's length when the composed trainer has none of its own and the
    user gave none; every other missing group is named in a note.
    """
    if not missing:
        return
    for path in nodes[:-1] if trainer is None else nodes:
        for entry in missing:
            if entry.after_self and overlaps(entry.package, path):
                node = ".".join(map(str, path))
                raise LrplotError(
                    f"the defaults group {printable(entry.shown, 60)} is not in {folder(root)} and is "
                    f"merged after the file's own {node}, so it may replace it: {HOW_GROUPS}",
                    where=where,
                )
    length_path = nodes[-1]
    has_length = isinstance(trainer, dict) and ("max_steps" in trainer or "max_epochs" in trainer)
    if has_length or total_step is not None:
        return
    for entry in missing:
        if overlaps(entry.package, length_path):
            raise LrplotError(
                f"the defaults group {printable(entry.shown, 60)} is not in {folder(root)} and would "
                f"hold the run's length; {_NO_TRAINER}, or its folder with "
                "--hydra-override 'hydra.searchpath=[file://DIR]'",
                where=where,
            )


def length_without_trainer(
    converted: Converted, options: FormatOptions, steps_per_epoch: int | None, interval: str | None
) -> None:
    """A config with no trainer node (a model config on its own) has no length but the user's."""
    if options.total_step is None:
        raise LrplotError(f"the config has no trainer node: {_NO_TRAINER}", key_path=())
    data = converted.data
    data["total_step"] = options.total_step
    converted.origins[("total_step",)] = "--set lrplot.total_step"
    if steps_per_epoch is not None:
        data["steps_per_epoch"] = steps_per_epoch
    data["interval"] = interval or "step"
    if interval is None:
        converted.interval_note = (
            "no trainer node: the scheduler is stepped every step; give --set lrplot.interval=epoch "
            "if it is stepped once per epoch"
        )
    converted.derived.update({"max_steps": None, "max_epochs": None, "steps_per_epoch": steps_per_epoch})
