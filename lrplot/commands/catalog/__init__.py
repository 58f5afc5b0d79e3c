"""Everything lrplot can draw, by ecosystem, with parameters read from each installed library.

``lrplot list`` answers "which schedules can I plot, and with which keywords?" for torch,
transformers, the Hugging Face Trainer, timm, mmengine and DeepSpeed. Each ecosystem has one
reader module here (imported only when listed) that reads the installed library's source
with ``ast`` (:mod:`.source`): importing those libraries would take seconds, reading their
signatures takes milliseconds. A library that is not installed is one line with its
``pip install``; one whose files this lrplot cannot read is one line saying so.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from lrplot.commands.catalog.model import Entry, Parameter, Section
from lrplot.errors import LrplotError

# ecosystem -> (reader module in this package, function returning its sections); list order.
ECOSYSTEMS: dict[str, tuple[str, str]] = {
    "torch": ("torch_optim", "sections"),
    "transformers": ("transformers_optimization", "functions"),
    "huggingface": ("transformers_optimization", "trainer_types"),
    "timm": ("timm_scheduler", "sections"),
    "mmengine": ("mmengine_scheduler", "sections"),
    "deepspeed": ("deepspeed_lr_schedules", "sections"),
}

__all__ = ["ECOSYSTEMS", "Entry", "Lookup", "Parameter", "Section", "catalog", "find", "sections"]


def sections(ecosystems: Sequence[str] = ()) -> list[Section]:
    """The catalog's sections, for the named ecosystems (default all), in ``ECOSYSTEMS`` order."""
    found: list[Section] = []
    for ecosystem in [e for e in ECOSYSTEMS if e in ecosystems] if ecosystems else list(ECOSYSTEMS):
        module_name, function = ECOSYSTEMS[ecosystem]
        reader = getattr(importlib.import_module(f"{__name__}.{module_name}"), function)
        try:
            found += reader()
        except Exception as exc:  # a library layout this lrplot does not know: one line, never a traceback
            problem = f"could not read its schedules: {type(exc).__name__}: {exc}"
            found.append(Section(ecosystem, ecosystem, "", problem=problem))
    return found


def catalog(ecosystems: Sequence[str] = ()) -> list[Entry]:
    """Every entry of the named ecosystems (default all): torch's schedulers and optimizers first."""
    return [entry for section in sections(ecosystems) for entry in section.entries]


@dataclass
class Lookup:
    """The entry a name finds, and the other ecosystems' entries of that same name."""

    entry: Entry
    others: list[str] = field(default_factory=list)  # their qualified names: mmengine.CosineAnnealingLR


def find(name: str, ecosystems: Sequence[str] = ()) -> Lookup:
    """One entry by name, case-insensitive: ``CosineAnnealingLR`` (the first ecosystem that has it),
    ``mmengine.CosineAnnealingLR`` (that ecosystem's), or a config's spelling
    (``torch.optim.Adam``, ``timm.scheduler.CosineLRScheduler``); an error suggests the closest."""
    wanted = name.lower()
    prefix = wanted.split(".", 1)[0] if "." in wanted else None
    if prefix in ECOSYSTEMS and not ecosystems:  # ecosystem.NAME, torch.optim.AdamW, timm.scheduler...
        try:
            return find(name, [prefix])
        except LrplotError:
            pass  # say what the whole catalog suggests
    listed = sections(ecosystems)
    entries = [entry for section in listed for entry in section.entries]
    exact = [entry for entry in entries if wanted in _full_names(entry)]
    if exact:
        return Lookup(exact[0])
    short = [
        (entry, spelled) for entry in entries for spelled in _short_names(entry) if spelled.lower() == wanted
    ]
    if short:
        return Lookup(short[0][0], [f"{entry.ecosystem}.{spelled}" for entry, spelled in short[1:]])
    missing = {section.ecosystem: section.missing for section in listed if section.missing}
    for ecosystem, install in missing.items():
        if prefix == ecosystem:  # ecosystem.NAME, or a config's timm.scheduler.NAME, deepspeed....
            raise LrplotError(f"{name!r}: {ecosystem} is not installed ({install})")
    searched = [section.ecosystem for section in listed if not section.missing]
    where = f" in {', '.join(dict.fromkeys(searched))}" if ecosystems or missing else ""
    absent = f"; not installed: {', '.join(missing)}" if missing else ""
    hint = _suggestion(wanted, entries)
    raise LrplotError(f"no scheduler or optimizer named {name!r}{hint}{where}{absent}; see lrplot list")


def _short_names(entry: Entry) -> list[str]:
    """The names a bare word finds: the entry's own and its undotted aliases (timm's ``cosine``)."""
    return [entry.name, *(alias for alias in entry.aliases if "." not in alias)]


def _full_names(entry: Entry) -> set[str]:
    """Lower-cased ``ecosystem.name`` spellings and the dotted names configs write."""
    qualified = {f"{entry.ecosystem}.{spelled}" for spelled in _short_names(entry)}
    return {n.lower() for n in (*qualified, *(alias for alias in entry.aliases if "." in alias))}


def _suggestion(wanted: str, entries: list[Entry]) -> str:
    import difflib

    spellings = {}
    for entry in reversed(entries):  # the first ecosystem's spelling wins a shared name
        for spelled in _short_names(entry):
            spellings[spelled.lower()] = spelled
            spellings[f"{entry.ecosystem}.{spelled}".lower()] = f"{entry.ecosystem}.{spelled}"
    close = difflib.get_close_matches(wanted, list(spellings), n=1)
    return f" (did you mean {spellings[close[0]]!r}?)" if close else ""
