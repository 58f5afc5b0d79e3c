"""The sandboxed expression language: what it computes, and what it refuses."""

from __future__ import annotations

import math

import pytest

from lrplot.errors import ExpressionError
from lrplot.expressions import compile_expression


def step_fn(source, **kw):
    return compile_expression(source, ("step",), aliases={"epoch": "step"}, what="lr_lambda", **kw)


@pytest.mark.parametrize(
    ("source", "native"),
    [
        ("step % 40 / 100.", lambda step: step % 40 / 100.0),
        ("max(0, 1 - step / 100)", lambda step: max(0, 1 - step / 100)),
        ("0.95", lambda step: 0.95),
        (0.95, lambda step: 0.95),
        (2, lambda step: 2),
        ("0.99 if step < 50 else 0.9", lambda step: 0.99 if step < 50 else 0.9),
        ("0.5 ** (step // 20)", lambda step: 0.5 ** (step // 20)),
        ("math.cos(math.pi * step / 10)", lambda step: math.cos(math.pi * step / 10)),
        ("cos(pi * step / 10) ** 2", lambda step: math.cos(math.pi * step / 10) ** 2),
        ("step ** 2 / 1e4", lambda step: step**2 / 1e4),
        ("1 if step > 3 and not step > 8 else 0", lambda step: 1 if step > 3 and not step > 8 else 0),
        ("min(1.0, (epoch + 1) / 10)", lambda step: min(1.0, (step + 1) / 10)),
        ("-abs(step - 50) / 50 + 1", lambda step: -abs(step - 50) / 50 + 1),
    ],
)
def test_matches_the_native_lambda_exactly(source, native) -> None:
    compiled = step_fn(source)
    for step in range(0, 200, 3):
        assert repr(compiled(step)) == repr(native(step))


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("__import__('os').system('true')", "only direct calls"),
        ("__import__('os')", "calling '__import__' is not allowed"),
        ("().__class__.__bases__", "attribute access is not allowed"),
        ("step.__class__", "attribute access is not allowed"),
        ("open('/etc/passwd')", "calling 'open' is not allowed"),
        ("eval('1')", "calling 'eval' is not allowed"),
        ("[1, 2][0]", "indexing is not allowed"),
        ("(lambda: 1)()", "only direct calls"),
        ("lambda: 1", "lambda is not allowed"),
        ("[x for x in (1,)]", "a comprehension is not allowed"),
        ("'text'", "only numbers may appear"),
        ("x + 1", "unknown name 'x'"),
        ("_secret", "name '_secret' is not allowed"),
        ("math.factorial(100000)", "calling 'math.factorial' is not allowed"),
        ("factorial(5)", "calling 'factorial' is not allowed"),
        ("max(step, key=abs)", "keyword arguments are not allowed"),
        ("(y := 3)", "assignment"),
        ("1 << 100000", "operator <<"),
        ("9 ** 9 ** 9 ** 9", "refused"),
        ("2 ** 100000", "refused"),
        ("1 if", "not a valid expression"),
        ("", "is empty"),
        ("1" * 60, "longer than"),
        ("+".join(["step"] * 160), "too complex"),
        ("-" * 200 + "1", "too complex"),
    ],
)
def test_refuses_unsafe_or_malformed_input_naming_the_reason(source, reason) -> None:
    with pytest.raises(ExpressionError) as info:
        step_fn(source)
    assert reason in str(info.value)


def test_refuses_too_long_text() -> None:
    with pytest.raises(ExpressionError, match="characters long"):
        step_fn("step + " * 300 + "1")


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}])
def test_refuses_non_expression_values(value) -> None:
    with pytest.raises(ExpressionError, match="must be an expression string or a number"):
        step_fn(value)


def test_integer_power_that_grows_with_step_is_refused_at_run_time() -> None:
    compiled = step_fn("step ** step")
    assert compiled(10) == 10**10
    with pytest.raises(ExpressionError, match="refused"):
        compiled(100_000)


def test_float_powers_stay_native_and_fast() -> None:
    assert step_fn("0.5 ** step")(1000) == 0.5**1000


def test_metric_expressions_take_step_and_lr() -> None:
    metric = compile_expression("lr * 2 + step", ("step", "lr"), what="metric")
    assert metric(3, 0.25) == 3.5


def test_the_sandbox_has_no_builtins() -> None:
    compiled = step_fn("step")
    assert compiled.function.__globals__["__builtins" + "__"] == {}
