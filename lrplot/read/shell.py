"""Read a launch script (bash) as data: the arguments it passes to its Python program.

Megatron-LM is launched by shell scripts (``GPT_ARGS=(--lr 6e-5 ...)``, ``torchrun ...
pretrain_gpt.py ${GPT_ARGS[@]}``, or ``--flag value`` lines continued by backslashes). lrplot
never runs them: this reader expands what bash would expand *without running anything* —
literal assignments (``LR=6e-5``, ``export NODES=2``, arrays ``ARGS=(...)``, ``ARGS+=(...)``),
``$NAME``/``${NAME}``/``${NAME[@]}``, ``${NAME:-default}``, quotes and escapes, and integer
``$((...))`` over values it knows. What only the running shell knows — positional arguments
(``$1``), command output (``$(...)``, backticks), variables the script does not set (the
environment's), assignments inside ``if``/``for``/functions or a ``case`` on such a value — becomes an
:class:`Unresolved` word naming why, so that a format refuses it only when a value it needs
depends on it.

The result is the arguments of the launch command (the first command that runs a ``.py``
file, the words after that file), as ``{dest: value}`` with argparse's ``dest`` names
(``--lr-decay-style`` → ``lr_decay_style``; a flag without a value → ``True``) and the line
of each flag. Bounded: the file size is :mod:`lrplot.read.files`' bound, expansion of one
word at most ``MAX_WORDS`` words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.read.files import read_text
from lrplot.read.shell_case import CaseStatement, gather_case, pattern_regex, split_commands
from lrplot.read.shell_words import ShellState, Unresolved, closing, expand_words, join
from lrplot.read.yaml_source import YamlSource

__all__ = ["ShellScript", "Unresolved", "load_shell_file", "parse_shell", "read_script"]

_ASSIGN = re.compile(
    r"^(?:export\s+|declare\s+(?:-[a-zA-Z]+\s+)*|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)(\+?)="
)
_SEPARATORS = {";", "|", "&"}
_OPENERS = {"if", "for", "while", "until", "case", "select"}
_CLOSERS = {"fi", "done", "esac"}
MAX_CASE_NESTING = 16  # a case in a case branch taken ... deeper: its variables are unknown
_FUNCTION = re.compile(r"^(?:function\s+[A-Za-z_][\w-]*|[A-Za-z_][\w-]*\s*\(\s*\))\s*\{?\s*$")


@dataclass
class ShellScript(ShellState):
    """What the script sets and runs: its variables, and the launch command's arguments."""

    command: list[tuple[str, int]] = field(default_factory=list)  # (word, line) after the .py file
    program: str | None = None
    program_line: int = 0
    launcher: dict[str, str] = field(default_factory=dict)  # torchrun's --nproc_per_node, --nnodes
    exited: int = 0  # the line of an ``exit`` bash runs before the launch (a case's ``*) exit 1``)


def load_shell_file(path: Path) -> YamlSource:
    """Read a launch script: its command's ``--flag value`` arguments as data, with lines."""
    source = parse_shell(read_text(path), name=str(path))
    source.path = path
    return source


def parse_shell(text: str, *, name: str = "<script>") -> YamlSource:
    """The launch command's arguments of a bash script as ``{dest: value}`` plus their lines.

    >>> text = 'LR=1e-4\\nARGS=(--lr $LR --fp16)\\npython pretrain_gpt.py ${ARGS[@]} --train-iters 10\\n'
    >>> src = parse_shell(text)
    >>> {key: value for key, value in src.data.items() if key != "__launch__"}
    {'lr': '1e-4', 'fp16': True, 'train_iters': '10'}
    >>> src.where(("train_iters",))
    '<script>:3'
    """
    script = read_script(text, name)
    if script.program is None and script.exited:
        raise LrplotError(
            "the script exits before it runs its Python program (an exit bash runs)",
            where=f"{name}:{script.exited}",
        )
    if script.program is None:
        raise LrplotError(
            "a shell script that runs no Python program (no command with a .py file and its arguments)",
            where=name,
        )
    data: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
    words = script.command
    index = 0
    while index < len(words):
        word, line = words[index]
        index += 1
        if not word.startswith("--") or len(word) < 3:
            continue  # a positional word, or the value of a flag lrplot does not read
        flag, equals, value = word[2:].partition("=")
        dest = flag.replace("-", "_")
        if equals:
            data[dest] = Unresolved(value, word.why) if isinstance(word, Unresolved) else value
        elif index < len(words) and not _is_flag(words[index][0]):
            values: list[str] = []
            while index < len(words) and not _is_flag(words[index][0]):
                values.append(words[index][0])
                index += 1
            data[dest] = values[0] if len(values) == 1 else values
        else:
            data[dest] = True
        lines[(dest,)] = line
    data["__launch__"] = {"program": script.program, **script.launcher}
    lines[("__launch__",)] = script.program_line
    return YamlSource(data=data, name=name, lines=lines)


def _is_flag(word: str) -> bool:
    """``--name``: the start of the next argument (a negative number is a value)."""
    return word.startswith("--") and len(word) > 2 and not isinstance(word, Unresolved)


def read_script(text: str, name: str) -> ShellScript:
    """Walk the script's logical lines: assignments update the variables, the launch is kept."""
    script = ShellScript()
    _run(_logical_lines(text, name), script, name)
    return script


def _run(lines: list[tuple[int, str]], script: ShellScript, name: str, nesting: int = 0) -> None:
    """Run ``(line, text)`` commands as data: the script's top level, or a case branch bash takes."""
    depth = 0
    at = 0
    while at < len(lines) and not script.exited:
        line_number, logical = lines[at]
        at += 1
        stripped = logical.strip()
        first = stripped.split(None, 1)[0] if stripped else ""
        first = first.rstrip(";")
        if first == "case":
            gathered = gather_case(lines, at - 1)
            if gathered is not None:
                statement, at = gathered
                _case(statement, line_number, script, name, depth, nesting)
                continue
        if first in _CLOSERS or stripped.startswith("}"):
            depth = max(0, depth - 1)
            continue
        if first == "exit" and not depth and script.program is None:
            script.exited = line_number
            return
        if first in _OPENERS or _FUNCTION.match(stripped):
            depth += 1
            if not (stripped.endswith(("fi", "done", "esac")) or stripped.endswith("}")):
                continue
            depth -= 1
            _conditional_assignments(stripped, script, line_number)
            continue
        if first in {"then", "else", "elif", "do"}:
            stripped = stripped[len(first) :].strip()
        assignment = _ASSIGN.match(stripped)
        if assignment:
            variable, append = assignment.group(1), assignment.group(2) == "+"
            rest = stripped[assignment.end() :]
            if depth:
                script.unknown[variable] = (
                    f"set inside an if/for/case block or a function (line {line_number})"
                )
                script.variables.pop(variable, None)
                _conditional_assignments(rest, script, line_number)  # `A=1; B=2` in the block
                continue
            stripped = _assign(script, variable, rest, append, line_number, name).strip()
            if stripped.startswith(";") and stripped[1:].strip():
                lines.insert(at, (line_number, stripped[1:]))  # `A=1; B=2`: the next command
            if not stripped or stripped.startswith(";"):
                continue
        if depth or script.program is not None:
            continue
        words = expand_words(stripped, script, line_number, name)
        for position, word in enumerate(words):
            if word.endswith(".py") and not isinstance(word, Unresolved):
                script.program = word.rsplit("/", 1)[-1]
                script.program_line = line_number
                script.launcher = _launcher(words[:position])
                arguments = words[position + 1 :]
                cut = next((i for i, w in enumerate(arguments) if w in _SEPARATORS), len(arguments))
                script.command = [(w, getattr(w, "line", line_number)) for w in arguments[:cut]]
                break


def _case(
    gathered: tuple[str, CaseStatement], line: int, script: ShellScript, name: str, depth: int, nesting: int
) -> None:
    """Run the branch bash runs, when the subject and patterns are known; else its variables are unknown."""
    text, statement = gathered
    assigned = {
        match.group(1)
        for clause in statement.clauses
        for match in re.finditer(r"(?:^|[;\s])([A-Za-z_][A-Za-z0-9_]*)\+?=", clause.body)
    }

    def unknown(why: str) -> None:
        for variable in assigned:
            script.unknown[variable] = why
            script.variables.pop(variable, None)

    if depth:
        unknown(f"set inside an if/for/case block or a function (line {line})")
        return
    if nesting >= MAX_CASE_NESTING:
        unknown(f"set by a case nested more than {MAX_CASE_NESTING} deep (line {line})")
        return
    shown = printable(statement.subject, 40)
    words = expand_words(statement.subject, script, line, name, split=False)
    subject = words[0] if words else ""
    if isinstance(subject, Unresolved):
        unknown(f"set by the case on {shown} (line {line}), and {subject.why}")
        return

    def expand(unit: str) -> str:
        values = expand_words(unit, script, line, name, split=False)
        return values[0] if values else ""

    for clause in statement.clauses:
        for pattern in clause.patterns:
            regex = pattern_regex(pattern, expand)
            if isinstance(regex, Unresolved):
                unknown(
                    f"set by the case on {shown} (line {line}), whose pattern "
                    f"{printable(pattern, 30)} is known only when it runs ({regex.why})"
                )
                return
            if re.fullmatch(regex, subject, re.DOTALL):
                break
        else:
            continue
        if clause.terminator in (";&", ";;&"):
            unknown(
                f"set by the case on {shown} (line {line}), whose branch {printable(pattern, 30)}) "
                f"ends in {clause.terminator}, which lrplot does not follow (only ;;)"
            )
            return
        start = line + text[: clause.offset].count("\n")
        commands = [
            (start + clause.body[:offset].count("\n"), command)
            for offset, command in split_commands(clause.body)
        ]
        _run(commands, script, name, nesting + 1)
        return


def _launcher(words: list[str]) -> dict[str, str]:
    """torchrun's process counts, when the script writes them literally."""
    found: dict[str, str] = {}
    for index, word in enumerate(words):
        flag, equals, value = word.partition("=")
        key = flag.lstrip("-").replace("-", "_")
        if key in ("nproc_per_node", "nnodes"):
            if not equals and index + 1 < len(words):
                value = words[index + 1]
            if value and not isinstance(value, Unresolved):
                found[key] = str(value)
    return found


def _conditional_assignments(text: str, script: ShellScript, line_number: int) -> None:
    """A one-line ``if ...; then X=1; fi``: its assignments are unknown (the test is run-time)."""
    for match in re.finditer(r"(?:^|[;\s])([A-Za-z_][A-Za-z0-9_]*)\+?=", text):
        script.unknown[match.group(1)] = f"set inside an if/for/case block (line {line_number})"
        script.variables.pop(match.group(1), None)


def _assign(script: ShellScript, variable: str, rest: str, append: bool, line: int, name: str) -> str:
    """Set ``variable`` from the text after ``=``; returns what follows (``X=1 cmd`` runs ``cmd``)."""
    script.unknown.pop(variable, None)
    if rest.startswith("("):
        end = closing(rest, 1, "(", ")")
        elements = expand_words(rest[1:end], script, line, name)
        previous = script.variables.get(variable, []) if append else []
        script.variables[variable] = [*previous, *elements]
        script.arrays.add(variable)
        return rest[end + 1 :]
    end = _word_end(rest)
    words = expand_words(rest[:end], script, line, name, split=False)
    value = words[0] if words else ""
    if append and variable in script.variables:
        value = join([*script.variables[variable][:1], value])
    script.variables[variable] = [value]
    return rest[end:]


def _word_end(text: str) -> int:
    """Where the shell word starting at 0 ends (quotes, ``${...}``, ``$(...)`` kept whole)."""
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\n;":
            return index
        if char == "\\":
            index += 2
        elif char == "'":
            end = text.find("'", index + 1)
            index = len(text) if end < 0 else end + 1
        elif char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
            index += 1
        elif text.startswith("$(", index):
            index = closing(text, index + 2, "(", ")") + 1
        elif text.startswith("${", index):
            end = text.find("}", index)
            index = len(text) if end < 0 else end + 1
        else:
            index += 1
    return len(text)


def _logical_lines(text: str, name: str) -> list[tuple[int, str]]:
    """Lines joined at backslash-newline and inside ``(...)`` arrays, comments dropped."""
    out: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    open_parens = 0
    quote: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if "\x00" in raw:
            raise LrplotError("the script holds a NUL character", where=f"{name}:{number}")
        comment, balance, still_open = _scan(raw, quote)
        if comment is not None:  # a comment ends the line, also after a quote closed on it
            line = raw[:comment].rstrip()
        elif quote:  # the line starts inside a quote: its spaces are the value's
            line = raw
        else:
            line = raw.rstrip()
        if not buffer:
            start = number
        continuation = line.endswith("\\") and not line.endswith("\\\\")
        if continuation:
            line = line[:-1]
        buffer.append(line)
        quote = still_open
        open_parens += balance
        if continuation or open_parens > 0 or quote:
            continue
        open_parens = 0
        out.append((start, "\n".join(buffer)))
        buffer = []
    if buffer:
        out.append((start, "\n".join(buffer)))
    return out


def _scan(line: str, quote: str | None) -> tuple[int | None, int, str | None]:
    """One pass over a line as bash's quoting sees it, from the quote an earlier line left open.

    Returns where its ``# comment`` starts (None: no comment; a ``#`` inside quotes or inside a
    word is not one), how many array ``(`` it leaves open before that (``$(`` ignored), and the
    quote it leaves open.
    """
    balance = 0
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if char == quote and (quote == "'" or previous != "\\"):
                quote = None
        elif char in "'\"" and previous != "\\":
            quote = char
        elif char == "#" and previous in " \t(;":
            return index, balance, quote
        elif char == "(" and previous != "$":
            balance += 1
        elif char == ")":
            balance -= 1
        previous = char
    return None, balance, quote
