"""Mixed files: one format's claim is capped by the keys distinctive for another (issue 24).

Each format's ``identify()`` names, in ``seen``, the keys that are distinctive for it in this
file (with their shapes checked: axolotl's ``lr_scheduler`` is a name, fairseq's a ``_name``
node, LightningCLI's a ``class_path`` node). When a file carries keys another format saw as
its own evidence (that format's score is at least ``EVIDENCE``), and the claiming format does
not read them (no key it saw has the same top-level name), the file mixes two formats: the
claim is capped at ``CONFLICTED``, so no format draws it on its own and the refusal names the
keys and the formats.

Some formats legitimately read another's keys. A format module says which in
``COMPATIBLE_WITH``: the other format's module name -> the (top-level) keys of that format it
reads itself. Those keys then do not cap it. The relation is one-way
and written only where it is true (axolotl reads the Trainer's ``warmup_ratio`` and
``lr_scheduler_kwargs`` itself; the Trainer reads none of axolotl's keys). A format's own
hand-listed conflicts (the keys it knows it would misread, such as the Trainer's spellings that
axolotl refuses) still apply inside a compatible pair.
"""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType

from lrplot.formats.base import CONFLICTED, Identification

Claim = tuple[ModuleType, Identification]
# The least score whose keys count as another format's evidence: a format weighs a name other
# trainers share below it (Megatron's micro_batch_size and global_batch_size weigh 0.05).
EVIDENCE = 0.1


def short_name(module: ModuleType) -> str:
    """A format's ``--config-format`` name (its module's last part)."""
    return module.__name__.rsplit(".", 1)[-1]


def head(key: str) -> str:
    """The file's top-level key a seen key (``model.optim.sched``) rests on."""
    return key.split(".", 1)[0]


def foreign_keys(module: ModuleType, found: Identification, claims: list[Claim]) -> list[tuple[str, str]]:
    """``(key, format)``: the keys other formats saw as their own that ``module`` does not read
    (a key two formats saw is named with each)."""
    own_heads = {head(key) for key in found.seen}
    compatible: dict[str, tuple[str, ...]] = getattr(module, "COMPATIBLE_WITH", {})
    foreign: list[tuple[str, str]] = []
    for other, theirs in claims:
        if other is module or theirs.score < EVIDENCE:
            continue
        read_heads = {head(key) for key in compatible.get(short_name(other), ())}
        for key in theirs.seen:
            if head(key) in own_heads or head(key) in read_heads or (key, theirs.format) in foreign:
                continue
            foreign.append((key, theirs.format))
    return foreign


def with_conflicts(claims: list[Claim]) -> list[Claim]:
    """Every claim, capped where the file also carries another format's distinctive keys."""
    capped: list[Claim] = []
    for module, found in claims:
        # a claim naming no keys of its own (a module with only the older score()) has no
        # vocabulary to compare: it is taken at its word, as before
        foreign = foreign_keys(module, found, claims) if found.score > 0 and found.seen else []
        if foreign:
            keys = tuple(dict.fromkeys(key for key, _ in foreign if key not in found.conflicting))
            rivals = tuple(dict.fromkeys((*found.rivals, *(form for _, form in foreign))))
            found = replace(
                found,
                score=min(found.score, CONFLICTED),
                conflicting=(*found.conflicting, *keys),
                rivals=rivals,
            )
        capped.append((module, found))
    return capped


def owners_of(keys: tuple[str, ...], found: Identification, claims: list[Claim]) -> str:
    """``axolotl's`` / ``axolotl's, timm train.py's``: the other formats that saw ``keys`` as theirs."""
    owners = [
        theirs.format
        for _, theirs in claims
        if theirs.format != found.format
        and theirs.score >= EVIDENCE
        and {head(k) for k in keys} & set(map(head, theirs.seen))
    ]
    return ", ".join(f"{name}'s" for name in dict.fromkeys(owners))


def unread_note(module: ModuleType, found: Identification, claims: list[Claim]) -> list[str]:
    """The note for a format the user chose (``--config-format``) over a file with another format's
    keys: those keys are not read by it, and in their own format they may decide the schedule."""
    foreign = foreign_keys(module, found, claims) if found.seen else []
    if not foreign:
        return []
    by_format: dict[str, list[str]] = {}
    for key, form in foreign:
        by_format.setdefault(form, []).append(key)
    named = "; ".join(f"{form}'s {', '.join(keys[:6])}{', ...' if len(keys) > 6 else ''}"
                      for form, keys in by_format.items())  # fmt: skip
    chosen = short_name(module)
    return [f"--config-format {chosen}: not read: {named} (in their own format they may change the schedule)"]
