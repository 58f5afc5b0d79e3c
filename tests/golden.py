"""Golden data recorded from upstream functions (tests/fixtures/<project>/golden_*.json).

Each file holds ``source`` (repository, path, function, commit, license: what produced the values)
and ``cases``; a case's lr sequence is either whole (``lr``) or, for long runs, sampled at the
steps listed in ``at`` (all of the first and last 50 steps and an even stride), with ``length``
the full number of steps. Floats are stored repr-exact, so comparisons are bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def golden_source(path: Path) -> dict[str, Any]:
    """The header of a golden file: which upstream function and commit produced it."""
    return json.loads(path.read_text(encoding="utf-8"))["source"]


def golden_cases(path: Path) -> list[Any]:
    """The recorded cases as pytest params, each named by its id."""
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["id"]) for case in cases]


def recorded_steps(lrs: list[float], case: dict[str, Any]) -> list[float]:
    """lrplot's sequence at the steps the golden case recorded (all of them, or its samples)."""
    assert len(lrs) == case["length"]
    return [lrs[i] for i in case["at"]] if "at" in case else lrs


def check_source(path: Path) -> None:
    """A golden file names the upstream function, its repository and its full commit."""
    source = golden_source(path)
    assert {"repository", "path", "function", "commit", "license"} <= source.keys()
    assert len(source["commit"]) == 40 and int(source["commit"], 16) >= 0
