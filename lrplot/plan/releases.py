"""Which torch release's semantics the torch-free engine follows, decided without importing torch.

torch changed its schedulers' formulas between releases (2.7 → 2.8 the ``_is_initial``
mode, CosineAnnealingWarmRestarts ``T_cur - T_i`` → ``T_cur % T_i``; 2.13 SequentialLR's
first step; CyclicLR with Adam before 2.3). The torch-free engine computes each release's
own formulas; which ones apply is read from disk: the installed version (package
metadata) and a fingerprint of ``torch/optim/lr_scheduler.py`` and ``swa_utils.py``
(their code with docstrings and comments stripped), matched against the fingerprints
lrplot was verified on (tests/fixtures/torch_releases/, recorded from real releases).

An unknown fingerprint (a new or patched torch) is not trusted: lrplot.engines.selfcheck
runs the compact case set of lrplot.plan.release_cases once against the installed torch
and caches the verdict per torch and lrplot version in the user's cache folder. Until
then, and wherever the check disagreed, curves step real torch.

This module is standard library only (tools/record_torch_goldens.py loads it by path).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCES = ("optim/lr_scheduler.py", "optim/swa_utils.py")

# The semantics lrplot implements, oldest first, each named by the first release recorded
# with it (a release between two takes the older one: it is self-checked anyway).
#   2.2: as 2.3, but CyclicLR refuses an optimizer without ``momentum`` (Adam) when it cycles it.
#   2.3: ``get_lr`` tests ``last_epoch == 0`` (no ``_is_initial``): a resumed ExponentialLR,
#        MultiplicativeLR, LinearLR, PolynomialLR steps at construction and CosineAnnealingLR
#        takes its closed form there; CosineAnnealingWarmRestarts restarts by ``T_cur - T_i``;
#        a MultiplicativeLR restarted at a SequentialLR milestone keeps its lr.
#   2.8: ``_is_initial`` keeps the lrs at construction; warm restarts ``T_cur % T_i``. (2.13
#        changed SequentialLR's first step to ``bisect_right(milestones, 0)``: the same child
#        for the milestones >= 1 the torch-free engine takes, so 2.13 keeps these semantics.)
SEMANTICS = ("2.2", "2.3", "2.8")
LATEST = SEMANTICS[-1]


def older(semantics: str | None, release: str) -> bool:
    """Whether ``semantics`` are those of a torch before ``release`` (None: the latest)."""
    return semantics is not None and _number(semantics) < _number(release)


# Fingerprints of the releases recorded in tests/fixtures/torch_releases/ → their semantics.
# tests/test_torch_releases.py keeps this table and the fixtures in step.
KNOWN: dict[str, tuple[tuple[str, ...], str]] = {
    "8a6c4684ef5b6c2a": (("2.2.2",), "2.2"),
    "501574f82bf0f750": (("2.3.1",), "2.3"),
    "c52b93aa7a0fb56a": (("2.4.1",), "2.3"),
    "71cf886d30342a74": (("2.5.1",), "2.3"),
    "98f50b5255690636": (("2.6.0",), "2.3"),
    "e250574459530d0a": (("2.7.1",), "2.3"),
    "ddc655d4ec116e1a": (("2.8.0",), "2.8"),
    "e6de43f2b60d3519": (("2.9.1",), "2.8"),
    "115a5af731c6e955": (("2.10.0", "2.11.0"), "2.8"),
    "dd8fafab215ef529": (("2.12.1",), "2.8"),
    "88a1d77d6f80d2fb": (("2.13.0", "2.15.0"), "2.8"),  # 2.14.1 has the same sources too
}


def torch_folder() -> Path | None:
    """The installed torch package's folder, found without importing torch."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _strip(tree: ast.AST) -> ast.AST:
    """Drop every docstring (and any other bare string statement): they change without the code."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [
                s
                for s in body
                if not (
                    isinstance(s, ast.Expr)
                    and isinstance(s.value, ast.Constant)
                    and isinstance(s.value.value, str)
                )
            ]
            node.body = kept or [ast.Pass()]  # type: ignore[attr-defined]
    return tree


def source_trees(folder: Path) -> tuple[ast.Module, ...] | None:
    """The scheduler sources parsed once, docstrings stripped (the fingerprint and the keyword
    kinds of lrplot.plan.source_keywords both read them). None when a file is missing or unreadable."""
    try:
        stamps = tuple((s.st_mtime_ns, s.st_size) for s in ((folder / n).stat() for n in SOURCES))
    except OSError:
        return None
    return _parsed(folder, stamps)


@functools.cache
def _parsed(folder: Path, stamps: tuple[tuple[int, int], ...]) -> tuple[ast.Module, ...] | None:
    trees = []
    for name in SOURCES:
        try:
            text = (folder / name).read_text(encoding="utf-8")
            trees.append(_strip(ast.parse(text)))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
            return None
    return tuple(trees)  # type: ignore[arg-type]


def fingerprint(folder: Path) -> str | None:
    """sha256 (16 hex digits) of the scheduler sources' code as ``ast.unparse`` writes it:
    comments, docstrings and formatting do not count. None when a file is missing or unreadable.

    Parsing and unparsing the two files costs ~40-80 ms, a quarter of a ``validate``: the
    result is kept in the user's cache folder under the sources' exact bytes (see
    :func:`from_sources`), so a run after the first only reads and hashes them (~1 ms).
    """
    found = from_sources(folder, "fingerprint", _fingerprint_of, __file__)
    return found if isinstance(found, str) else None


def _fingerprint_of(trees: tuple[ast.Module, ...]) -> str:
    digest = hashlib.sha256()
    for tree in trees:
        digest.update(ast.unparse(tree).encode("utf-8"))
    return digest.hexdigest()[:16]


# What the sources cache holds: what json.loads gives (None, bool, int, float, str, list, dict).
Json = Any


def from_sources(
    folder: Path, name: str, compute: Callable[[tuple[ast.Module, ...]], Json], module_file: str
) -> Json:
    """``compute`` of the parsed scheduler sources, cached in memory and in the user's cache folder.

    The key is a sha256 of the sources' bytes and of ``module_file`` (the computing module's
    own source, so a changed lrplot never reads an old answer); reading and hashing the files
    is all a cached run pays. None when a source is missing or unreadable. The cache holds
    JSON only, checked on reading (a damaged file is recomputed); one that cannot be written
    costs the parse again next time.
    """
    key = _sources_key(folder, module_file)
    if key is None:
        return None
    memo = _MEMO.get((name, key), _MISSING)
    if memo is not _MISSING:
        return memo  # type: ignore[return-value]
    path = cache_path() / f"sources-{name}-{key}.json"
    value: Json = None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("key") == key and "value" in data:
            value = data["value"]
    except (OSError, ValueError, RecursionError):
        pass
    if value is None:
        trees = source_trees(folder)
        if trees is None:
            return None
        value = compute(trees)
        _write_json(path, {"key": key, "value": value})
    _MEMO[(name, key)] = value
    return value


_MISSING = object()
_MEMO: dict[tuple[str, str], Json] = {}


def _sources_key(folder: Path, module_file: str) -> str | None:
    digest = hashlib.sha256()
    try:
        for file in (*(folder / n for n in SOURCES), Path(module_file)):
            data = file.read_bytes()
            digest.update(len(data).to_bytes(8, "little") + data)
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _write_json(path: Path, data: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(path)
    except (OSError, ValueError):
        pass


def torch_version(folder: Path) -> str | None:
    """The version in the ``torch-<version>.dist-info`` beside the package (else importlib.metadata)."""
    found = [p.name[len("torch-") : -len(".dist-info")] for p in folder.parent.glob("torch-*.dist-info")]
    if len(found) == 1:
        return found[0]
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def semantics_for_version(version: str) -> str:
    """The newest semantics whose first release is at most ``version`` (a self-check candidate)."""
    number = _number(version)
    return max((s for s in SEMANTICS if _number(s) <= number), key=_number, default=SEMANTICS[0])


def _number(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@dataclass(frozen=True)
class Decision:
    """The torch-free engine's verdict on the installed torch.

    ``semantics``: the release semantics to follow, None to step torch. ``checked``: False
    while an unknown fingerprint awaits its self-check. ``reason``: one line, why.
    """

    semantics: str | None
    version: str | None
    fingerprint: str | None
    reason: str
    checked: bool = True


_FORCED: list[str] = []


@contextmanager
def forced(semantics: str) -> Iterator[None]:
    """Follow ``semantics`` whatever torch is installed (the tests of each release's goldens)."""
    if semantics not in SEMANTICS:
        raise ValueError(f"unknown semantics {semantics!r}")
    _FORCED.append(semantics)
    try:
        yield
    finally:
        _FORCED.pop()


def is_forced() -> bool:
    return bool(_FORCED)


def current() -> str | None:
    """The semantics the torch-free engine follows now (None: step torch)."""
    return _FORCED[-1] if _FORCED else decide().semantics


@functools.cache
def decide() -> Decision:
    """Read the installed torch from disk and decide once per process (never imports torch)."""
    folder = torch_folder()
    if folder is None:
        return Decision(None, None, None, "torch is not installed")
    version = torch_version(folder)
    print_ = fingerprint(folder)
    if version is None or print_ is None:
        return Decision(
            None,
            version,
            print_,
            "lrplot steps torch: the installed torch's scheduler sources could not be read",
        )
    if print_ in KNOWN:
        recorded, semantics = KNOWN[print_]
        line = f"torch {version}: the scheduler sources of torch {', '.join(recorded)}, verified"
        return Decision(semantics, version, print_, line)
    cached = read_cache(version, print_)
    if cached is None:
        return Decision(
            None,
            version,
            print_,
            f"torch {version}'s scheduler sources are new to lrplot: not yet checked",
            False,
        )
    semantics, line = cached
    return Decision(semantics, version, print_, line)


def cache_path() -> Path:
    """The user's cache folder for lrplot (``LRPLOT_CACHE_DIR`` overrides it)."""
    override = os.environ.get("LRPLOT_CACHE_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lrplot"


def _lrplot_version() -> str:
    """lrplot's version, read without importing the facade (this module is below it)."""
    init = Path(__file__).resolve().parents[1] / "__init__.py"
    try:
        for line in init.read_text(encoding="utf-8").splitlines():
            if line.startswith("__version__ = "):
                return line.split("=", 1)[1].strip().strip("\"'")
    except OSError:
        pass
    return "unknown"


def _cache_file(version: str, print_: str) -> Path:
    __version__ = _lrplot_version()
    safe = "".join(c if c.isalnum() or c in ".+-" else "_" for c in version)[:60]
    return cache_path() / f"torch-check-{safe}-{print_}-lrplot-{__version__}.json"


def read_cache(version: str, print_: str) -> tuple[str | None, str] | None:
    """A self-check's cached verdict: (semantics or None, its one-line reason), or None."""
    try:
        data = json.loads(_cache_file(version, print_).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    semantics = data.get("semantics") if isinstance(data, dict) else None
    reason = data.get("reason") if isinstance(data, dict) else None
    if (semantics is not None and semantics not in SEMANTICS) or not isinstance(reason, str):
        return None
    return semantics, reason[:300]


def write_cache(version: str, print_: str, semantics: str | None, reason: str) -> None:
    """Remember a self-check's verdict; a cache that cannot be written only costs a re-check."""
    _write_json(_cache_file(version, print_), {"semantics": semantics, "reason": reason})
    decide.cache_clear()
