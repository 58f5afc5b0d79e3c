"""``-q``: nothing printed on success, errors always (issue 24).

A format relays its trainer's warnings as notes ("one training process assumed", "not
arguments of train.py, ignored: ..."): ``plot`` prints them, ``plot -q`` does not, and what
would make a curve wrong is a refusal (exit 2) that ``-q`` never hides. ``validate`` keeps
listing the schedule checks' findings.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

from tests.conftest import FIXTURES, ROOT

TIMM = FIXTURES / "timm" / "fastervit_faster_vit_0_224_1k.yaml"  # relays two notes of train.py's
NOTE = "lrplot: warning: timm train.py config: one training process assumed"
SFT = FIXTURES / "huggingface" / "llamafactory_qwen3_lora_sft.yaml"  # a warmup from 0: finding LR005


def test_plot_prints_the_formats_notes(cli, tmp_path: Path) -> None:
    result = cli("plot", TIMM, "--dataset-size", "1000", "-o", tmp_path / "a.csv")
    assert result.exit_code == 0, result.stderr
    assert NOTE in result.stderr


def test_plot_quiet_prints_nothing_on_success(cli, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    result = cli("plot", TIMM, "--dataset-size", "1000", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert out.read_text().startswith("curve,group,step,lr")


def test_plot_quiet_in_a_real_process_prints_nothing(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(TIMM), "--dataset-size", "1000", "-o", str(out), "-q"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert out.stat().st_size > 0


def test_plot_quiet_leaves_out_pythons_warnings_too(cli, tmp_path: Path, monkeypatch) -> None:
    """A library's warning (relayed as a line by the command) is left out under -q."""
    import lrplot.engines

    simulate = lrplot.engines.simulate

    def warning_simulate(*args, **kwargs):
        warnings.warn("a library says something", UserWarning, stacklevel=1)
        return simulate(*args, **kwargs)

    monkeypatch.setattr(lrplot.engines, "simulate", warning_simulate)
    loud = cli("plot", TIMM, "--dataset-size", "1000", "-o", tmp_path / "a.csv")
    assert "lrplot: warning: a library says something" in loud.stderr
    quiet = cli("plot", TIMM, "--dataset-size", "1000", "-o", tmp_path / "b.csv", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr


def test_plot_quiet_still_prints_errors(cli, tmp_path: Path) -> None:
    result = cli("plot", TIMM, "-o", tmp_path / "a.csv", "-q")  # no --dataset-size: refused
    assert result.exit_code == 2 and "--dataset-size N" in result.stderr
    assert result.stderr.count("\n") == 1


def test_validate_keeps_the_schedule_findings_that_plot_quiet_leaves_out(cli, tmp_path: Path) -> None:
    checked = cli("validate", SFT, "--dataset-size", "100")
    assert checked.exit_code == 0 and "[LR005]" in checked.stderr, checked.stderr
    quiet = cli("plot", SFT, "--dataset-size", "100", "-o", tmp_path / "a.csv", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr
