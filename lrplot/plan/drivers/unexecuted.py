"""Importing one module of a library whose package ``__init__`` cannot run here.

timm, torchtune, Composer and megatron-core keep their schedules in small modules that need
only torch, below package ``__init__``\\ s that import the whole library (torchvision, torchao,
GPU extras) and fail where those cannot be installed beside a given torch build.
:func:`register_unexecuted` puts such a package into ``sys.modules`` *without running* its
``__init__`` (its own spec and path, so its submodules import from the installed files); the
package runs its real ``__init__`` the first time anything asks it for an attribute that is
not a submodule already loaded, so a later full ``import`` in the same process still works.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any


def register_unexecuted(name: str) -> ModuleType:
    """The package ``name`` (``timm``, ``torchtune.training``) in ``sys.modules``, its ``__init__`` not run.

    A subpackage's parent must be in ``sys.modules`` already (register it first). Raises
    ``ModuleNotFoundError`` naming the top-level package when it is not installed.
    """
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    parent_name, _, leaf = name.rpartition(".")
    if parent_name:
        parent = sys.modules[parent_name]
        spec = importlib.util.find_spec(name, getattr(parent, "__path__", None))
    else:
        spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        top = name.split(".")[0]
        raise ModuleNotFoundError(f"No module named {top!r}", name=top)
    package = importlib.util.module_from_spec(spec)
    package.__getattr__ = _completing(package, spec)  # type: ignore[attr-defined]
    sys.modules[name] = package
    if parent_name:
        setattr(sys.modules[parent_name], leaf, package)
    return package


def _completing(package: ModuleType, spec: Any) -> Any:
    """A module ``__getattr__`` that runs the package's real ``__init__`` on first use."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__") or "__getattr__" not in package.__dict__:
            raise AttributeError(f"module {package.__name__!r} has no attribute {name!r}")
        del package.__dict__["__getattr__"]
        spec.loader.exec_module(package)
        return getattr(package, name)

    return __getattr__
