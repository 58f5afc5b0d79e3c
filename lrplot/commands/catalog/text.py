"""The catalog as ``lrplot list`` prints it: one line per entry, or one entry in full."""

from __future__ import annotations

from lrplot.commands.catalog import Lookup
from lrplot.commands.catalog.model import Parameter, Section

_KINDS = {
    "transformers": "transformers schedule function",
    "huggingface": "Hugging Face Trainer lr_scheduler_type",
    "timm": "timm scheduler",
    "mmengine": "mmengine param_scheduler type",
    "deepspeed": "DeepSpeed schedule",
}


def listing(sections: list[Section]) -> list[str]:
    """Each section's heading (with how a config names its entries), then ``  Name(parameters)``."""
    lines: list[str] = []
    for section in sections:
        if lines:
            lines.append("")
        if section.missing:
            lines.append(f"{section.heading}  (not installed: {section.missing})")
            continue
        if section.problem:
            lines.append(f"{section.heading}  ({section.problem})")
            continue
        lines.append(f"{section.heading}  ({section.usage}):")
        for entry in section.entries:
            tags = [entry.tag] if entry.tag else []
            if not entry.drawn:
                tags.append("not drawn")
            suffix = f"  [{'; '.join(tags)}]" if tags else ""
            lines.append(f"  {entry.name}({signature(entry.parameters)}){suffix}")
    return lines


def signature(parameters: list[Parameter]) -> str:
    return ", ".join(p.name if p.default is None else f"{p.name}={p.default}" for p in parameters)


def details(found: Lookup) -> list[str]:
    """One entry in full: where it is defined, its docstring's first paragraph, every parameter."""
    entry = found.entry
    lines = [f"{entry.name}  ({entry.target}, {_KINDS.get(entry.ecosystem, entry.kind)})"]
    for other in found.others:
        lines.append(f"also: {other} (lrplot list {other})")
    if entry.summary:
        lines += ["", entry.summary, ""]
    lines += [_parameter_line(parameter) for parameter in entry.parameters]
    if entry.usage:
        if lines[-1]:
            lines.append("")
        lines.append(f"in a config: {entry.usage}")
    if entry.note:
        lines.append(f"note: {entry.note}")
    return lines


def _parameter_line(parameter: Parameter) -> str:
    if parameter.variadic:
        return f"  {parameter.name}  (keywords passed on)"
    default = "required" if parameter.default is None else f"default {parameter.default}"
    annotation = f": {parameter.annotation}" if parameter.annotation else ""
    return f"  {parameter.name}{annotation}  ({default})"
