"""Config names → real torch classes: the one place that maps names to classes.

Names resolve to torch's optimizer and scheduler classes by default; anything else needs
``--allow-import`` (or ``LRPLOT_ALLOW_IMPORT``), and never a helper those modules import.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
import re
from collections.abc import Sequence
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.plan.drivers import DRIVERS_PACKAGE, is_driver

DEFAULT_ALLOWED_IMPORTS = ("torch.optim",)
# Hugging Face schedule functions (get_scheduler, get_cosine_schedule_with_warmup, ...) are
# allowed where transformers is installed; nothing else from transformers is.
SCHEDULE_FACTORIES = re.compile(r"transformers(\.optimization)?\.get_\w*schedul\w*")
# timm's scheduler classes (timm.scheduler.CosineLRScheduler, ...) are allowed where timm is
# installed; they run inside lrplot.plan.drivers.timm.TrainPy.
ALLOW_IMPORT_ENV = "LRPLOT_ALLOW_IMPORT"
EXPRESSION_KEYWORDS = {"lr_lambda": ("step",), "scale_fn": ("x",)}
# Keywords lrplot fills in itself, never taken from the config.
SUPPLIED = {"self", "optimizer", "params"}


def allowed_imports(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Module prefixes a config may import from: torch.optim, plus what the *user* allows.

    Only the command line (``--allow-import``) or the environment (``LRPLOT_ALLOW_IMPORT``,
    comma separated) can widen this; a config cannot grant itself imports.
    """
    from_env = [p.strip() for p in os.environ.get(ALLOW_IMPORT_ENV, "").split(",") if p.strip()]
    return tuple(dict.fromkeys([*DEFAULT_ALLOWED_IMPORTS, *from_env, *extra]))


@functools.cache
def optimizer_classes() -> dict[str, type]:
    """Every optimizer class torch.optim exports, by name."""
    import torch

    return {
        name: obj
        for name, obj in vars(torch.optim).items()
        if isinstance(obj, type)
        and issubclass(obj, torch.optim.Optimizer)
        and obj is not torch.optim.Optimizer
    }


@functools.cache
def scheduler_classes() -> dict[str, type]:
    """Every scheduler class in torch.optim.lr_scheduler, plus swa_utils.SWALR, by name."""
    from torch.optim import lr_scheduler, swa_utils

    base = lr_scheduler.LRScheduler
    found = {
        name: obj
        for name, obj in vars(lr_scheduler).items()
        if isinstance(obj, type)
        and not name.startswith("_")
        and obj is not base
        and (issubclass(obj, base) or obj is lr_scheduler.ReduceLROnPlateau)
    }
    found["SWALR"] = swa_utils.SWALR
    return dict(sorted(found.items()))


def resolve(name: str, kind: str, known: dict[str, type], allowed: Sequence[str], key_path: KeyPath) -> type:
    """A class from its short name (``Adam``) or an allowed dotted path (``torch.optim.Adam``)."""
    if name in known:
        return known[name]
    if "." not in name:
        raise LrplotError(f"unknown {kind} {name!r}{suggest(name, known)}", key_path=key_path)
    module_name, _, attribute = name.rpartition(".")
    if any(part.startswith("__") or not part.isidentifier() for part in name.split(".")):
        raise LrplotError(f"{kind} {name!r} is not a dotted path of plain names", key_path=key_path)
    if kind == "scheduler" and name.startswith("timm.scheduler."):
        from lrplot.plan.drivers import timm

        return timm.resolve(name, key_path)
    factory = kind == "scheduler" and SCHEDULE_FACTORIES.fullmatch(name) is not None
    driver = kind == "scheduler" and name.startswith(DRIVERS_PACKAGE + ".")
    user_allowed = [p for p in allowed if p not in DEFAULT_ALLOWED_IMPORTS]
    by_user = any(name == p or name.startswith(p + ".") for p in user_allowed)
    default = any(name.startswith(p + ".") for p in DEFAULT_ALLOWED_IMPORTS)
    if not factory and not driver and not by_user and not default:
        raise LrplotError(
            f"{kind} {name!r} is outside the allowed modules ({', '.join(allowed)}); "
            f"a config cannot import other code unless you allow it: "
            f"--allow-import {module_name.split('.')[0]} or {ALLOW_IMPORT_ENV}={module_name.split('.')[0]}",
            key_path=key_path,
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the config's culprit
        raise LrplotError(
            f"cannot import {module_name!r} for {kind} {name!r}: {exc}", key_path=key_path
        ) from None
    obj = getattr(module, attribute, None)
    if obj is None:
        raise LrplotError(f"module {module_name!r} has no {kind} {attribute!r}", key_path=key_path)
    if driver and not by_user and not is_driver(obj):
        raise LrplotError(f"{name!r} is not an lrplot scheduler driver", key_path=key_path)
    if not factory and not driver and not by_user and not _is_torch_class(obj, kind):
        # torch.optim modules import helpers (functools.partial, copy.deepcopy, ...): only
        # their optimizer and scheduler classes may be named without --allow-import.
        raise LrplotError(
            f"{name!r} is not a torch {kind} class; other callables need --allow-import {module_name}",
            key_path=key_path,
        )
    return obj


def _is_torch_class(obj: Any, kind: str) -> bool:
    import torch

    if not isinstance(obj, type):
        return False
    if kind == "optimizer":
        return issubclass(obj, torch.optim.Optimizer)
    from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

    return issubclass(obj, (LRScheduler, ReduceLROnPlateau))


def suggest(name: str, known: dict[str, Any]) -> str:
    by_lower = {k.lower(): k for k in known}
    if name.lower() in by_lower:
        return f" (did you mean {by_lower[name.lower()]!r}?)"
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {by_lower[close[0]]!r}?)"
    return f"; known: {', '.join(known)}"


def walk(scheduler: Any) -> list[Any]:
    """A scheduler and every scheduler nested in it."""
    found = [scheduler]
    for child in getattr(scheduler, "_schedulers", []) or []:
        found.extend(walk(child))
    return found


def skip_dynamo_import() -> None:
    """Spare the CLI torch's ~2 s import of torch._dynamo (call only in a process that never compiles).

    ``Optimizer.add_param_group`` is wrapped by ``torch._disable_dynamo``, which imports
    torch._dynamo on its first call just to mark the method as not compilable, and caches
    the result on the function. Pre-filling that cache with the plain method changes no
    value (the method runs as written either way); it is left alone whenever torch's
    wrapper does not look exactly like this, and never done for library users, whose
    process may use torch.compile.
    """
    import torch

    method = getattr(torch.optim.Optimizer, "add_param_group", None)
    wrapped = getattr(method, "__wrapped__", None)
    code = getattr(method, "__code__", None)
    if wrapped is None or code is None or not code.co_filename.endswith("_compile.py"):
        return
    if "__dynamo_disable" in code.co_names and getattr(wrapped, "__dynamo_disable", None) is None:
        wrapped.__dynamo_disable = wrapped
        global _DYNAMO_SKIPPED
        _DYNAMO_SKIPPED = True


_DYNAMO_SKIPPED = False


def dynamo_import_skipped() -> bool:
    """Whether this process opted out of the torch._dynamo import (workers follow suit)."""
    return _DYNAMO_SKIPPED
