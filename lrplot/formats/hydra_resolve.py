"""OmegaConf interpolations, resolved by OmegaConf itself, with resolvers that run code refused.

``${trainer.max_epochs}``, relative ``${..lr}`` and OmegaConf's pure resolvers are computed
from the config alone, so lrplot resolves them as OmegaConf does. Resolvers that read the
machine or run code are refused unless the user allows them, the way imports are allowed:

- safe (functions of the config): ``oc.select``, ``oc.dict.keys``, ``oc.dict.values``,
  ``oc.create``, ``oc.decode`` (what it decodes goes through this same guard) and
  ``oc.deprecated``;
- refused unless allowed by name: ``oc.env`` (environment), Hydra's ``now`` (clock),
  ``hydra`` (the running job) and ``python_version``, and every resolver a project
  registers in its own code (``eval`` in some projects runs any Python).

``--allow-import NAME`` (or ``LRPLOT_ALLOW_IMPORT``) allows the resolver ``NAME`` (and
``NAME.*``) and every resolver registered by the module ``NAME`` (and below). A project's
own resolver exists only once its module ran, so allowed names that are importable modules
are imported the first time a resolver is missing or refused. The guard swaps OmegaConf's
resolver lookup (``OmegaConf._get_resolver``, omegaconf 2.1-2.3) only while lrplot resolves
a value, so OmegaConf behaves as before for everyone else. Whatever a resolver returns is
marked as its own (:mod:`lrplot.safe_text`): no message shows it, each names the
interpolation instead (a ``${oc.env:TOKEN}`` a CI passes in stays out of its log).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lrplot.errors import LrplotError
from lrplot.safe_text import mark_resolved

SAFE_RESOLVERS = ("oc.select", "oc.dict.keys", "oc.dict.values", "oc.create", "oc.decode", "oc.deprecated")
_WHAT_IT_DOES = {
    "oc.env": "reads the environment",
    "now": "reads the clock",
    "hydra": "reads the running Hydra job",
    "python_version": "reads the interpreter",
}
ALLOW_IMPORT_ENV = "LRPLOT_ALLOW_IMPORT"  # the variable lrplot.plan.classes reads for imports


def allowed_names(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """What the user allows: ``--allow-import`` values and ``LRPLOT_ALLOW_IMPORT``."""
    from_env = [p.strip() for p in os.environ.get(ALLOW_IMPORT_ENV, "").split(",") if p.strip()]
    return tuple(dict.fromkeys([*from_env, *extra]))


@dataclass
class Refusal:
    """A resolver the guard refused, the key whose value uses it, and the module that registered it."""

    resolver: str
    key: str
    module: str | None  # None: no such resolver is registered


class _Refused(Exception):
    pass


def _under(name: str, prefixes: Sequence[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def defining_module(resolver: Any) -> str | None:
    """The module of the function behind OmegaConf's resolver wrapper (its closure holds it)."""
    for cell in getattr(resolver, "__closure__", None) or ():
        try:
            inner = cell.cell_contents
        except ValueError:
            continue
        if callable(inner) and inner is not resolver and isinstance(getattr(inner, "__module__", None), str):
            return str(inner.__module__)
    return None


@dataclass
class ResolverGuard:
    """Which resolvers may run while lrplot resolves a value; remembers what it refused."""

    allowed: tuple[str, ...] = ()
    refused: list[Refusal] = field(default_factory=list)
    imported: bool = False

    def permits(self, name: str, resolver: Any) -> bool:
        """Safe, allowed by name, or registered by a module the user allows."""
        if name in SAFE_RESOLVERS or _under(name, self.allowed):
            return True
        module = defining_module(resolver)
        return module is not None and not module.startswith("omegaconf") and _under(module, self.allowed)

    @contextmanager
    def active(self) -> Iterator[None]:
        """OmegaConf's resolver lookup goes through :meth:`permits` inside this block."""
        from omegaconf import OmegaConf

        original = OmegaConf._get_resolver

        def lookup(name: str) -> Any:
            resolver = original(name)
            if (resolver is None or not self.permits(name, resolver)) and self._import_allowed():
                resolver = original(name)  # an allowed module may have registered it
            if resolver is None or not self.permits(name, resolver):
                return self._refusing(name, defining_module(resolver) if resolver is not None else None)
            return _marking(name, resolver)

        OmegaConf._get_resolver = staticmethod(lookup)  # type: ignore[method-assign]
        try:
            yield
        finally:
            OmegaConf._get_resolver = staticmethod(original)  # type: ignore[method-assign]

    def _refusing(self, name: str, module: str | None) -> Any:
        def refuse(root: Any, parent: Any, node: Any, args: Any, args_str: Any) -> Any:
            try:
                key = str(node._get_full_key(None))
            except Exception:  # a node OmegaConf built on the fly (oc.decode): the outer key names it
                key = ""
            self.refused.append(Refusal(name, key, module))
            raise _Refused(name)

        return refuse

    def _import_allowed(self) -> bool:
        """Import (once) the allowed names that are modules: a project registers resolvers there."""
        if self.imported:
            return False
        self.imported = True
        imported = False
        for name in self.allowed:
            if name in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is None:
                continue
            try:
                importlib.import_module(name)
            except Exception as exc:  # the user's own module failed: say so in one line
                message = f"--allow-import {name}: importing it failed: {type(exc).__name__}: {exc}"
                raise LrplotError(message) from None
            imported = True
        return imported


def _marking(name: str, resolver: Any) -> Any:
    """The resolver, with what it returns marked as its own (:func:`lrplot.safe_text.mark_resolved`):
    a value from the environment or from code is named in messages, never shown."""

    def resolve(root: Any, parent: Any, node: Any, args: Any, args_str: Any) -> Any:
        value = resolver(root, parent, node, args, args_str)
        arguments = ",".join(str(arg) for arg in args_str or ())
        mark_resolved(value, "${" + name + (f":{arguments}" if arguments else "") + "}")
        return value

    return resolve


def refusal_message(refusal: Refusal, key: str, override_hint: str) -> str:
    """One line: which key, which resolver, why it was refused and how to go on."""
    where = refusal.key or key
    name = refusal.resolver
    if name in _WHAT_IT_DOES:
        how = f"allow it with --allow-import {name} (or {ALLOW_IMPORT_ENV}={name})"
        return f"{where}: resolver '{name}' {_WHAT_IT_DOES[name]} and is refused; {how}, or {override_hint}"
    if refusal.module is not None:
        how = f"allow its module with --allow-import {refusal.module}"
    else:
        how = "--allow-import the module that registers it (lrplot then imports it)"
    return f"{where}: resolver '{name}' is the project's own code and is refused; {how}, or {override_hint}"


def is_refused(exc: BaseException) -> bool:
    """Did OmegaConf fail because the guard refused a resolver?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _Refused) or "_Refused raised" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
