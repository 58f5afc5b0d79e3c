"""How to read a config, as one value: what ``load`` and every command that loads take.

The command line builds one :class:`LoadOptions` per command from its parsed options
(``lrplot.commands.options.with_load_options``); the Python API takes the same value as
``options=`` or its fields as keyword arguments (:func:`resolve_load_options` turns either
into one). A new load option is a field here (and a key of :class:`LoadKeywords`, and an
option of the commands that offer it); no layer in between names it, and
``tests/test_load_options.py`` checks that every entry point hands it to the loader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypedDict

from lrplot.formats.base import FormatOptions


@dataclass(frozen=True)
class LoadOptions:
    """What the command line (or the caller) says beyond the config file itself.

    >>> LoadOptions(sets=["total_step=500"], force=True).sets  # kept as a tuple: the value is frozen
    ('total_step=500',)
    """

    # Changing the config, as --set and --sweep do: KEY=VALUE overrides and KEY=V1,V2,...
    # sweeps, applied in order after a training config is translated.
    sets: Sequence[str] = ()
    sweeps: Sequence[str] = ()
    # Reading a training config (lrplot.formats): --select picks the subtree holding the
    # optimizer and scheduler; the run-length numbers stand in for what the file does not
    # hold (iterations per epoch, training samples, data-parallel processes); Hydra's own
    # overrides compose a Hydra config from its defaults list.
    select: str | None = None
    steps_per_epoch: int | None = None
    dataset_size: int | None = None
    world_size: int | None = None
    hydra_overrides: Sequence[str] = ()
    # Training logs to compare every curve with, ``PATH`` or ``PATH:TAG`` as --reference takes
    # them: each is every curve's ``reference: {path, tag}``, set before ``sets`` (which may
    # refine it: ``reference.step=iteration``), and an error it causes names the --reference.
    references: Sequence[str] = ()
    # The format the file is in (a module name of lrplot.formats, e.g. "huggingface"), for a
    # file that no format claims on its own or that several claim (--config-format).
    config_format: str | None = None
    # KEY=PATH: where a file the config names by KEY really is, when it is not where the
    # config's project would find it (--file-for deepspeed=ds_z3.json).
    files_for: Sequence[str] = ()
    # Trust and limits: module prefixes a config may name classes from (and the OmegaConf
    # resolvers a Hydra config may run), and lifting the liftable bounds (lrplot.limits);
    # planning and simulating read these too, not only loading.
    allow_imports: Sequence[str] = ()
    force: bool = False

    def __post_init__(self) -> None:
        """A list of strings is taken and kept as a tuple, so the value stays frozen and hashable."""
        for field in fields(self):
            if field.type != "Sequence[str]":  # the annotation as written (postponed evaluation)
                continue
            value = getattr(self, field.name)
            if isinstance(value, (str, bytes)):  # one string would be read letter by letter
                raise TypeError(f"LoadOptions.{field.name} takes a list of strings, not the string {value!r}")
            object.__setattr__(self, field.name, tuple(value))

    def format_options(self, path: Path | None) -> FormatOptions:
        """The options a format translates with: every field both classes have, passed by name.

        Matching by name keeps the two from drifting: a field added to both reaches the
        formats without a line here.
        """
        shared = {field.name for field in fields(FormatOptions)} & {field.name for field in fields(self)}
        return FormatOptions(path=path, **{name: getattr(self, name) for name in shared})


class LoadKeywords(TypedDict, total=False):
    """:class:`LoadOptions`' fields as keyword arguments of ``load``, ``loads`` and ``validate``."""

    sets: Sequence[str]
    sweeps: Sequence[str]
    select: str | None
    steps_per_epoch: int | None
    dataset_size: int | None
    world_size: int | None
    hydra_overrides: Sequence[str]
    references: Sequence[str]
    config_format: str | None
    files_for: Sequence[str]
    allow_imports: Sequence[str]
    force: bool


def resolve_load_options(
    options: LoadOptions | None, keywords: Mapping[str, Any], caller: str
) -> LoadOptions:
    """The one :class:`LoadOptions` of a call given ``options=`` or the keywords (not both).

    >>> resolve_load_options(None, {"force": True}, "load").force
    True
    """
    if options is not None:
        if keywords:
            given = ", ".join(keywords)
            raise TypeError(f"{caller}() takes options= or keyword arguments ({given}), not both")
        if not isinstance(options, LoadOptions):
            raise TypeError(f"{caller}() takes options=LoadOptions(...), got {type(options).__name__}")
        return options
    known = {field.name for field in fields(LoadOptions)}
    for name in keywords:
        if name not in known:
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")
    return LoadOptions(**keywords)
