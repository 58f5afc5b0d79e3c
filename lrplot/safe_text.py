"""The one function text from a config, a path or the environment goes through to reach a terminal.

Two guarantees hold for every message, table cell, chart title, status line and warning:

- **Nothing raw reaches the terminal.** Control characters (C0, DEL, C1: a "set window
  title" or colour sequence), line and paragraph separators, bidirectional overrides and
  isolates (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C: they reorder what is on
  screen, "Trojan Source") and lone surrogates (bytes that are not UTF-8 in a file name) are
  shown as ``\\x1b``, ``\\u202e``, ``\\udcff``.
- **A value a resolver produced is never shown.** An OmegaConf resolver (``${oc.env:TOKEN}``,
  ``${now:...}``, a project's own) computes a value the file does not hold, from the
  environment or code; lrplot marks it (:func:`mark_resolved`) when it resolves it, and
  every text shown afterwards names the interpolation instead: ``<value of
  ${oc.env:TOKEN}>``, and a word of it a message quotes alone (a parser naming a token of it)
  ``<part of ${oc.env:TOKEN}>``. A value shorter than :data:`MIN_MARKED_CHARS` characters is
  left as it is: too short to be a secret, and it would replace every ``1`` of every message.

Layout (tables, the terminal chart) is computed on the shown text, so columns still line up.
"""

from __future__ import annotations

import re
from typing import Any

MAX_MESSAGE_CHARS = 1_000
MIN_MARKED_CHARS = 4
MIN_PART_CHARS = 6  # a word of a marked value a message quotes alone (shorter: too common to tell)

_UNSHOWN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_marked: dict[str, str] = {}  # a text form of a resolved value -> how it is shown
_pattern: list[re.Pattern[str] | None] = [None]


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


def shown(text: str, limit: int | None = None) -> str:
    """``text`` as a terminal may show it: resolved values named, control and bidirectional
    characters escaped, cut to ``limit`` characters (with ``...``) when one is given.

    >>> shown("run\\x1b]0;pwned\\x07 \\u202eevil")
    'run\\\\x1b]0;pwned\\\\x07 \\\\u202eevil'
    """
    text = unmarked(str(text))
    escaped = _UNSHOWN.sub(_escaped, text)
    if limit is None or len(escaped) <= limit:
        return escaped
    return escaped[: max(limit - 3, 0)] + "..."


def printable(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Text safe inside a one-line message: :func:`shown`, cut at ``limit`` characters."""
    return shown(text, limit)


def unshowable(text: str) -> bool:
    """Whether :func:`shown` would escape anything in ``text``."""
    return _UNSHOWN.search(text) is not None


def mark_resolved(value: Any, interpolation: str) -> None:
    """Remember that ``value`` (and every string or number inside it) came from the resolver
    ``interpolation`` (``${oc.env:TOKEN}``): from now on no shown text holds it."""
    stack = [value]
    seen = 0
    while stack and seen < 10_000:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            _mark_text(str(item), interpolation)


def _mark_text(text: str, interpolation: str) -> None:
    name = f"<value of {_UNSHOWN.sub(_escaped, interpolation)}>"
    forms = {
        text,
        text.strip(),
        repr(text)[1:-1],  # as ``{value!r}`` writes it
        text.encode("unicode_escape", "backslashreplace").decode("ascii"),
        _UNSHOWN.sub(_escaped, text),  # as it would be shown
    }
    changed = False
    for form in forms:
        if len(form) >= MIN_MARKED_CHARS and _marked.get(form) != name:
            _marked[form] = name
            changed = True
    if changed:
        _pattern[0] = None


_WORD = re.compile(rf"\w{{{MIN_PART_CHARS},}}")


def unmarked(text: str) -> str:
    """``text`` with every marked value replaced by the interpolation it came from, and every
    word of it a message quotes on its own (a parser's ``name 'hunter2' ...``) by ``<part of ...>``."""
    if not _marked:
        return text
    pattern = _pattern[0]
    if pattern is None:
        forms = sorted(_marked, key=len, reverse=True)  # the longest form wins
        pattern = _pattern[0] = re.compile("|".join(map(re.escape, forms)))
    text = pattern.sub(lambda match: _marked[match.group()], text)
    return _WORD.sub(_part, text)


def _part(match: re.Match[str]) -> str:
    word = match.group()
    for form, name in _marked.items():
        if len(form) > len(word) and word in form and not name.endswith(f"{word}}}>"):
            return name.replace("<value of ", "<part of ", 1)
    return word


def forget_resolved() -> None:
    """Forget every marked value (between independent runs in one process, such as tests)."""
    _marked.clear()
    _pattern[0] = None
