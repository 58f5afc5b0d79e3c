"""Every recorded torch release, proven with the one torch CI has.

tests/fixtures/torch_releases/torch-<version>.json were recorded by
tools/record_torch_goldens.py under real torch releases (stepped by hand). Each case runs
here through the torch-free engine under that release's semantics and must give the very
same doubles (lr of every group, momentum or beta1 where it cycles), or decline where that
torch refused the case. The fingerprint table lrplot decides by must name every fixture.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrplot
from lrplot.plan import releases
from lrplot.plan.free import plan_free
from lrplot.plan.release_cases import CASES, case_steps, config_of

FIXTURES = Path(__file__).parent / "fixtures" / "torch_releases"
RECORDED = sorted(FIXTURES.glob("torch-*.json"))


def _fixture(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _unpack(text: str) -> np.ndarray:
    raw = base64.b64decode(text)
    return np.array(struct.unpack(f"<{len(raw) // 8}d", raw), dtype=np.float64)


def _params() -> list[Any]:
    out = []
    for path in RECORDED:
        fixture = _fixture(path)
        semantics = releases.KNOWN[fixture["fingerprint"]][1]
        for case in CASES:
            out.append(pytest.param(path, semantics, case, id=f"{path.stem}-{case['id']}"))
    return out


def test_every_recorded_release_is_in_the_table_and_every_case_recorded() -> None:
    assert len(RECORDED) >= 1
    for path in RECORDED:
        fixture = _fixture(path)
        recorded, semantics = releases.KNOWN[fixture["fingerprint"]]
        assert recorded == fixture["torch"].split("+")[0]
        assert semantics == releases.semantics_for_version(fixture["torch"])
        assert set(fixture["cases"]) == {case["id"] for case in CASES}


@pytest.mark.parametrize(("path", "semantics", "case"), _params())
def test_the_torch_free_engine_gives_each_releases_doubles(path: Path, semantics: str, case: dict) -> None:
    recorded = _fixture(path)["cases"][case["id"]]
    config = lrplot.loads(json.dumps(config_of([case])), name="cases.json")
    with releases.forced(semantics):
        plans = plan_free(config)
        if "error" in recorded:
            assert plans is None, f"torch {path.stem} refused it: {recorded['error']}"
            return
        assert plans is not None
        result = lrplot.simulate(config, plans=plans)
    (curve,) = result.curves
    assert curve.engine == "no-torch"
    assert curve.total_step == case_steps(case)
    for index, group in enumerate(curve.groups):
        expected = _unpack(recorded["lr"][index])
        assert group.lr.tobytes() == expected.tobytes(), _first_difference(group.lr, expected)
        if "momentum" in recorded:
            assert group.momentum is not None
            expected = _unpack(recorded["momentum"][index])
            assert group.momentum.tobytes() == expected.tobytes(), _first_difference(group.momentum, expected)
        else:
            assert group.momentum is None


def _first_difference(got: np.ndarray, expected: np.ndarray) -> str:
    differs = np.flatnonzero(got != expected)
    if not len(differs):
        return "same values"
    i = int(differs[0])
    return f"step {i}: {got[i]!r} != {expected[i]!r} ({len(differs)} steps differ)"
