"""Read a launch script (bash) as data: the arguments it passes to its Python program.

Megatron-LM is launched by shell scripts (``GPT_ARGS=(--lr 6e-5 ...)``, ``torchrun ...
pretrain_gpt.py ${GPT_ARGS[@]}``, or ``--flag value`` lines continued by backslashes). lrplot
never runs them: this reader expands what bash would expand *without running anything* —
literal assignments (``LR=6e-5``, ``export NODES=2``, arrays ``ARGS=(...)``, ``ARGS+=(...)``),
``$NAME``/``${NAME}``/``${NAME[@]}``, ``${NAME:-default}``, quotes and escapes, and integer
``$((...))`` over values it knows. What only the running shell knows — positional arguments
(``$1``), command output (``$(...)``, backticks), variables the script does not set (the
environment's), assignments inside ``if``/``for``/``case``/functions — becomes an
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
from lrplot.read.yaml_source import YamlSource

MAX_WORDS = 100_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(
    r"^(?:export\s+|declare\s+(?:-[a-zA-Z]+\s+)*|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)(\+?)="
)
_SEPARATORS = {";", "|", "&"}
_OPENERS = {"if", "for", "while", "until", "case", "select"}
_CLOSERS = {"fi", "done", "esac"}
_FUNCTION = re.compile(r"^(?:function\s+[A-Za-z_][\w-]*|[A-Za-z_][\w-]*\s*\(\s*\))\s*\{?\s*$")


class Unresolved(str):
    """A word whose value only the running shell knows; ``why`` says what it depends on."""

    why: str

    def __new__(cls, text: str, why: str) -> Unresolved:
        word = super().__new__(cls, text)
        word.why = why
        return word

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unresolved, (str(self), self.why))


@dataclass
class ShellScript:
    """What the script sets and runs: its variables, and the launch command's arguments."""

    variables: dict[str, list[str]] = field(default_factory=dict)
    arrays: set[str] = field(default_factory=set)
    unknown: dict[str, str] = field(default_factory=dict)  # variable -> why it is not known
    command: list[tuple[str, int]] = field(default_factory=list)  # (word, line) after the .py file
    program: str | None = None
    program_line: int = 0
    launcher: dict[str, str] = field(default_factory=dict)  # torchrun's --nproc_per_node, --nnodes


def load_shell_file(path: Path) -> YamlSource:
    """Read a launch script: its command's ``--flag value`` arguments as data, with lines."""
    source = parse_shell(read_text(path), name=str(path))
    source.path = path
    return source


def parse_shell(text: str, *, name: str = "<script>") -> YamlSource:
    """The launch command's arguments of a bash script as ``{dest: value}`` plus their lines.

    >>> text = 'LR=1e-4\\nARGS=(--lr $LR --fp16)\\npython pretrain_gpt.py ${ARGS[@]} --train-iters 10\\n'
    >>> src = parse_shell(text)
    >>> src.data
    {'lr': '1e-4', 'fp16': True, 'train_iters': '10'}
    >>> src.where(("train_iters",))
    '<script>:3'
    """
    script = read_script(text, name)
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
    depth = 0
    for line_number, logical in _logical_lines(text, name):
        stripped = logical.strip()
        first = stripped.split(None, 1)[0] if stripped else ""
        first = first.rstrip(";")
        if first in _CLOSERS or stripped.startswith("}"):
            depth = max(0, depth - 1)
            continue
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
                continue
            stripped = _assign(script, variable, rest, append, line_number, name).strip()
            if not stripped or stripped.startswith(";"):
                continue
        if depth or script.program is not None:
            continue
        words = _expand_words(stripped, script, line_number, name)
        for position, word in enumerate(words):
            if word.endswith(".py") and not isinstance(word, Unresolved):
                script.program = word.rsplit("/", 1)[-1]
                script.program_line = line_number
                script.launcher = _launcher(words[:position])
                arguments = words[position + 1 :]
                cut = next((i for i, w in enumerate(arguments) if w in _SEPARATORS), len(arguments))
                script.command = [(w, getattr(w, "line", line_number)) for w in arguments[:cut]]
                break
    return script


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


class _Located(str):
    """A word that remembers the line it was written on (for ``file:line`` in messages)."""

    line: int

    def __new__(cls, text: str, line: int) -> _Located:
        word = super().__new__(cls, text)
        word.line = line
        return word


def _assign(script: ShellScript, variable: str, rest: str, append: bool, line: int, name: str) -> str:
    """Set ``variable`` from the text after ``=``; returns what follows (``X=1 cmd`` runs ``cmd``)."""
    script.unknown.pop(variable, None)
    if rest.startswith("("):
        end = _closing(rest, 1, "(", ")")
        elements = _expand_words(rest[1:end], script, line, name)
        previous = script.variables.get(variable, []) if append else []
        script.variables[variable] = [*previous, *elements]
        script.arrays.add(variable)
        return rest[end + 1 :]
    end = _word_end(rest)
    words = _expand_words(rest[:end], script, line, name, split=False)
    value = words[0] if words else ""
    if append and variable in script.variables:
        value = _join([*script.variables[variable][:1], value])
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
            index = _closing(text, index + 2, "(", ")") + 1
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
        line = raw if quote else _strip_comment(raw)
        if not buffer:
            start = number
        continuation = line.endswith("\\") and not line.endswith("\\\\")
        if continuation:
            line = line[:-1]
        buffer.append(line)
        balance, quote = _paren_balance(line, quote)
        open_parens += balance
        if continuation or open_parens > 0 or quote:
            continue
        open_parens = 0
        out.append((start, "\n".join(buffer)))
        buffer = []
    if buffer:
        out.append((start, "\n".join(buffer)))
    return out


def _strip_comment(line: str) -> str:
    """The line without its ``# comment`` (a ``#`` inside quotes or a word stays)."""
    quote: str | None = None
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if char == quote and (quote == "'" or previous != "\\"):
                quote = None
        elif char in "'\"" and previous != "\\":
            quote = char
        elif char == "#" and previous in " \t(;":
            return line[:index].rstrip()
        previous = char
    return line.rstrip()


def _paren_balance(line: str, quote: str | None) -> tuple[int, str | None]:
    """How many array ``(`` the line leaves open (``$(`` ignored), and the quote it leaves open."""
    balance = 0
    previous = ""
    for char in line:
        if quote:
            if char == quote and (quote == "'" or previous != "\\"):
                quote = None
        elif char in "'\"" and previous != "\\":
            quote = char
        elif char == "#" and previous in " \t(;":
            break
        elif char == "(" and previous != "$":
            balance += 1
        elif char == ")":
            balance -= 1
        previous = char
    return balance, quote


def _join(parts: list[str]) -> str:
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
                words.append(_join(current))
                current = []
            if piece:
                current.append(piece)
    if current:
        words.append(_join(current))
    text = str(value)
    return words, text[:1].isspace(), text[-1:].isspace()


def _expand_words(text: str, script: ShellScript, line: int, name: str, *, split: bool = True) -> list[str]:
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
            word = current[0] if len(current) == 1 and hasattr(current[0], "line") else _join(current)
            if isinstance(word, Unresolved):
                word.line = getattr(word, "line", at_line)  # type: ignore[attr-defined]
            else:
                word = _Located(word, at_line)
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
            words.append(_Located(char, at_line))  # a command separator
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


def _double_quoted(text: str, index: int, script: ShellScript, line: int, name: str) -> tuple[int, list[str]]:
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
    text: str, index: int, script: ShellScript, line: int, name: str
) -> tuple[int, str, list[str] | None]:
    """Expand the ``$...`` at ``index``: (next index, the value, the elements of ``${A[@]}``)."""
    rest = text[index + 1 :]
    if rest.startswith("(("):
        end = _closing(text, index + 3, "((", "))")
        expression = text[index + 3 : end]
        return end + 2, _arithmetic(expression, script, line, name), None
    if rest.startswith("("):
        end = _closing(text, index + 2, "(", ")")
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


def _closing(text: str, start: int, opener: str, closer: str) -> int:
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


def _scalar(variable: str, script: ShellScript) -> str:
    if variable in script.unknown:
        return Unresolved(f"${variable}", f"${variable} is {script.unknown[variable]}")
    values = script.variables.get(variable)
    if values is None:
        return Unresolved(f"${variable}", f"${variable} is not set in the script (the environment's)")
    return values[0] if values else ""


def _braced(inner: str, script: ShellScript, line: int, name: str) -> tuple[str, list[str] | None]:
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
            default_words = _expand_words(tail[len(operator) :], script, line, name, split=False)
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


def _arithmetic(expression: str, script: ShellScript, line: int, name: str) -> str:
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
