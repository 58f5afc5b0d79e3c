"""Bash word expansion without running anything: the part of :mod:`lrplot.read.shell` that
turns one line's text into the words bash would pass (quotes, escapes, ``$NAME``, ``${NAME[@]}``,
``${NAME:-default}``, integer ``$((...))``), with :class:`Unresolved` words for what only the
running shell knows. Bounded: at most ``MAX_WORDS`` words from one expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lrplot.errors import LrplotError, printable

MAX_WORDS = 100_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Unresolved(str):
    """A word whose value only the running shell knows; ``why`` says what it depends on."""

    why: str

    def __new__(cls, text: str, why: str) -> Unresolved:
        word = super().__new__(cls, text)
        word.why = why
        return word

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unresolved, (str(self), self.why))


class Located(str):
    """A word that remembers the line it was written on (for ``file:line`` in messages)."""

    line: int

    def __new__(cls, text: str, line: int) -> Located:
        word = super().__new__(cls, text)
        word.line = line
        return word


@dataclass
class ShellState:
    """The variables a script has set so far (arrays as lists), and the ones it set unknowably."""

    variables: dict[str, list[str]] = field(default_factory=dict)
    arrays: set[str] = field(default_factory=set)
    unknown: dict[str, str] = field(default_factory=dict)  # variable -> why it is not known


def join(parts: list[str]) -> str:
    """One word of several parts: unresolved (keeping its parts) when any part is."""
    reasons = [part.why for part in parts if isinstance(part, Unresolved)]
    text = "".join(parts)
    if not reasons:
        return text
    word = Unresolved(text, reasons[0])
    flat: list[str] = []
    for part in parts:
        flat.extend(getattr(part, "parts", (part,)))
    word.parts = tuple(flat)  # type: ignore[attr-defined]
    return word


def _split_parts(value: str) -> tuple[list[str], bool, bool]:
    """An unquoted expansion split at whitespace (bash's word splitting), unresolved parts kept
    whole: (the words, whether it began with whitespace, whether it ended with it)."""
    parts = getattr(value, "parts", (value,)) if isinstance(value, Unresolved) else (value,)
    words: list[str] = []
    current: list[str] = []
    for part in parts:
        if isinstance(part, Unresolved):
            current.append(part)
            continue
        pieces = re.split(r"[ \t\n]+", part)
        for number, piece in enumerate(pieces):
            if number and current:
                words.append(join(current))
                current = []
            if piece:
                current.append(piece)
    if current:
        words.append(join(current))
    text = str(value)
    return words, text[:1].isspace(), text[-1:].isspace()


def expand_words(text: str, script: ShellState, line: int, name: str, *, split: bool = True) -> list[str]:
    """The words bash would make of ``text``: quotes removed, ``$`` expanded, unquoted split."""
    words: list[str] = []
    current: list[str] = []
    started = False
    index = 0
    length = len(text)
    at_line = line
    redirect = False  # the next word is a redirection's target: not an argument

    def finish() -> None:
        nonlocal current, started, redirect
        if started and redirect:
            current, started, redirect = [], False, False
            return
        if started:
            word = current[0] if len(current) == 1 and hasattr(current[0], "line") else join(current)
            if isinstance(word, Unresolved):
                word.line = getattr(word, "line", at_line)  # type: ignore[attr-defined]
            else:
                word = Located(word, at_line)
            words.append(word)
            if len(words) > MAX_WORDS:
                raise LrplotError(
                    f"the script expands to more than {MAX_WORDS} words", where=f"{name}:{line}"
                )
        current, started = [], False

    while index < length:
        char = text[index]
        if char in " \t\n" and split:
            finish()
            at_line += char == "\n"
            index += 1
        elif char in "<>" and split:
            if current and all(part.isdigit() for part in current):
                current, started = [], False  # 2>file: the fd number is not a word
            finish()
            index += 1
            while index < length and text[index] in ">&":
                index += 1
            redirect = True
        elif char in ";|&" and split:
            finish()
            words.append(Located(char, at_line))  # a command separator
            index += 1
        elif char == "'":
            end = text.find("'", index + 1)
            end = length if end < 0 else end
            current.append(text[index + 1 : end])
            started = True
            index = end + 1
        elif char == '"':
            index, parts = _double_quoted(text, index + 1, script, line, name)
            current.extend(parts)
            started = True
        elif char == "\\" and index + 1 < length:
            current.append(text[index + 1])
            started = True
            index += 2
        elif char == "`":
            end = text.find("`", index + 1)
            end = length if end < 0 else end
            current.append(Unresolved(text[index : end + 1], "the output of a command run by the script"))
            started = True
            index = end + 1
        elif char == "$":
            index, value, many = _dollar(text, index, script, line, name)
            if many is not None and split:  # ${ARR[@]} unquoted: one word per element
                if many:
                    current.append(many[0])
                    started = True
                    for element in many[1:]:
                        finish()
                        current, started = [element], True
                elif not current:
                    started = False
            elif split and any(c in value for c in " \t\n"):
                pieces, leading, trailing = _split_parts(value)
                if leading:
                    finish()
                for number, piece in enumerate(pieces):
                    if number:
                        finish()
                    current.append(piece)
                    started = True
                if trailing:
                    finish()
            else:
                current.append(value)
                started = started or value != "" or isinstance(value, Unresolved)
        else:
            current.append(char)
            started = True
            index += 1
    finish()
    return words


def _double_quoted(text: str, index: int, script: ShellState, line: int, name: str) -> tuple[int, list[str]]:
    parts: list[str] = []
    length = len(text)
    while index < length and text[index] != '"':
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] in '$`"\\\n':
            parts.append(text[index + 1])
            index += 2
        elif char == "$":
            index, value, many = _dollar(text, index, script, line, name)
            parts.append(" ".join(many) if many is not None else value)
        elif char == "`":
            end = text.find("`", index + 1)
            end = length if end < 0 else end
            parts.append(Unresolved(text[index : end + 1], "the output of a command run by the script"))
            index = end + 1
        else:
            parts.append(char)
            index += 1
    return index + 1, parts


def _dollar(
    text: str, index: int, script: ShellState, line: int, name: str
) -> tuple[int, str, list[str] | None]:
    """Expand the ``$...`` at ``index``: (next index, the value, the elements of ``${A[@]}``)."""
    rest = text[index + 1 :]
    if rest.startswith("(("):
        end = closing(text, index + 3, "((", "))")
        expression = text[index + 3 : end]
        return end + 2, _arithmetic(expression, script, line, name), None
    if rest.startswith("("):
        end = closing(text, index + 2, "(", ")")
        return (
            end + 1,
            Unresolved(text[index : end + 1][:40], "the output of a command run by the script"),
            None,
        )
    if rest.startswith("{"):
        end = text.find("}", index + 2)
        if end < 0:
            return len(text), Unresolved(text[index:][:40], "an unfinished ${...}"), None
        inner = text[index + 2 : end]
        return end + 1, *_braced(inner, script, line, name)
    if rest[:1].isdigit() or rest[:1] in "@*#?!$-":
        token = "$" + rest[:1]
        return index + 2, Unresolved(token, f"{token}: an argument given to the script when it runs"), None
    match = _NAME.match(rest)
    if match is None:
        return index + 1, "$", None
    variable = match.group(0)
    return index + 1 + match.end(), _scalar(variable, script), None


def closing(text: str, start: int, opener: str, closer: str) -> int:
    depth = 1
    index = start
    while index < len(text):
        if text.startswith(closer, index):
            depth -= 1
            if depth == 0:
                return index
            index += len(closer)
        elif text.startswith(opener, index):
            depth += 1
            index += len(opener)
        else:
            index += 1
    return len(text)


def _scalar(variable: str, script: ShellState) -> str:
    if variable in script.unknown:
        return Unresolved(f"${variable}", f"${variable} is {script.unknown[variable]}")
    values = script.variables.get(variable)
    if values is None:
        return Unresolved(f"${variable}", f"${variable} is not set in the script (the environment's)")
    return values[0] if values else ""


def _braced(inner: str, script: ShellState, line: int, name: str) -> tuple[str, list[str] | None]:
    if inner[:1].isdigit() or inner[:1] in "@*#":
        return Unresolved(
            "${" + inner + "}", f"${{{inner}}}: an argument given to the script when it runs"
        ), None
    match = _NAME.match(inner)
    if match is None:
        return Unresolved("${" + inner[:30] + "}", "an expansion lrplot does not evaluate"), None
    variable = match.group(0)
    tail = inner[match.end() :]
    if tail in ("[@]", "[*]"):
        if variable in script.unknown:
            return "", [Unresolved(f"${{{variable}[@]}}", f"${variable} is {script.unknown[variable]}")]
        if variable not in script.variables:
            return "", [Unresolved(f"${{{variable}[@]}}", f"${variable} is not set in the script")]
        return "", list(script.variables[variable])
    if not tail:
        return _scalar(variable, script), None
    for operator in (":-", "-", ":=", "="):
        if tail.startswith(operator):
            default_words = expand_words(tail[len(operator) :], script, line, name, split=False)
            default = default_words[0] if default_words else ""
            known = variable in script.variables and variable not in script.unknown
            value = script.variables[variable][0] if known and script.variables[variable] else None
            if variable in script.unknown:
                return _scalar(variable, script), None
            use_default = value is None or (operator.startswith(":") and value == "")
            if use_default and variable not in script.variables and operator in (":-", "-"):
                # not set in the script: the environment may set it; bash takes its value then
                return Unresolved(
                    "${" + inner[:40] + "}",
                    f"${variable} is not set in the script (the environment's, else {printable(default)})",
                ), None
            return (default if use_default else value or ""), None
    return Unresolved("${" + inner[:30] + "}", "an expansion lrplot does not evaluate"), None


_ARITH_TOKEN = re.compile(
    r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|(\*\*|[-+*/%()]))"
)


def _arithmetic(expression: str, script: ShellState, line: int, name: str) -> str:
    """``$((...))`` over integers and known variables (bash's integer arithmetic), else unresolved."""
    tokens: list[str] = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = _ARITH_TOKEN.match(text, position)
        if match is None or match.end() == position:
            return Unresolved(f"$(({expression[:30]}))", "arithmetic lrplot does not evaluate")
        number, bare, dollar, operator = match.groups()
        position = match.end()
        if number is not None:
            tokens.append(number)
        elif operator is not None:
            tokens.append(operator)
        else:
            variable = bare or dollar
            value = _scalar(variable, script)
            if isinstance(value, Unresolved):
                return Unresolved(f"$(({expression[:30]}))", value.why)
            if not re.fullmatch(r"-?\d+", value.strip() or "0"):
                return Unresolved(f"$(({expression[:30]}))", f"${variable} is not an integer")
            tokens.append(value.strip() or "0")
    try:
        return str(_Arith(tokens).expression())
    except (ValueError, ZeroDivisionError, IndexError):
        return Unresolved(f"$(({expression[:30]}))", "arithmetic lrplot cannot evaluate")


class _Arith:
    """A recursive-descent evaluator of bash integer arithmetic (C division: toward zero)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.at = tokens, 0

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expression(self) -> int:
        value = self._sum()
        if self._peek() is not None:
            raise ValueError("trailing tokens")
        return value

    def _sum(self) -> int:
        value = self._product()
        while self._peek() in ("+", "-"):
            value = value + self._product() if self._take() == "+" else value - self._product()
        return value

    def _product(self) -> int:
        value = self._power()
        while self._peek() in ("*", "/", "%"):
            operator, right = self._take(), self._power()
            if operator == "*":
                value *= right
            else:
                quotient = abs(value) // abs(right) * (1 if (value >= 0) == (right >= 0) else -1)
                value = quotient if operator == "/" else value - quotient * right
            if abs(value) > 2**63:
                raise ValueError("overflow")
        return value

    def _power(self) -> int:
        base = self._unary()
        if self._peek() == "**":
            self._take()
            exponent = self._power()
            if exponent < 0 or exponent > 64:
                raise ValueError("exponent")
            return base**exponent
        return base

    def _unary(self) -> int:
        token = self._take()
        if token == "-":
            return -self._unary()
        if token == "+":
            return self._unary()
        if token == "(":
            value = self._sum()
            if self._take() != ")":
                raise ValueError("unbalanced")
            return value
        return int(token)
