"""Stage 2: foreign training configs → lrplot's own config data.

One module per format; this registry holds their names only and imports a format's
module when a file is identified (so start-up stays fast however many formats exist).
Each format module has ``NAME``, ``identify(path, data) -> Identification`` (its claim on
the file from the keys distinctive for it; cheap, no heavy imports; a module with only
the older ``score(path, data) -> float`` is taken too) and ``translate(...) -> Converted``.

A file is translated only when exactly one format claims it confidently (or the user says
which it is, ``config_format``): a file no format claims, or that several claim, is refused
in one line naming the closest formats and the keys each misses or conflicts on, so that
no format fills a trainer's default into a file it has not recognised. A native lrplot
config (one with a ``curves`` list) is taken as it is. ``--select KEY.PATH`` picks the
subtree when the file holds a whole training config.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import PLATEAU_METRIC_NOTE, Converted, FormatOptions, Identification
from lrplot.formats.conflicts import EVIDENCE, owners_of, short_name, unread_note, with_conflicts
from lrplot.formats.file_sets import apply_file_sets

__all__ = [
    "FORMATS", "PLATEAU_METRIC_NOTE", "Converted", "FormatOptions", "Identification", "chosen_format",
    "convert", "format_module", "format_names", "identify",
]  # fmt: skip

# Every format lrplot reads; identification asks each (the order only orders the messages).
FORMATS = (
    "lrplot.formats.litgpt",  # before LightningCLI: its optimizer is a class_path node too
    "lrplot.formats.lightning",
    "lrplot.formats.hydra",
    "lrplot.formats.timm",
    "lrplot.formats.torchtitan",
    "lrplot.formats.torchtune",  # before the Trainer: recipes also have gradient_accumulation_steps
    "lrplot.formats.composer",
    "lrplot.formats.megatron",
    "lrplot.formats.axolotl",
    "lrplot.formats.huggingface",
    "lrplot.formats.deepspeed",
    "lrplot.formats.mmengine",
    "lrplot.formats.nanogpt",
    "lrplot.formats.detectron2",
    "lrplot.formats.detectron2_lazy",
    "lrplot.formats.ultralytics",
    "lrplot.formats.fairseq",
    "lrplot.formats.nemo",
    "lrplot.formats.nemo_recipe",
)


def format_module(name: str) -> ModuleType:
    """A format's module, imported on first use."""
    return importlib.import_module(name)


def format_names() -> dict[str, str]:
    """``--config-format`` names: each format's module name (``huggingface``) -> its module."""
    return {name.rsplit(".", 1)[-1]: name for name in FORMATS}


def _claim(module: ModuleType, path: Path | None, data: Any) -> Identification:
    """The module's identification; a module with only ``score()`` is taken at its word."""
    if hasattr(module, "identify"):
        return module.identify(path, data)
    return Identification(str(getattr(module, "NAME", module.__name__)), float(module.score(path, data)))


def identify(path: Path | None, data: Any) -> list[tuple[ModuleType, Identification]]:
    """Every format's claim on ``data``, the strongest first (ties in registry order)."""
    claims = [(module, _claim(module, path, data)) for module in map(format_module, FORMATS)]
    return sorted(with_conflicts(claims), key=lambda claim: -claim[1].score)


def convert(data: Any, options: FormatOptions | None = None) -> Converted:
    """Detect the format of a loaded document and return lrplot config data."""
    options = options or FormatOptions()
    prefix: KeyPath = ()
    target = data
    select = options.select
    if select:
        for part in select.split("."):
            key: str | int = int(part) if part.isdigit() and isinstance(target, list) else part
            in_mapping = isinstance(target, dict) and key in target
            in_list = isinstance(target, list) and isinstance(key, int) and key < len(target)
            if in_mapping or in_list:
                target = target[key]
            else:
                raise LrplotError(f"--select {select}: no key {part!r} there", key_path=prefix or None)
            prefix = (*prefix, key)
    if isinstance(target, dict) and "curves" in target:
        if options.steps_per_epoch is not None:
            target = {**target, "steps_per_epoch": target.get("steps_per_epoch", options.steps_per_epoch)}
        converted = Converted(data=target, form="lrplot")
        if prefix:
            converted.origins = {(): prefix}
        return _all_files_used(converted, options)
    if not isinstance(target, dict):
        raise LrplotError("the config must be a mapping with a 'curves' list", key_path=prefix or None)
    options.prefix, options.root = prefix, data
    module, unread = _claimed(target, options, prefix)
    changes: list[str] = []
    if options.file_sets and not getattr(module, "APPLIES_SETS", False):
        data, changes = apply_file_sets(data, options.file_sets, str(module.NAME))
        options.root = data
        for key in prefix:
            data = data[key]
        target = data
    converted = module.translate(target, options)
    converted.notes[:0] = [*unread, *changes]
    return _all_files_used(converted, options)


def chosen_format(data: Any, options: FormatOptions) -> ModuleType | None:
    """The format that will translate ``data`` (None: a native lrplot config), or the refusal."""
    target = data
    for part in (options.select or "").split(".") if options.select else ():
        key: str | int = int(part) if part.isdigit() and isinstance(target, list) else part
        if (isinstance(target, dict) and key in target) or (
            isinstance(target, list) and isinstance(key, int) and key < len(target)
        ):
            target = target[key]
        else:
            return None  # convert() says what is wrong with --select
    if not isinstance(target, dict) or "curves" in target:
        return None
    return _chosen(target, options, ())


def _all_files_used(converted: Converted, options: FormatOptions) -> Converted:
    """A ``--file-for KEY=PATH`` whose KEY names no file of this config is a mistake: say so."""
    for text in options.files_for:
        key = text.partition("=")[0].strip()
        if key not in options.used_files:
            raise LrplotError(f"--file-for {text}: this {converted.form} config names no file by {key!r}")
    return converted


def _chosen(target: dict[str, Any], options: FormatOptions, prefix: KeyPath) -> ModuleType:
    """The one format that claims the file (or that ``--config-format`` names); else refused."""
    return _claimed(target, options, prefix)[0]


def _claimed(target: dict[str, Any], options: FormatOptions, prefix: KeyPath) -> tuple[ModuleType, list[str]]:
    """The format that translates the file and the notes its choice needs (``--config-format``
    over a file with another format's keys: which keys the chosen format does not read)."""
    claims = identify(options.path, target)
    if options.config_format is not None:
        module = _forced(options.config_format, claims, prefix)
        found = next(found for other, found in claims if other is module)
        return module, unread_note(module, found, claims)
    confident = [(module, found) for module, found in claims if found.confident]
    if len(confident) == 1:
        return confident[0][0], []
    if confident:
        named = "; ".join(f"{found.format} ({_keys(found.seen)})" for _, found in confident)
        choices = " or ".join(f"--config-format {_short(module)}" for module, _ in confident)
        raise LrplotError(
            f"{_looks(options.path, target)} that several formats claim: {named}; say which with {choices}",
            key_path=prefix,
        )
    _did_you_mean_curves(target, prefix)
    close = sorted(
        ((module, found) for module, found in claims if found.seen),
        key=lambda claim: (-claim[1].score, bool(claim[1].conflicting), -len(claim[1].seen)),
    )[:2]
    if close and close[0][1].rivals:  # a mix: name both sides and the choice between them
        mixed = [
            close[0],
            *(c for c in claims if c[1].format in close[0][1].rivals and c[1].score >= EVIDENCE),
        ]
        mixed = list(dict.fromkeys(mixed))[:3]
        closest = "; ".join(f"{found.format} {_shortfall(found, claims)}" for _, found in mixed)
        choices = " or ".join(short_name(module) for module, _ in mixed)
        raise LrplotError(
            f"{_looks(options.path, target)} with the keys of more than one format: {closest}; say which "
            f"with --config-format NAME ({choices}): the others' keys are then named as not read",
            key_path=prefix,
        )
    if close:
        closest = "; ".join(f"{found.format} {_shortfall(found, claims)}" for _, found in close)
        told = f"no format lrplot reads claims it (closest: {closest})"
    else:
        told = "it has none of the keys of the formats lrplot reads"
    raise LrplotError(
        f"{_looks(options.path, target)}, no 'curves' list: {told}; if it is one of them, say which "
        f"with --config-format NAME ({', '.join(format_names())}), or --select KEY.PATH for its part",
        key_path=prefix,
    )


def _forced(name: str, claims: list[tuple[ModuleType, Identification]], prefix: KeyPath) -> ModuleType:
    """The format the user named, if the file has at least one of its keys."""
    names = format_names()
    wanted = name.strip().lower()
    for module, found in claims:
        if wanted in (_short(module), found.format.lower()):
            if found.score <= 0 and not found.seen:
                raise LrplotError(
                    f"--config-format {name}: the file has none of {found.format}'s keys "
                    f"({_keys(found.missing) or 'none found'})",
                    key_path=prefix or None,
                )
            return module
    raise LrplotError(f"--config-format {name}: not a format lrplot reads; one of: {', '.join(names)}")


def _short(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def _keys(keys: tuple[str, ...], most: int = 4) -> str:
    """A few key names (from the formats' own vocabularies, never the file's other text)."""
    shown = ", ".join(keys[:most])
    return f"{shown}, ..." if len(keys) > most else shown


def _shortfall(found: Identification, claims: list[tuple[ModuleType, Identification]]) -> str:
    """``(has a, b; lacks c)`` or ``(has a; conflicting: d (axolotl's))``: why the claim fell short."""
    parts = [f"has {_keys(found.seen, 3)}"]
    if found.conflicting:
        owners = owners_of(found.conflicting[:2], found, claims)
        parts.append(f"conflicting: {_keys(found.conflicting, 2)}{f' ({owners})' if owners else ''}")
    elif found.missing:
        parts.append(f"lacks {_keys(found.missing, 3)}")
    return f"({'; '.join(parts)})"


_KINDS = {".py": "a Python config", ".toml": "a TOML config", ".json": "a JSON config"}


def _did_you_mean_curves(target: dict[str, Any], prefix: KeyPath) -> None:
    """A file no format claims whose key is a typo of lrplot's own ``curves`` (``curvs:`` beside
    ``total_step:``) is an lrplot config with a typo: say so at that key's line."""
    import difflib

    for key in target:
        if isinstance(key, str) and difflib.get_close_matches(key.lower(), ["curves"], n=1, cutoff=0.8):
            raise LrplotError(
                f"unknown top-level key {key!r} (did you mean 'curves'?): an lrplot config lists its "
                "curves under 'curves'",
                key_path=(*prefix, key),
            )


def _looks(path: Path | None, data: dict[str, Any]) -> str:
    """What the file looks like, from its shape only (no value of it is echoed)."""
    kind = _KINDS.get(path.suffix.lower(), "a YAML config") if path is not None else "a config"
    markers = [
        marker
        for marker in ("_component_", "_target_", "class_path")
        if any(isinstance(value, dict) and marker in value for value in data.values())
    ]
    hint = {"_component_": " (as torchtune recipes write)"}
    shape = f"{kind} of {len(data)} top-level keys"
    if markers:
        shape += f" with {'/'.join(markers)} nodes{hint.get(markers[0], '')}"
    return shape
