"""Regenerate docs/cli.md from the commands' own --help, so the reference cannot drift.

    .venv/bin/python tools/cli_reference.py

tests/test_docs.py fails when docs/cli.md differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("", "plot", "validate", "check", "list", "init", "schema")
WIDTH = "80"


def help_text(command: str) -> str:
    """``lrplot [command] --help`` as a user with an 80-column terminal sees it."""
    from typer.testing import CliRunner

    from lrplot.commands.app import app

    arguments = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": WIDTH})
    assert result.exit_code == 0, result.output
    return "\n".join(line.rstrip() for line in result.output.splitlines()).strip("\n")


def reference() -> str:
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `tools/cli_reference.py` (a test keeps it current).",
        "",
    ]
    for command in COMMANDS:
        parts += [f"## lrplot {command}".rstrip(), "", "```text", help_text(command), "```", ""]
    return "\n".join(parts)


def main() -> int:
    (ROOT / "docs" / "cli.md").write_text(reference(), encoding="utf-8")
    print("wrote docs/cli.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
