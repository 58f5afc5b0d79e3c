"""A tiny, safe expression language for ``lr_lambda`` and ``metric``.

A config is data, so an expression is never handed to ``eval`` as text. It is parsed to
a Python AST, checked against a whitelist (numbers, the allowed variables, arithmetic,
comparisons, ``x if c else y``, ``and``/``or``/``not``, and calls of ``min``, ``max``,
``abs``, ``round``, ``int``, ``float`` and the numeric ``math`` functions), and only then
compiled into an ordinary Python function. The result runs at native lambda speed while
no attribute, subscript, dunder, import or builtin outside the list can be reached.

The cost of one evaluation is bounded: at most ``MAX_EXPRESSION_NODES`` operations, none of
them on an integer above ``MAX_INT_BITS`` bits. Integers grow only through ``*`` and ``**``
(``+`` adds a bit, the rest shrink or give floats) and ``round(x, -n)`` computes ``10 ** n``,
so those go through guards: every ``**`` (which also refuses a complex result), every
``*`` whose operands may both be integers (a float operand makes the product a float), and
every ``round``. ``9 ** 9 ** 9 ** 9`` and ``round(1, -10 ** 9)`` are refused, not computed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from lrplot.errors import ExpressionError
from lrplot.limits import MAX_EXPRESSION_CHARS as MAX_CHARS
from lrplot.limits import MAX_EXPRESSION_NODES as MAX_NODES
from lrplot.limits import MAX_INT_BITS, MAX_LITERAL_DIGITS, MAX_ROUND_DIGITS

# Numeric math functions only: nothing that iterates (fsum, prod) or whose cost grows
# with an integer argument without bound (factorial, comb, perm).
_MATH_FUNCTIONS = (
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "copysign",
    "cos", "cosh", "degrees", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "floor", "fmod",
    "gamma", "gcd", "hypot", "isclose", "isfinite", "isinf", "isnan", "isqrt", "ldexp", "lgamma",
    "log", "log10", "log1p", "log2", "pow", "radians", "remainder", "sin", "sinh", "sqrt", "tan",
    "tanh", "trunc",
)  # fmt: skip
_MATH_CONSTANTS = ("pi", "e", "tau", "inf", "nan")
_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_ALLOWED_UNARYOPS = (ast.UAdd, ast.USub, ast.Not)
_ALLOWED_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_SAFE_POW = "_lrplot_pow"
_SAFE_MUL = "_lrplot_mul"
_SAFE_ROUND = "_lrplot_round"
# Calls whose result may be an integer (the others return floats).
_INT_RESULTS = {
    "int",
    "round",
    "ceil",
    "floor",
    "trunc",
    "gcd",
    "isqrt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
}
_INT_PASSING = {"abs", "min", "max"}  # an integer when an argument is
CODE_FILENAME = "<lrplot expression>"


def shorten(text: str, limit: int = 60) -> str:
    """Expression text short enough for a one-line message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _safe_pow(base: Any, exponent: Any) -> Any:
    """``base ** exponent``, refusing integer results too large to compute quickly and
    complex results (``(-1.0) ** 0.5``), which no learning rate can be."""
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 1
        and abs(base) > 1
        and exponent * base.bit_length() > MAX_INT_BITS
    ):
        raise ExpressionError(
            f"{_short_number(base)} ** {_short_number(exponent)} would be an integer of about "
            f"{exponent * base.bit_length():,} bits; refused (limit {MAX_INT_BITS:,} bits)"
        )
    result = base**exponent
    if isinstance(result, complex):
        raise ExpressionError(f"{_short_number(base)} ** {_short_number(exponent)} is a complex number")
    return result


def _safe_mul(left: Any, right: Any) -> Any:
    """``left * right``, refusing an integer product above ``MAX_INT_BITS`` bits."""
    if isinstance(left, int) and isinstance(right, int):
        bits = left.bit_length() + right.bit_length()
        if bits > MAX_INT_BITS:
            raise ExpressionError(
                f"a product of integers of about {bits:,} bits; refused (limit {MAX_INT_BITS:,} bits)"
            )
    return left * right


def safe_round(number: Any, ndigits: Any = None) -> Any:
    """``round(number, ndigits)``, refusing ``|ndigits|`` above ``MAX_ROUND_DIGITS``
    (``round(1, -10 ** 9)`` would compute ``10 ** 10 ** 9``). Shared by every reader that
    evaluates ``round``: expressions, and Python configs read as data."""
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionError(
            f"round to {_short_number(ndigits)} digits refused (limit {MAX_ROUND_DIGITS:,} digits either way)"
        )
    return round(number, ndigits)


def _short_number(value: Any) -> str:
    """A number for a message, however long it is."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"<an integer of {value.bit_length():,} bits>"
    shown = f"{value:,}" if isinstance(value, int) else repr(value)
    return f"({shown})" if shown.startswith("-") else shown


def _namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update(min=min, max=max, abs=abs, round=round, int=int, float=float)
    for name in _MATH_FUNCTIONS:
        if hasattr(math, name):
            namespace[name] = getattr(math, name)
    for name in _MATH_CONSTANTS:
        namespace[name] = getattr(math, name)
    namespace[_SAFE_POW] = _safe_pow
    namespace[_SAFE_MUL] = _safe_mul
    namespace[_SAFE_ROUND] = safe_round
    return namespace


ALLOWED_FUNCTIONS = tuple(
    sorted(["min", "max", "abs", "round", "int", "float", *(n for n in _MATH_FUNCTIONS if hasattr(math, n))])
)


@dataclass(frozen=True)
class Expression:
    """A checked expression and the fast function compiled from it."""

    source: str
    variables: tuple[str, ...]
    function: Callable[..., Any]

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


def compile_expression(
    source: Any,
    variables: tuple[str, ...],
    *,
    aliases: dict[str, str] | None = None,
    what: str = "expression",
) -> Expression:
    """Check ``source`` against the whitelist and compile it into a function of ``variables``.

    ``aliases`` maps extra names to variables (``epoch`` → ``step``). Numbers are accepted
    as constant expressions. Raises :class:`ExpressionError` naming what was refused.

    >>> f = compile_expression("max(0, 1 - step / 100)", ("step",))
    >>> f(0), f(50), f(200)
    (1.0, 0.5, 0)
    >>> compile_expression("0.5 ** (epoch // 20)", ("step",), aliases={"epoch": "step"})(40)
    0.25
    """
    aliases = aliases or {}
    if isinstance(source, bool) or not isinstance(source, (str, int, float)):
        raise ExpressionError(f"{what} must be an expression string or a number, got {source!r}")
    text = source if isinstance(source, str) else repr(source)
    if not text.strip():
        raise ExpressionError(f"{what} is empty")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"{what} is {len(text)} characters long (limit {MAX_CHARS})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"{what} {shorten(text)!r} is not a valid expression: {exc.msg}") from None
    checker = _Checker(text, set(variables), aliases, what)
    checker.visit(tree)
    tree = _Rewriter(aliases).visit(tree)
    lambda_node = ast.Expression(
        body=ast.Lambda(
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(arg=name) for name in variables],
                vararg=None,
                kwonlyargs=[],
                kw_defaults=[],
                kwarg=None,
                defaults=[],
            ),
            body=tree.body,
        )
    )
    ast.fix_missing_locations(lambda_node)
    code = compile(lambda_node, f"{CODE_FILENAME[:-1]} {text}>", "eval")
    function = eval(code, _namespace())  # the AST was whitelisted above
    expression = Expression(source=text, variables=variables, function=function)
    _try_constant_parts(tree, text, what)
    return expression


def _try_constant_parts(tree: ast.Expression, text: str, what: str) -> None:
    """Evaluate sub-expressions that use no variable now, so huge constants fail early."""
    namespace = _namespace()
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.Call)):
            if any(isinstance(n, ast.Name) and n.id not in namespace for n in ast.walk(node)):
                continue
            code = compile(ast.fix_missing_locations(ast.Expression(body=node)), CODE_FILENAME, "eval")
            try:
                eval(code, namespace)
            except ExpressionError as exc:
                raise ExpressionError(f"{what} {shorten(text)!r}: {exc.message}") from None
            except (ArithmeticError, ValueError, TypeError):
                # Whether this matters depends on the branch taken at run time.
                continue


class _Checker(ast.NodeVisitor):
    """Walks the AST and refuses every node that is not explicitly allowed."""

    def __init__(self, text: str, variables: set[str], aliases: dict[str, str], what: str) -> None:
        self.text = text
        self.names = variables | set(aliases)
        self.functions = set(ALLOWED_FUNCTIONS)
        self.constants = set(_MATH_CONSTANTS)
        self.what = what
        self.count = 0

    def refuse(self, reason: str) -> NoReturn:
        raise ExpressionError(f"{self.what} {shorten(self.text)!r}: {reason}")

    def generic_visit(self, node: ast.AST) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            self.refuse(f"too complex (more than {MAX_NODES} syntax nodes)")
        allowed = (
            ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
            ast.Call, ast.Name, ast.Constant, ast.Load, ast.And, ast.Or,
            *_ALLOWED_BINOPS, *_ALLOWED_UNARYOPS, *_ALLOWED_CMPOPS,
        )  # fmt: skip
        if not isinstance(node, allowed):
            self.refuse(f"{_describe(node)} is not allowed")
        super().generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "math":
            if node.attr in self.functions or node.attr in self.constants:
                self.count += 1
                return
            self.refuse(f"math.{node.attr} is not an allowed function")
        self.refuse("attribute access is not allowed")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            self.refuse(f"name {node.id!r} is not allowed")
        if node.id not in self.names | self.functions | self.constants:
            self.refuse(
                f"unknown name {node.id!r}; use {', '.join(sorted(self.names))}, "
                "numbers and the allowed functions"
            )
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.refuse(f"only numbers may appear as constants, not {node.value!r}")
        if isinstance(node.value, int) and len(str(abs(node.value))) > MAX_LITERAL_DIGITS:
            self.refuse(f"integer literal longer than {MAX_LITERAL_DIGITS} digits")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        target = node.func
        is_math = isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
        if is_math and target.value.id == "math":
            name, shown = target.attr, f"math.{target.attr}"
        elif isinstance(target, ast.Name):
            name = shown = target.id
        else:
            self.refuse("only direct calls of the allowed functions are allowed")
        if name not in self.functions:
            self.refuse(
                f"calling {shown!r} is not allowed (allowed: min, max, abs, round, int, float "
                "and the numeric math functions such as cos, exp, log, sqrt)"
            )
        if node.keywords:
            self.refuse("keyword arguments are not allowed")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            self.refuse("*arguments are not allowed")
        self.count += 1
        for arg in node.args:
            self.visit(arg)


class _Rewriter(ast.NodeTransformer):
    """Resolves aliases and ``math.x``; routes ``**``, integer ``*`` and ``round`` through guards."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.aliases:
            return ast.copy_location(ast.Name(id=self.aliases[node.id], ctx=ast.Load()), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        return ast.copy_location(ast.Name(id=node.attr, ctx=ast.Load()), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            guard = _SAFE_POW
        elif isinstance(node.op, ast.Mult) and _may_be_int(node.left) and _may_be_int(node.right):
            guard = _SAFE_MUL
        else:
            return node
        call = ast.Call(func=ast.Name(id=guard, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "round":
            node.func = ast.copy_location(ast.Name(id=_SAFE_ROUND, ctx=ast.Load()), node.func)
        return node


def _may_be_int(node: ast.AST) -> bool:
    """Whether a (rewritten) expression node may evaluate to an integer; False only when it is
    surely a float, so the guard on ``*`` is skipped only where it cannot matter."""
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, float)
    if isinstance(node, ast.Name):
        return node.id not in _MATH_CONSTANTS  # variables may hold integers (an lr of 1)
    if isinstance(node, ast.BinOp):
        return not isinstance(node.op, ast.Div) and _may_be_int(node.left) and _may_be_int(node.right)
    if isinstance(node, ast.UnaryOp):
        return _may_be_int(node.operand)
    if isinstance(node, ast.IfExp):
        return _may_be_int(node.body) or _may_be_int(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_may_be_int(value) for value in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in (_SAFE_POW, _SAFE_MUL):
            return all(_may_be_int(arg) for arg in node.args)
        if name in _INT_PASSING:
            return any(_may_be_int(arg) for arg in node.args)
        return name in _INT_RESULTS or name == _SAFE_ROUND
    return True  # comparisons give bools, which are integers


def _describe(node: ast.AST) -> str:
    names = {
        ast.Subscript: "indexing", ast.Lambda: "lambda", ast.NamedExpr: "assignment (:=)",
        ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.List: "a list",
        ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
        ast.Starred: "*unpacking", ast.BitAnd: "operator &", ast.BitOr: "operator |",
        ast.BitXor: "operator ^", ast.LShift: "operator <<", ast.RShift: "operator >>",
        ast.Invert: "operator ~", ast.MatMult: "operator @", ast.Is: "'is'", ast.IsNot: "'is not'",
        ast.In: "'in'", ast.NotIn: "'not in'", ast.Await: "await", ast.Yield: "yield",
    }  # fmt: skip
    return names.get(type(node), type(node).__name__)
