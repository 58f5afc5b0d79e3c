"""A Hydra config as Hydra builds it: the primary config composed with its ``defaults:`` list.

A primary config (one with a ``defaults:`` list) is composed by Hydra's own compose API
(``initialize_config_dir`` + ``compose``) from the folder its defaults are relative to,
with the user's Hydra overrides (``experiment=example``, ``trainer.max_epochs=3``). A file
of a config group (``experiment/example.yaml``, ``model/mnist.yaml``) is composed as the
primary config beside its group's folder selects it (``train.yaml`` with
``experiment=example``). OmegaConf keeps no line numbers, so the files Hydra merged are
re-read (in Hydra's merge order, from its defaults list) with lrplot's YAML reader, and
each composed key points at the last file that set it.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.formats.hydra_missing import MissingGroup, StandIns, missing_entry
from lrplot.formats.hydra_missing import entry_of as _entry
from lrplot.limits import MAX_HYDRA_DEFAULTS
from lrplot.read.files import read_text
from lrplot.read.yaml_source import load_yaml_file

_SEARCH_UP = 4  # folders above a file where its config root or primary config may sit
_MAX_PRIMARIES = 60  # YAML files read per folder when looking for a primary config
_MAX_PRIMARY_BYTES = 256_000  # a primary config is small; larger files are not read for the search
_PREFERRED = ("train", "config", "main", "default")  # a primary's stem, when several fit
# Hydra's own config groups a project may point at a plugin that is not installed
# (hydra/job_logging: colorlog, hydra/launcher: submitit_slurm): their built-in options.
_HYDRA_BUILTIN = {"hydra/launcher": "basic", "hydra/sweeper": "basic"}
_MISSING_HYDRA_GROUP = re.compile(r"Could not find '(hydra/[\w-]+)/([\w.-]+)'")


@dataclass
class Composition:
    """The composed config, the files it came from and where each key was set."""

    config: Any  # omegaconf.DictConfig
    locations: dict[KeyPath, str] = field(default_factory=dict)
    reads: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    primary_file: str = ""
    missing: list[MissingGroup] = field(default_factory=list)  # composed without these
    root: Path | None = None  # the folder the groups were searched in


@dataclass
class Primary:
    """Which config Hydra composes, from which folder, with which overrides."""

    root: Path
    name: str
    overrides: list[str] = field(default_factory=list)
    note: str | None = None


def hydra_defaults(data: Any) -> list[Any] | None:
    """A Hydra ``defaults:`` list (lrplot's own ``defaults`` is a mapping)."""
    defaults = data.get("defaults") if isinstance(data, dict) else None
    return defaults if isinstance(defaults, list) else None


def find_primary(path: Path, data: Any) -> Primary | None:
    """The primary config to compose for this file, or None for a file that stands alone."""
    path = path.resolve()
    defaults = hydra_defaults(data) or []
    root = _root_for(path, defaults)
    if root is None and defaults:  # relative defaults only: a primary config in its own folder
        return Primary(path.parent, path.stem)
    for folder in [root] if root is not None else _ancestors(path.parent.parent):
        if folder == path.parent:
            break
        found = _primary_selecting(path, folder)
        if found is not None:
            return found
    if root is not None:  # nested in its root (configs/tasks/x/y.yaml with /defaults/... entries)
        return Primary(root, path.relative_to(root).with_suffix("").as_posix())
    return None


def compose(primary: Primary, overrides: list[str]) -> Composition:
    """Hydra's composition of ``primary`` with the overrides; errors as one line naming the file."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.singleton import Singleton
    from hydra.errors import MissingConfigException
    from hydra.types import RunMode

    where = _shown(primary.root / f"{primary.name}.yaml")
    if not (primary.root / f"{primary.name}.yaml").is_file():
        raise LrplotError(
            "Hydra composes .yaml files only: rename it to .yaml", where=where.removesuffix(".yaml")
        )
    fixes: list[str] = []
    notes = [primary.note] if primary.note else []
    requested = [*primary.overrides, *overrides]
    # A notebook may hold its own Hydra context: set it aside as Hydra's initialize() does.
    previous = Singleton._instances.pop(GlobalHydra, None)  # type: ignore[attr-defined]
    loaded: dict[str, list[Any]] = {}  # each file Hydra read -> its defaults list, in reading order
    missing: list[MissingGroup] = []
    stand_ins = StandIns()
    while True:
        Singleton._instances.pop(GlobalHydra, None)  # type: ignore[attr-defined]
        loaded.clear()
        try:
            with warnings.catch_warnings(), _files_read_under_the_policy(primary.root, loaded), stand_ins:
                warnings.simplefilter("ignore")
                with initialize_config_dir(config_dir=str(primary.root), version_base=None):
                    config = hydra_compose(config_name=primary.name, overrides=[*requested, *fixes])
                    loader = GlobalHydra.instance().config_loader()
                    merged = loader.compute_defaults_list(primary.name, [*requested, *fixes], RunMode.RUN)
            break
        except MissingConfigException as exc:
            group = _MISSING_HYDRA_GROUP.search(str(exc))
            if group is None:
                found = missing_entry(exc, primary.root / f"{primary.name}.yaml", requested, loaded, missing)
                if found is None:
                    raise LrplotError(f"Hydra cannot compose it: {_first_line(exc)}", where=where) from None
                missing.append(found)
                stand_ins.add(found.group, found.option)
                continue
            if any(fix.startswith(group[1] + "=") for fix in fixes):
                raise LrplotError(f"Hydra cannot compose it: {_first_line(exc)}", where=where) from None
            option = _HYDRA_BUILTIN.get(group[1], "default")
            fixes.append(f"{group[1]}={option}")
            notes.append(
                f"{group[1]}: {group[2]} is a Hydra plugin that is not installed; composed with {fixes[-1]} "
                "(lrplot does not use the hydra node)"
            )
        except LrplotError:
            raise
        except RecursionError:  # Hydra follows a defaults list that leads back to itself
            raise LrplotError(_cycle_message(primary.root, loaded), where=where) from None
        except Exception as exc:  # Hydra's and OmegaConf's errors (and any other): one line
            raise LrplotError(f"Hydra cannot compose it: {_first_line(exc)}", where=where) from None
        finally:
            Singleton._instances.pop(GlobalHydra, None)  # type: ignore[attr-defined]
            if previous is not None:
                Singleton._instances[GlobalHydra] = previous  # type: ignore[attr-defined]
    composition = Composition(
        config=config, notes=notes, primary_file=where, missing=missing, root=primary.root
    )
    _locate(composition, primary.root, merged.defaults, requested)
    return composition


def _counted(loaded: dict[str, list[Any]], path: str, config: Any, root: Path) -> None:
    """Record a file's defaults list; refuse a composition whose lists exceed the bound (Hydra's
    composition takes time growing with the square of their entries: 1,500 groups, minutes)."""
    from omegaconf import OmegaConf

    defaults = config.get("defaults") if hasattr(config, "get") else None
    if OmegaConf.is_config(defaults):
        defaults = OmegaConf.to_container(defaults, resolve=False)
    loaded[path] = list(defaults) if isinstance(defaults, Sequence) and not isinstance(defaults, str) else []
    total = sum(len(entries) for entries in loaded.values())
    if total > MAX_HYDRA_DEFAULTS:
        raise LrplotError(
            f"the Hydra defaults lists of this composition have {total:,} entries by "
            f"{printable(_relative(Path(path), root))} (limit {MAX_HYDRA_DEFAULTS:,} entries, all files "
            "together); refusing to compose it",
            where=_shown(Path(path)),
        )


def _cycle_message(root: Path, loaded: dict[str, list[Any]]) -> str:
    """Name the files whose defaults lists lead back to one another, in Hydra's reading order."""
    files = {Path(path).resolve(): entries for path, entries in loaded.items()}
    edges = {path: [target for entry in entries for target in _targets(root, path, entry) if target in files]
             for path, entries in files.items()}  # fmt: skip
    cycle = _first_cycle(edges, next(iter(files), None))
    if cycle:
        shown = " -> ".join(printable(_relative(path, root)) for path in cycle)
        return f"Hydra's defaults lists form a cycle: {shown}"
    return "Hydra's defaults lists lead back to themselves without end (Python's recursion limit)"


def _first_cycle(edges: dict[Path, list[Path]], start: Path | None) -> list[Path] | None:
    """The first cycle a depth-first walk from ``start`` meets, closed (``a, b, a``), or None."""
    if start is None:
        return None
    path, state = [start], {start: "open"}
    stack = [iter(edges.get(start, []))]
    while stack:
        following = next(stack[-1], None)
        if following is None:
            stack.pop()
            state[path.pop()] = "done"
        elif state.get(following) == "open":
            return [*path[path.index(following) :], following]
        elif following not in state:
            state[following] = "open"
            path.append(following)
            stack.append(iter(edges.get(following, [])))
    return None


def _targets(root: Path, path: Path, entry: Any) -> list[Path]:
    """The file a defaults entry of ``path`` names: relative to its group, or to the root."""
    parsed = _entry(entry)
    if parsed is None or not isinstance(parsed[1], str):
        return []
    group, option = parsed
    name = f"{group}/{option}" if group is not None else option
    base = root if name.startswith("/") else path.parent
    return [(base / f"{name.lstrip('/').removesuffix('.yaml')}.yaml").resolve()]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


@contextmanager
def _files_read_under_the_policy(root: Path, loaded: dict[str, list[Any]]) -> Iterator[None]:
    """Hydra's ``file://`` config source reading through lrplot's reading policy.

    Hydra opens the files of a composition itself (``FileConfigSource.load_config``): a
    config group file that is a symlink to a file outside the folders a config may read, or
    a file too large, would reach OmegaConf unchecked. For the composition, the source Hydra
    resolves for ``file://`` is a subclass whose ``load_config`` reads the same file with
    :func:`lrplot.read.files.read_text` (confined to the config folder unless allowed, regular
    files only, byte cap, recorded as an input that no output may overwrite) and hands the
    text to OmegaConf exactly as Hydra does. Hydra's registry is restored afterwards. Each
    file's defaults list is recorded in ``loaded`` and counted (``MAX_HYDRA_DEFAULTS``).
    """
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra._internal.sources_registry import SourcesRegistry
    from hydra.core.plugins import Plugins
    from hydra.plugins.config_source import ConfigResult, ConfigSource
    from omegaconf import OmegaConf

    class PolicyFileConfigSource(FileConfigSource):
        def load_config(self, config_path: str) -> ConfigResult:
            normalized = self._normalize_file_name(config_path)
            full_path = os.path.join(self.path, normalized)
            text = read_text(full_path, what="Hydra config", config_dir=root)
            config = OmegaConf.load(io.StringIO(text))
            _counted(loaded, full_path, config, root)
            return ConfigResult(
                config=config,
                path=f"{self.scheme()}://{self.path}",
                provider=self.provider,
                header=ConfigSource._get_header_dict(text[:512]),
            )

    Plugins.instance()  # Hydra registers its own sources first; ours then stands in for file://
    types = SourcesRegistry.instance().types
    original = types.get("file")
    types["file"] = PolicyFileConfigSource
    try:
        yield
    finally:
        if original is None:
            types.pop("file", None)
        else:
            types["file"] = original


def _locate(composition: Composition, root: Path, defaults: list[Any], overrides: list[str]) -> None:
    """Key path → ``file:line`` of the last file (in Hydra's merge order) that set it."""
    locations = composition.locations
    for default in defaults:
        config_path, package = default.config_path, default.package or ""
        if config_path is None or config_path.startswith("hydra/") or package.split(".")[0] == "hydra":
            continue
        file = next(
            (
                f
                for f in (root / f"{config_path}.yaml", root / f"{config_path}.yml", root / config_path)
                if f.is_file()
            ),
            None,
        )
        if file is None:
            continue  # a structured config or a searchpath package: no file to point at
        source = load_yaml_file(file, what="Hydra config", config_dir=root)
        composition.reads.append(file)
        shown = _shown(file)
        prefix: KeyPath = tuple(package.split(".")) if package else ()
        for key_path, line in sorted(source.lines.items(), key=lambda item: item[1]):
            if key_path[:1] == ("defaults",):
                continue
            composed = (*prefix, *key_path)
            if not isinstance(_value_at(source.data, key_path), dict):  # lists and values replace
                for stale in [p for p in locations if p[: len(composed)] == composed and p != composed]:
                    del locations[stale]
            locations[composed] = f"{shown}:{line}"
    for text in overrides:
        key, sep, _ = text.lstrip("+~").partition("=")
        if sep and "/" not in key and not (root / key.replace(".", "/")).is_dir():
            locations[tuple(key.split("."))] = f"--hydra-override {text}"


def _shown(file: Path) -> str:
    """A file as messages show it: relative to the current folder when it is below it."""
    try:
        return str(file.relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def _value_at(data: Any, key_path: KeyPath) -> Any:
    for part in key_path:
        data = data[part]
    return data


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _ancestors(start: Path) -> list[Path]:
    return [start, *list(start.parents)[: _SEARCH_UP - 1]]


def _root_for(path: Path, defaults: list[Any]) -> Path | None:
    """The config root: the nearest folder where every absolute (``/group``) default exists."""
    absolute: list[tuple[str, bool]] = []
    for entry in defaults:
        parsed = _entry(entry)
        if parsed is None:
            continue
        group, option = parsed
        name = group if group is not None else str(option)
        if not name.startswith("/") or name.lstrip("/").startswith("hydra"):
            continue
        absolute.append((name.lstrip("/").removesuffix(".yaml"), group is not None))
    if not absolute:
        return None
    for folder in _ancestors(path.parent):
        if all(
            (folder / name).is_dir() if is_group else (folder / f"{name}.yaml").is_file()
            for name, is_group in absolute
        ):
            return folder
    return None


def _primary_selecting(path: Path, folder: Path) -> Primary | None:
    """A primary config in ``folder`` whose defaults list has the group this file belongs to."""
    try:
        relative = path.relative_to(folder).with_suffix("")
    except ValueError:
        return None
    parts = relative.parts
    candidates = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    found: list[tuple[Path, str, str, bool]] = []
    for candidate in candidates[:_MAX_PRIMARIES]:
        if candidate.stat().st_size > _MAX_PRIMARY_BYTES:
            continue
        try:
            defaults = hydra_defaults(
                load_yaml_file(candidate, what="Hydra config", config_dir=path.parent).data
            )
        except LrplotError:
            continue
        groups = {parsed[0].lstrip("/") for parsed in map(_entry, defaults or []) if parsed and parsed[0]}
        for split in range(len(parts) - 1, 0, -1):  # experiment/owt/x: group experiment/owt, then experiment
            group, option = "/".join(parts[:split]), "/".join(parts[split:])
            if group in groups:
                found.append((candidate, group, option, True))
                break
    if not found:
        return None
    found.sort(
        key=lambda item: next((i for i, w in enumerate(_PREFERRED) if w in item[0].stem), len(_PREFERRED))
    )
    candidate, group, option, _ = found[0]
    others = ", ".join(item[0].name for item in found[1:])
    note = f"composed as {candidate.name} with {group}={option}" + (
        f" (also selects it: {others})" if others else ""
    )
    return Primary(folder, candidate.stem, [f"{group}={option}"], note)
