"""torch's own import, as the command line lets it speak: numpy 2's traceback beside an old torch
becomes one warning line (standard library only: installed before anything imports torch, in
the command's process and in the forkserver its parallel workers start from).

torch releases before 2.3 are built against NumPy 1.x. ``pip install torch==2.2.2 lrplot`` pulls
numpy 2 (matplotlib needs numpy, torch 2.2 declares none), and then every ``import torch``
writes numpy's "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.x" banner
with a stack trace of the whole command, then warns "Failed to initialize NumPy". torch works
without its NumPy bridge, and lrplot never uses the bridge (values cross as Python floats), so
the command's curves are right; the trace only breaks lrplot's promise of no traceback. The
command line therefore imports torch through :class:`TorchImportNotes`, which drops exactly that
banner and warning during torch's own import and says it in one line instead (a Python
warning, so ``-q`` drops it like any other). Anything else torch writes while importing passes
through unchanged, in order. The forkserver of parallel runs (lrplot.engines.parallel) imports
torch afresh; there the banner and warning are dropped without a word (the command said it).
The Python API leaves a user's process as it is.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any, TextIO

# numpy's banner (numpy/core/_multiarray_umath.py, numpy 2.x), written with one write() call
NUMPY_BANNER = "A module that was compiled using NumPy 1.x cannot be run in"
# torch's warning when its NumPy bridge cannot start (torch/csrc/utils/tensor_numpy.cpp)
BRIDGE_WARNING = "Failed to initialize NumPy"


class _BannerFilter:
    """sys.stderr during torch's import: every write passes through except numpy's banner."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.dropped = False

    def write(self, text: str) -> int:
        if NUMPY_BANNER in text:
            self.dropped = True
            return len(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class TorchImportNotes(importlib.abc.MetaPathFinder):
    """A finder for the name ``torch`` only: the spec the other finders give, its module run with
    the filter. A spec only looked up (lrplot reads torch's version without importing it) runs
    nothing; once torch is imported, Python never asks a finder for it again."""

    def __init__(self, say: bool = True) -> None:
        self.say = say

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "torch":
            return None
        spec = None
        for finder in sys.meta_path:  # the finders after this one find torch as Python would
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            stream = sys.stderr
            banner = _BannerFilter(stream)
            sys.stderr = banner  # type: ignore[assignment]
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=BRIDGE_WARNING)
                    run(module)
            finally:
                if sys.stderr is banner:
                    sys.stderr = stream
            if banner.dropped and self.say:
                warnings.warn(old_torch_line(module), stacklevel=2)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def old_torch_line(torch: ModuleType) -> str:
    """The one line said instead of numpy's banner and torch's warning."""
    numpy = sys.modules.get("numpy")
    return (
        f"torch {getattr(torch, '__version__', '?')} was built for NumPy 1.x and numpy "
        f"{getattr(numpy, '__version__', '2')} is installed, so torch's NumPy bridge is off; lrplot's "
        "engines do not use it (the curves are unaffected): pip install 'numpy<2' silences torch's message"
    )


def install(say: bool = True) -> None:
    """Import torch through :class:`TorchImportNotes` from now on (idempotent; no-op once
    torch is imported). ``say``: replace the banner by one warning line, else drop it."""
    if "torch" in sys.modules or installed():
        return
    sys.meta_path.insert(0, TorchImportNotes(say))


def installed() -> bool:
    """Whether this process imports torch through :class:`TorchImportNotes`."""
    return any(isinstance(finder, TorchImportNotes) for finder in sys.meta_path)


def uninstall() -> None:
    """Import torch as Python does (the finder removes itself on torch's first import)."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, TorchImportNotes)]
