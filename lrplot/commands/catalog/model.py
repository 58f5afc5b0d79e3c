"""What the catalog holds: entries (a scheduler, optimizer or schedule name) grouped in sections."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Parameter:
    name: str
    default: str | None  # source text of the default; None when required (or variadic)
    annotation: str | None = None
    variadic: bool = False  # ``*args`` / ``**kwargs``: keywords passed on, never required


@dataclass
class Entry:
    """One thing a config can name: a scheduler or optimizer class, a schedule function or name."""

    name: str  # as a config of its ecosystem writes it
    kind: str  # "scheduler" or "optimizer"
    module: str  # where the library defines it (dotted)
    parameters: list[Parameter] = field(default_factory=list)
    summary: str = ""  # the docstring's first paragraph
    ecosystem: str = "torch"
    aliases: tuple[str, ...] = ()  # other names that find it: timm's sched names, config spellings
    tag: str = ""  # shown after the parameters in the list (timm's sched names, the Trainer's function)
    note: str = ""  # shown in full (lrplot list NAME): what to know before using it
    drawn: bool = True  # False where lrplot refuses it (it follows evaluation metrics, ...)
    defined_by: str = ""  # the library object it stands for, when not ``module.name``
    usage: str = ""  # how a config names it

    @property
    def qualified(self) -> str:
        """``ecosystem.name``: the spelling that picks it among entries of the same name."""
        return f"{self.ecosystem}.{self.name}"

    @property
    def target(self) -> str:
        return self.defined_by or f"{self.module}.{self.name}"


@dataclass
class Section:
    """Entries of one ecosystem (and kind), how a config names them, or why there are none."""

    ecosystem: str
    heading: str  # "timm 1.0.31 schedulers"
    usage: str  # how a config names an entry of this section
    entries: list[Entry] = field(default_factory=list)
    missing: str = ""  # install command, when the library is not installed
    problem: str = ""  # why the installed library could not be read
