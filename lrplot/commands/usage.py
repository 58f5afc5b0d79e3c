"""Usage errors as one line on stderr with exit status 2, the same as config errors.

Click prints usage errors as usage, a hint and the error (Typer, with rich, in a box); a
user (and a CI log) wants one line naming the culprit and where to look. ``lrplot`` alone
shows the help and exits 0.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrplot.commands.coercion import coerce_plainly
from lrplot.commands.errors import EXIT_USAGE, guarded
from lrplot.commands.help import PanelCommand, PanelGroup
from lrplot.commands.terminal import say
from lrplot.commands.toolkit import Abort, Exit, click, exceptions

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".py")


class LrplotCommand(PanelCommand):
    """A command of the app: plain panelled help, values checked without building pydantic
    adapters (see :mod:`lrplot.commands.coercion`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        coerce_plainly(self.get_params(ctx))
        return super().parse_args(ctx, args)


class OneLineErrors(PanelGroup):
    """The app's command group: every usage error becomes one line and exit 2."""

    command_class = LrplotCommand

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        coerce_plainly(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        prog_name = prog_name or "lrplot"
        completing = os.environ.get(complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper())
        try:
            if not arguments and self.no_args_is_help and not completing:
                with click.Context(self, info_name=prog_name) as ctx:
                    say(ctx.get_help())
                code = 0
            else:
                code = super().main(
                    args=arguments,
                    prog_name=prog_name,
                    complete_var=complete_var,
                    standalone_mode=False,
                    windows_expand_args=windows_expand_args,
                    **extra,
                )
        except exceptions.ClickException as error:
            say(f"lrplot: error: {describe(error, arguments)}", err=True)
            code = EXIT_USAGE
        except Abort:
            say("lrplot: interrupted", err=True)
            code = 130
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command inside :func:`guarded`: its errors, warnings and signals
        become one line and an exit status (Typer would turn Ctrl-C into a silent 130)."""
        code = guarded(
            lambda: super(OneLineErrors, self).invoke(ctx), passthrough=(exceptions.ClickException, Exit)
        )
        if isinstance(code, int) and code:
            raise Exit(code)
        return code


def describe(error: Any, arguments: list[str]) -> str:
    """One sentence for a usage error: the culprit, and where the help is."""
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "lrplot"
    see = f"see '{command} --help'"
    if isinstance(error, exceptions.NoSuchOption):
        known = sorted(error.possibilities or [])
        if ctx is not None:
            known = sorted({o for p in ctx.command.params for o in p.opts if o.startswith("--")})
        close = difflib.get_close_matches(error.option_name, known, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"{command}: unknown option {error.option_name}{hint}; {see}"
    message = error.format_message().replace("\n", " ").strip().rstrip(".")
    if isinstance(error, exceptions.UsageError) and message.startswith("No such command"):
        first = next((a for a in arguments if not a.startswith("-")), "")
        if first and (Path(first).suffix.lower() in CONFIG_SUFFIXES or Path(first).is_file()):
            return f"no command {first!r}; did you mean: lrplot plot {' '.join(arguments)}"
        commands = sorted(ctx.command.list_commands(ctx)) if ctx is not None else []
        close = difflib.get_close_matches(first, commands, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"no command {first!r}{hint}; commands: {', '.join(commands)}"
    if isinstance(error, exceptions.MissingParameter) and error.param is not None:
        param = error.param
        if param.param_type_name == "argument":
            return f"{command}: missing argument {(param.name or '').upper()}; {see}"
        return f"{command}: missing option {param.opts[0]}; {see}"
    if isinstance(error, exceptions.BadParameter) and error.param is not None:
        param = error.param
        if param.param_type_name == "argument":
            name = (param.name or "").upper()
        else:
            name = max(param.opts, key=len) if param.opts else param.name
        detail = message.split(": ", 1)[-1] if message.startswith("Invalid value") else message
        return f"{command}: {name}: {detail[:1].lower() + detail[1:]}"
    return f"{command}: {message[0].lower() + message[1:] if message else 'usage error'}; {see}"
