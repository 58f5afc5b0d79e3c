"""``plot`` verifies a finding's suggested fix (simulating the fixed curve again) only when the
fix reaches the user: its line (printed without ``-q``, or with ``-q --strict``) or ``--json``.
``plot -q`` prints no finding, so it skips that second simulation; its figure, CSV and exit
status are the same (verification rewords a suggestion, it never adds or drops a finding).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lrplot.lint import verify

CONFIG = (
    "total_step: 3000\ncurves:\n  - optimizer: {name: SGD, lr: 0.1}\n"
    "    scheduler: {name: CosineAnnealingLR, T_max: 1000, eta_min: 0.01}\n"
)
VERIFIED = 'set T_max: 3000 (or "total_step", to follow the run)'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cosine.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the findings whose fixes lrplot.lint.verify simulated again."""
    seen: list[str] = []
    real = verify._works

    def counting(config, curve_plan, fix, finding, *args):  # type: ignore[no-untyped-def]
        seen.append(finding.id)
        return real(config, curve_plan, fix, finding, *args)

    monkeypatch.setattr(verify, "_works", counting)
    return seen


def test_quiet_plot_skips_the_verification(cli, config, verifications, tmp_path: Path) -> None:
    quiet, loud = tmp_path / "quiet.csv", tmp_path / "loud.csv"
    result = cli("plot", config, "-o", quiet, "-q")
    assert result.exit_code == 0 and result.stderr == "" and verifications == []
    result = cli("plot", config, "-o", loud)
    assert result.exit_code == 0 and verifications == ["LR001"]
    assert "LR001" in result.stderr and VERIFIED in result.stderr
    assert quiet.read_bytes() == loud.read_bytes()


def test_quiet_figures_are_the_same(cli, config, tmp_path: Path) -> None:
    """The lint marks drawn on the figure do not depend on the verification."""
    quiet, loud = tmp_path / "quiet.png", tmp_path / "loud.png"
    assert cli("plot", config, "-o", quiet, "-q").exit_code == 0
    assert cli("plot", config, "-o", loud).exit_code == 0
    assert quiet.read_bytes() == loud.read_bytes()


def test_quiet_strict_prints_the_verified_fix(cli, config, verifications, tmp_path: Path) -> None:
    result = cli("plot", config, "-o", tmp_path / "a.csv", "-q", "--strict")
    assert result.exit_code == 1 and verifications == ["LR001"]
    assert result.stderr.count("\n") == 1 and VERIFIED in result.stderr


def test_quiet_json_carries_the_verified_fix(cli, config, verifications, tmp_path: Path) -> None:
    result = cli("plot", config, "-o", tmp_path / "a.csv", "-q", "--json")
    assert result.exit_code == 0 and verifications == ["LR001"]
    (warning,) = json.loads(result.stdout)["warnings"]
    assert VERIFIED in warning["suggestion"] and warning["fix"] == "curves.0.scheduler.T_max=3000"


def test_quiet_plot_in_a_real_process(config, tmp_path: Path) -> None:
    """``-q`` exits 0 with nothing printed; ``-q --strict`` exits 1 with the verified line."""
    command = [sys.executable, "-m", "lrplot", "plot", str(config), "-o", str(tmp_path / "a.png"), "-q"]
    quiet = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    strict = subprocess.run([*command, "--strict"], capture_output=True, text=True, timeout=120)
    assert strict.returncode == 1 and VERIFIED in strict.stderr
