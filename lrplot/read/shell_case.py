"""Bash's ``case`` statement read as data: its clauses, and bash's pattern matching.

A launch script often picks its model size with ``case "$MODEL_SIZE" in 7B) ...;; esac``
(Megatron-LM's examples/mamba/train.sh). When the subject is known without running anything,
:mod:`lrplot.read.shell` runs the branch bash would run; this module only parses the statement
and turns a pattern into the regular expression bash's matching amounts to (``*``, ``?``,
``[...]`` with ``!``/``^``, ranges and ``[:class:]``; quoted and escaped characters literal;
``extglob`` off, as in a non-interactive bash).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from lrplot.read.shell_words import Unresolved, closing

__all__ = ["CaseStatement", "Clause", "gather_case", "parse_case", "pattern_regex", "split_commands"]

_WORD_STOPS = " \t\n;|&()<>"
MAX_CASE_LINES = 500  # a case statement longer than this (logical lines) is read as an unknown block
_CASE_WORD = re.compile(r"(?:^|[\s;(])case(?=[\s])")
_ESAC_WORD = re.compile(r"(?:^|[\s;])esac(?![\w-])")
_DOLLAR_NAME = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?!$-])")
_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "digit": "0-9", "lower": "a-z", "upper": "A-Z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "xdigit": "0-9A-Fa-f",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
}  # fmt: skip


@dataclass
class Clause:
    """One ``pattern|pattern) body ;;`` of a case; ``offset``: where its body starts in the text."""

    patterns: list[str]
    body: str
    offset: int
    terminator: str  # ";;", ";&", ";;&", or "" (the last clause, closed by esac)


@dataclass
class CaseStatement:
    subject: str
    clauses: list[Clause]
    end: int  # the index just after its esac


def unit_end(text: str, index: int) -> int:
    """The end of the shell unit at ``index``: a quote, an escape, ``$(...)``, ``${...}``, a char."""
    char = text[index]
    if char == "\\":
        return index + 2
    if char in "'`":
        end = text.find(char, index + 1)
        return len(text) if end < 0 else end + 1
    if char == '"':
        index += 1
        while index < len(text) and text[index] != '"':
            index += 2 if text[index] == "\\" else 1
        return index + 1
    if text.startswith("$((", index):
        return closing(text, index + 3, "((", "))") + 2
    if text.startswith("$(", index):
        return closing(text, index + 2, "(", ")") + 1
    if text.startswith("${", index):
        end = text.find("}", index)
        return len(text) if end < 0 else end + 1
    return index + 1


def word_end(text: str, index: int) -> int:
    while index < len(text) and text[index] not in _WORD_STOPS:
        index = unit_end(text, index)
    return min(index, len(text))


def _skip_blanks(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n":
        index += 1
    return index


def parse_case(text: str) -> CaseStatement:
    """The case statement ``text`` starts with; ValueError when it is not complete (no esac)."""
    index = _skip_blanks(text, len("case"))
    end = word_end(text, index)
    subject = text[index:end]
    index = _skip_blanks(text, end)
    if not subject or not text.startswith("in", index) or word_end(text, index) != index + 2:
        raise ValueError("not case WORD in")
    index += 2
    clauses: list[Clause] = []
    while True:
        index = _skip_blanks(text, index)
        if index >= len(text):
            raise ValueError("no esac")
        if text.startswith("esac", index) and word_end(text, index) == index + 4:
            return CaseStatement(subject, clauses, index + 4)
        if text[index] == "(":
            index += 1
        patterns: list[str] = []
        start = index
        while True:
            if index >= len(text):
                raise ValueError("no ) after a pattern")
            char = text[index]
            if char in "|)":
                patterns.append(text[start:index].strip())
                index += 1
                if char == ")":
                    break
                start = index
            else:
                index = unit_end(text, index)
        clause, index, closed = _body(text, index, patterns)
        clauses.append(clause)
        if closed:
            return CaseStatement(subject, clauses, index)


def _body(text: str, index: int, patterns: list[str]) -> tuple[Clause, int, bool]:
    """A clause's body up to its terminator: (the clause, the index after it, whether esac closed it)."""
    start = index
    depth = 0  # nested case statements
    command_start = True
    while index < len(text):
        char = text[index]
        if char in " \t":
            index += 1
        elif char == ";" and depth == 0:
            terminator = next((t for t in (";;&", ";;", ";&") if text.startswith(t, index)), None)
            if terminator is not None:
                return Clause(patterns, text[start:index], start, terminator), index + len(terminator), False
            index += 1
            command_start = True
        elif char in "\n;|&()":
            index += 1
            command_start = True
        else:
            end = word_end(text, index)
            word = text[index:end]
            if word == "esac" and command_start:
                if depth == 0:
                    return Clause(patterns, text[start:index], start, ""), end, True
                depth -= 1
            elif word == "case" and command_start:
                depth += 1
            command_start = word in ("then", "do", "else", "elif", "{", "!")
            index = max(end, index + 1)
    raise ValueError("no esac")


def split_commands(text: str) -> list[tuple[int, str]]:
    """A body's commands at newlines and single ``;`` outside quotes: (offset, command)."""
    out: list[tuple[int, str]] = []
    start = index = 0
    while index < len(text):
        char = text[index]
        if char == "\n" or (
            char == ";" and not text.startswith(";;", index) and text[index - 1 : index] != ";"
        ):
            if text[start:index].strip():
                out.append((start, text[start:index]))
            start = index + 1
            index += 1
        elif char in "\\'\"`$":
            index = unit_end(text, index)
        else:
            index += 1
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def pattern_regex(pattern: str, expand: Callable[[str], str]) -> str:
    """The regular expression bash's matching of ``pattern`` amounts to (``re.fullmatch``, DOTALL).

    ``expand`` turns a quoted or ``$`` unit into its value; an :class:`Unresolved` value makes the
    result an Unresolved (the pattern is known only when the script runs).

    >>> pattern_regex("'*'x[!a-c]?", str)
    '\\\\*x[^a-c].'
    """
    chars: list[tuple[str, bool]] = []  # (character, quoted)
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            chars.append((pattern[index + 1], True))
            index += 2
        elif char == "'":
            end = unit_end(pattern, index)
            chars.extend((c, True) for c in pattern[index + 1 : end - 1])
            index = end
        elif char in '"$`':
            end = unit_end(pattern, index)
            name = _DOLLAR_NAME.match(pattern, index)
            if name is not None:
                end = name.end()  # $NAME or $1: unit_end stops after the $
            value = expand(pattern[index:end])
            if isinstance(value, Unresolved):
                return value
            chars.extend((c, char == '"') for c in value)
            index = end
        else:
            chars.append((char, False))
            index += 1
    return _glob(chars)


def _glob(chars: list[tuple[str, bool]]) -> str:
    out: list[str] = []
    index = 0
    while index < len(chars):
        char, quoted = chars[index]
        if quoted:
            out.append(re.escape(char))
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            bracket = _bracket(chars, index + 1)
            if bracket is None:
                out.append(re.escape(char))
            else:
                regex, index = bracket
                out.append(regex)
                continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _bracket(chars: list[tuple[str, bool]], index: int) -> tuple[str, int] | None:
    """``[...]`` from just after ``[``: (its regex, the index after ``]``); None: no closing ``]``."""
    negate = index < len(chars) and chars[index] in (("!", False), ("^", False))
    index += negate
    members: list[str] = []
    first = True
    while index < len(chars):
        char, quoted = chars[index]
        if char == "]" and not quoted and not first:
            body = "".join(members)
            if not body:
                return ("." if negate else "(?!)"), index + 1
            return f"[{'^' if negate else ''}{body}]", index + 1
        first = False
        if char == "[" and not quoted and index + 1 < len(chars) and chars[index + 1] == (":", False):
            text = "".join(c for c, _ in chars[index + 2 : index + 12])
            name, colon, _ = text.partition(":]")
            if colon and name in _CLASSES:
                members.append(_CLASSES[name])
                index += 2 + len(name) + 2
                continue
        if index + 2 < len(chars) and chars[index + 1] == ("-", False) and chars[index + 2][0] != "]":
            end = chars[index + 2][0]
            if ord(end) >= ord(char):
                members.append(f"{re.escape(char)}-{re.escape(end)}")
            index += 3
            continue
        members.append(re.escape(char))
        index += 1
    return None


def gather_case(lines: list[tuple[int, str]], at: int) -> tuple[tuple[str, CaseStatement], int] | None:
    """The case statement starting at ``lines[at]``, up to its esac: ((its text, ...), next index).

    The text keeps one newline per source line, so an offset in it gives the line. None when no
    esac completes it (then it is read as an unknown block, as before).
    """
    start = lines[at][0]
    parts: list[str] = []
    newlines = opened = closed = 0
    for index in range(at, min(len(lines), at + MAX_CASE_LINES)):
        number, logical = lines[index]
        if parts:
            parts.append("\n" * (number - start - newlines))
            newlines = number - start
        parts.append(logical)
        newlines += logical.count("\n")
        opens, closes = _case_words(logical)
        opened, closed = opened + opens, closed + closes
        if closed < opened:  # its esac (and those of nested cases) not reached yet
            continue
        text = "".join(parts).lstrip()
        try:
            statement = parse_case(text)
        except ValueError:
            continue
        rest = text[statement.end :].lstrip(" \t")
        if rest and not rest.startswith(";"):
            return None  # `esac | cmd`, `esac > file`: not read
        rest = rest[1:].strip()
        if rest:  # `esac; cmd`: the command runs after the case, on esac's line
            lines.insert(index + 1, (start + text[: statement.end].count("\n"), rest))
        return (text, statement), index + 1
    return None


@functools.lru_cache(maxsize=4096)
def _case_words(logical: str) -> tuple[int, int]:
    """How many ``case`` and ``esac`` words a line holds (cached: gathering rescans lines)."""
    return len(_CASE_WORD.findall(logical)), len(_ESAC_WORD.findall(logical))
