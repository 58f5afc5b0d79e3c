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
        assert fixture["torch"].split("+")[0] in recorded
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


ROOT = Path(__file__).resolve().parents[1]
STARTER = {
    "title": "t",
    "curves": [{"label": "c", "total_step": 80, "optimizer": {"name": "SGD", "lr": 0.1},
                "scheduler": {"name": "CosineAnnealingLR", "T_max": 50, "last_epoch": 9},
                "initial_lr": 0.1}],
}  # fmt: skip


def _unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, semantics: str | None = None) -> None:
    """The installed torch as one lrplot has not seen: no entry in the table, an empty cache."""
    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(releases, "KNOWN", {})
    if semantics is not None:
        monkeypatch.setattr(releases, "semantics_for_version", lambda version: semantics)
    releases.decide.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_decision():
    releases.decide.cache_clear()
    yield
    releases.decide.cache_clear()


def test_an_unknown_torch_is_checked_once_then_runs_without_torch(monkeypatch, tmp_path) -> None:
    from lrplot.engines import selfcheck

    _unknown(monkeypatch, tmp_path)
    assert releases.decide().checked is False
    assert plan_free(lrplot.loads(json.dumps(config_of(CASES[:1])))) is None  # not before the check
    config = lrplot.loads(json.dumps(config_of(CASES[:1])))
    result = lrplot.simulate(config)
    assert result.curves[0].engine == "no-torch"
    (cached,) = tmp_path.glob("torch-check-*.json")
    assert json.loads(cached.read_text())["semantics"] == releases.LATEST
    releases.decide.cache_clear()
    calls = []
    monkeypatch.setattr(selfcheck, "disagreement", lambda semantics, simulate: calls.append(semantics))
    assert lrplot.simulate(config).curves[0].engine == "no-torch"
    assert calls == []  # the cached verdict: no second check


def test_a_torch_that_disagrees_is_stepped_and_the_run_says_why_in_one_line(monkeypatch, tmp_path) -> None:
    _unknown(monkeypatch, tmp_path, semantics="2.3")  # torch 2.13 checked against 2.3's formulas
    config = lrplot.loads(json.dumps(config_of([c for c in CASES if c["id"] == "exponential-resumed-5"])))
    result = lrplot.simulate(config)
    assert result.curves[0].engine == "torch"
    assert not [w for w in result.warnings if "lrplot steps torch" in w]  # not a schedule warning
    note = result.fallback
    assert note is not None and note.startswith("lrplot steps torch for curve ")
    assert "not verified for torch" in note and "self-check case" in note
    assert "\n" not in note
    assert json.loads(next(tmp_path.glob("torch-check-*.json")).read_text())["semantics"] is None


def test_the_fingerprint_ignores_comments_and_docstrings_but_not_code(tmp_path) -> None:
    folder = releases.torch_folder()
    assert folder is not None
    copy = tmp_path / "torch"
    for name in releases.SOURCES:
        text = (folder / name).read_text(encoding="utf-8")
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        changed = text.replace("\n    def ", "\n    # c\n    def ", 3).replace('"""', '"""Another line. ', 1)
        (copy / name).write_text("# a comment\n" + changed)
    assert releases.fingerprint(copy) == releases.fingerprint(folder)
    scheduler = copy / releases.SOURCES[0]
    scheduler.write_text(scheduler.read_text().replace("self.gamma", "self.gamma * 1.0", 1))
    assert releases.fingerprint(copy) != releases.fingerprint(folder)


def test_the_decision_never_imports_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from lrplot.plan import releases; d = releases.decide(); "
        "print(d.semantics, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == [releases.LATEST, "False"]


def test_a_betas_annotation_of_torch_2_8_accepts_a_list() -> None:
    from lrplot.plan.keywords import matches_annotation

    assert matches_annotation([0.9, 0.95], "tuple[typing.Union[float, torch.Tensor], ...]")
    assert not matches_annotation(["a", 0.95], "tuple[typing.Union[float, torch.Tensor], ...]")
    assert matches_annotation([0.9, 0.95], "tuple[float | torch.Tensor, float | torch.Tensor]")
    # Adam's and AdamW's ``betas`` as inspect.formatannotation writes them on each release
    # (read with lrplot.plan.keywords.annotation_text in the release venvs of tools/verify_release.py).
    for release, annotation in (
        ("2.2.2 to 2.5.1", "Tuple[float, float]"),
        ("2.6.0", "Tuple[Union[float, torch.Tensor], Union[float, torch.Tensor]]"),
        ("2.7.1 to 2.9.1", "tuple[typing.Union[float, torch.Tensor], typing.Union[float, torch.Tensor]]"),
        ("2.10.0 to 2.15.0", "tuple[float | torch.Tensor, float | torch.Tensor]"),
    ):
        assert matches_annotation([0.9, 0.95], annotation), release
        assert not matches_annotation([0.9], annotation), release
        assert not matches_annotation(["a", 0.95], annotation), release


def test_the_cases_tell_the_recorded_semantics_apart() -> None:
    """Releases of different semantics differ on some case: the goldens can catch a wrong choice."""
    by_semantics: dict[str, dict[str, Any]] = {}
    for path in RECORDED:
        fixture = _fixture(path)
        by_semantics.setdefault(releases.KNOWN[fixture["fingerprint"]][1], fixture["cases"])
    names = sorted(by_semantics)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert any(by_semantics[a][k] != by_semantics[b][k] for k in by_semantics[a]), (a, b)


def test_registry_builds_local_version_suffixes_are_read(tmp_path) -> None:
    """A CUDA build says ``2.15.0`` in its metadata and ``2.15.0+cu132`` in ``torch.__version__``;
    a CPU build's metadata carries ``+cpu``: each is the release it names."""
    assert releases.semantics_for_version("2.15.0+cu132") == "2.8"
    assert releases.semantics_for_version("2.4.1+cu121") == "2.3"
    assert releases.semantics_for_version("2.3.0") == "2.3"  # CyclicLR takes Adam from 2.3 on
    assert releases.semantics_for_version("2.2.2+cpu") == "2.2"
    assert releases.semantics_for_version("2.10.0a0+git1234") == "2.8"
    assert not releases.older("2.8", "2.8") and releases.older("2.3", "2.8")
    for name, expected in (
        ("torch-2.13.0+cpu.dist-info", "2.13.0+cpu"),
        ("torch-2.15.0.dist-info", "2.15.0"),
    ):
        site = tmp_path / name.split("-")[1]
        (site / "torch").mkdir(parents=True)
        (site / name).mkdir()
        assert releases.torch_version(site / "torch") == expected


VERIFIED = ROOT / "docs" / "releases.json"


def test_every_release_verified_by_the_cli_is_recorded_and_identical() -> None:
    """docs/releases.json (tools/verify_release.py, the CLI run in each release's venv): every
    input gave the same CSV bytes by auto and torch, on a fingerprint the table knows, and auto
    imported torch on the same inputs as on the torch CI has."""
    results = json.loads(VERIFIED.read_text(encoding="utf-8"))
    recorded = {_fixture(path)["torch"].split("+")[0] for path in RECORDED}
    baseline = next(r for v, r in results.items() if v.startswith("2.13"))
    imports = {row["input"]: row.get("auto_imports_torch") for row in baseline["rows"]}
    for version, result in results.items():
        assert version.split("+")[0] in recorded, version
        assert releases.KNOWN[result["fingerprint"]][1] == result["semantics"], version
        assert all(row["identical"] for row in result["rows"]), version
        # The case set's input is named by its count (a case that release's torch refuses is
        # compared alone, stepped by torch for torch's own message): the same name, less "(N cases)".
        ran = {row["input"].split(" (")[0]: row.get("auto_imports_torch") for row in result["rows"]
               if "refused" not in row["input"]}  # fmt: skip
        assert ran == {k.split(" (")[0]: v for k, v in imports.items()}, version
        assert not ran["release_cases"], version
    table = (ROOT / "docs" / "releases.md").read_text(encoding="utf-8")
    for result in results.values():
        assert f"`{result['fingerprint']}`" in table


def test_the_sources_are_parsed_once_then_read_back_from_the_cache(monkeypatch, tmp_path) -> None:
    """Parsing torch's scheduler sources is a quarter of a validate: a later run reads the answers."""
    from lrplot.plan import source_keywords

    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(releases, "_MEMO", {})
    folder = releases.torch_folder()
    assert folder is not None
    first = releases.fingerprint(folder), source_keywords.parameters("CyclicLR")
    assert sorted(p.name.split("-")[1] for p in tmp_path.glob("sources-*.json")) == [
        "fingerprint",
        "signatures",
    ]
    monkeypatch.setattr(releases, "_MEMO", {})
    monkeypatch.setattr(releases, "source_trees", lambda folder: pytest.fail("parsed again"))
    assert (releases.fingerprint(folder), source_keywords.parameters("CyclicLR")) == first


def test_a_damaged_sources_cache_is_recomputed(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(releases, "_MEMO", {})
    folder = releases.torch_folder()
    assert folder is not None
    expected = releases.fingerprint(folder)
    (cached,) = tmp_path.glob("sources-fingerprint-*.json")
    for damage in ("{", '{"key": "other", "value": "0000"}', "[1, 2]"):
        cached.write_text(damage)
        monkeypatch.setattr(releases, "_MEMO", {})
        assert releases.fingerprint(folder) == expected


def test_a_verdict_cached_under_an_old_semantics_name_is_checked_again(monkeypatch, tmp_path) -> None:
    """The 2.3 semantics were named 2.4 until torch 2.3.1 was recorded: a verdict cached under
    the old name must not be read back as a semantics the engine cannot follow."""
    monkeypatch.setenv("LRPLOT_CACHE_DIR", str(tmp_path))
    releases.write_cache("2.4.0", "0123456789abcdef", "2.3", "checked")
    assert releases.read_cache("2.4.0", "0123456789abcdef") == ("2.3", "checked")
    releases.write_cache("2.4.0", "0123456789abcdef", "2.4", "checked by an older lrplot")
    assert releases.read_cache("2.4.0", "0123456789abcdef") is None
