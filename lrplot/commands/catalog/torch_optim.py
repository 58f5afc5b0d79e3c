"""torch.optim's schedulers (lr_scheduler + swa_utils.SWALR) and optimizers, read from torch's source."""

from __future__ import annotations

from pathlib import Path

from lrplot.commands.catalog import source
from lrplot.commands.catalog.model import Entry, Section

_SCHEDULER_BASES = {"LRScheduler", "_LRScheduler"}
_HIDDEN = {"LRScheduler", "_LRScheduler", "Optimizer"}
_SUPPLIED = {"self", "optimizer", "params"}
SCHEDULER_USAGE = "scheduler: {name: NAME, ...}"
OPTIMIZER_USAGE = "optimizer: {name: NAME, lr: ...}"


def sections() -> list[Section]:
    """Schedulers, then optimizers, each sorted by name (as ``torch.optim`` exports them)."""
    torch = source.package("torch")
    if torch is None:
        return [Section("torch", "torch schedulers and optimizers", "", missing="pip install torch")]
    folder = torch.path / "optim"
    schedulers = source.classes(
        [
            (folder / "lr_scheduler.py", "torch.optim.lr_scheduler"),
            (folder / "swa_utils.py", "torch.optim.swa_utils"),
        ]
    )
    optimizer_files = [
        (path, _module(path))
        for path in sorted(folder.glob("*.py"))
        if path.stem not in {"__init__", "lr_scheduler", "swa_utils", "optimizer"}  # the base: not listed
    ]
    optimizers = source.classes(optimizer_files)
    exported = source.exported(source.parse(folder / "__init__.py"))
    scheduler_entries = [
        _entry(name, "scheduler", schedulers)
        for name in schedulers
        if name == "ReduceLROnPlateau" or source.derives(name, _SCHEDULER_BASES, schedulers)
    ]
    optimizer_entries = [
        _entry(name, "optimizer", optimizers)
        for name in optimizers
        if source.derives(name, {"Optimizer"}, optimizers) and (not exported or name in exported)
    ]
    version = f"torch {torch.version}".strip()
    return [
        Section("torch", f"{version} schedulers", SCHEDULER_USAGE, _visible(scheduler_entries)),
        Section("torch", f"{version} optimizers", OPTIMIZER_USAGE, _visible(optimizer_entries)),
    ]


def _entry(name: str, kind: str, table: dict[str, source.ClassSource]) -> Entry:
    found = table[name]
    aliases = [f"{found.module}.{name}"]
    if kind == "optimizer":
        aliases.append(f"torch.optim.{name}")
    return Entry(
        name=name,
        kind=kind,
        module=found.module,
        parameters=source.init_parameters(name, table, _SUPPLIED),
        summary=source.first_paragraph(found.node),
        aliases=tuple(dict.fromkeys(aliases)),
        usage=(SCHEDULER_USAGE if kind == "scheduler" else OPTIMIZER_USAGE).replace("NAME", name),
    )


def _visible(entries: list[Entry]) -> list[Entry]:
    shown = [e for e in entries if e.name not in _HIDDEN and not e.name.startswith("_")]
    return sorted(shown, key=lambda e: e.name.lower())


def _module(path: Path) -> str:
    return "torch.optim" if path.stem.startswith("_") else f"torch.optim.{path.stem}"
