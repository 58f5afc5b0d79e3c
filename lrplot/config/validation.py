"""pydantic validation with every problem turned into one sentence that names the key."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import MAX_MATHTEXT_DEPTH, MAX_STRING_CHARS, MAX_TEXT_CHARS

_SURROGATE = re.compile(r"[\ud800-\udfff]")


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
    if error["type"] == "extra_forbidden":  # the last part is the config's own key, whatever its
        # text: an unknown key 't[tal_step' or 'int' is no union tag (found by fuzzing: an IndexError)
        loc = (*(part for part in error["loc"][:-1] if not _is_union_tag(part)), error["loc"][-1])
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
            return LrplotError(f"{dotted} should be {expected}, got {_shown(value)}", key_path=full)
    message = message.removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    return LrplotError(f"{dotted}: {message}, got {_shown(value)}", key_path=full)


def _shown(value: Any) -> str:
    """A config value in a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


def check_strings(data: Any, key_path: KeyPath = ()) -> None:
    """Refuse any string (key or value) longer than ``MAX_STRING_CHARS`` or holding a lone
    surrogate (``"\\ud800"`` in a JSON-style escape, or bytes that are not UTF-8 on the command
    line): such text cannot be written to a CSV, drawn or printed, so it fails here, named."""
    stack: list[tuple[Any, KeyPath]] = [(data, key_path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    _check_string(key, path)
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            _check_string(value, path)


def _check_string(text: str, key_path: KeyPath) -> None:
    if len(text) > MAX_STRING_CHARS:
        raise LrplotError(
            f"{_dotted(key_path) or 'a key'}: a string of {len(text):,} characters "
            f"(limit {MAX_STRING_CHARS:,})",
            key_path=key_path,
        )
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise LrplotError(
            f"{_dotted(key_path) or 'a key'}: text with a lone surrogate "
            f"({surrogate.group().encode('unicode_escape').decode('ascii')}) is not valid Unicode",
            key_path=key_path,
        )


def check_text(text: str, what: str, key_path: KeyPath) -> None:
    """A title or label, which is drawn: at most ``MAX_TEXT_CHARS`` characters, and mathtext
    (``$...$``) nested at most ``MAX_MATHTEXT_DEPTH`` braces deep (matplotlib's parser recurses)."""
    if len(text) > MAX_TEXT_CHARS:
        raise LrplotError(
            f"{what} is {len(text):,} characters long (limit {MAX_TEXT_CHARS:,})", key_path=key_path
        )
    if "$" in text:
        depth = deepest = 0
        for char in text:
            depth += char == "{"
            depth -= char == "}"
            deepest = max(deepest, depth)
        nested = max(deepest, text.count("\\left"), text.count("\\sqrt"), text.count("\\frac"))
        if nested > MAX_MATHTEXT_DEPTH:
            raise LrplotError(
                f"{what}: mathtext nested {nested} levels deep (limit {MAX_MATHTEXT_DEPTH})",
                key_path=key_path,
            )
