"""pydantic validation with every problem turned into one sentence that names the key."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from lrplot.errors import KeyPath, LrplotError


def validate_model(model: type[BaseModel], data: dict[str, Any], key_path: KeyPath) -> Any:
    """``model`` validated from ``data``, or an :class:`LrplotError` naming the key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, model, key_path) from None


def _translate(exc: ValidationError, model: type[BaseModel], key_path: KeyPath) -> LrplotError:
    """Turn pydantic's first error into one sentence that names the key."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
    full: KeyPath = (*key_path, *loc)
    dotted = _dotted(full)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        names = [f.alias or name for name, f in parent.model_fields.items()] if parent else []
        where = _dotted(full[:-1]) or "the top level"
        close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return LrplotError(
            f"unknown key {loc[-1]!r} in {where}{hint}; valid keys: {', '.join(names)}", key_path=full
        )
    if kind == "missing":
        return LrplotError(f"missing key {dotted!r}", key_path=full[:-1])
    message = error["msg"]
    for prefix in ("Input should be ", "Value should be "):
        if message.startswith(prefix):
            expected = message.removeprefix(prefix)
            return LrplotError(f"{dotted} should be {expected}, got {value!r}", key_path=full)
    message = message[0].lower() + message[1:]
    return LrplotError(f"{dotted}: {message}, got {value!r}", key_path=full)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in {"str", "float", "int", "MetricLog"} or "[" in part)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return None
    return current


def _dotted(key_path: KeyPath) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), type(value).__name__)
