"""The shipped pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit itself.

The hook is declared ``language: python``: pre-commit then pip-installs lrplot (and torch)
into its own environment, which needs the package index. So that this test runs in CI
without network, it lays the shipped hook's own entry, ``files`` and ``pass_filenames``
into a ``repo: local`` hook with ``language: system`` (the lrplot of this environment,
this worktree first on PYTHONPATH): pre-commit's file selection, argument passing and
exit handling are the real ones, only the environment is not built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytest.importorskip("pre_commit")

GOOD = "total_step: 100\ncurves:\n  - {label: cos, scheduler: {name: CosineAnnealingLR, T_max: 100}}\n"
CLIMBS_BACK = GOOD.replace("T_max: 100", "T_max: 30")


def _shipped_hook() -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "lrplot-validate"]
    return hook


def test_the_shipped_hook_runs_validate_strict_on_the_named_configs() -> None:
    hook = _shipped_hook()
    assert hook["entry"] == "lrplot validate --strict" and hook["pass_filenames"] is True
    assert hook["language"] == "python"
    import re

    assert re.search(hook["files"], "configs/warmup.yaml") and not re.search(hook["files"], ".github/ci.yml")


def _repo(tmp_path: Path, config: str) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    (repo / "configs").mkdir(parents=True)
    (repo / "configs" / "schedule.yaml").write_text(config)
    (repo / "notes.yaml").write_text("not: a schedule\n")  # outside files: never passed
    hook = {**_shipped_hook(), "language": "system"}
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}, sort_keys=False)
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "MPLBACKEND": "Agg",
        "NO_COLOR": "1",
    }
    git = shutil.which("git")
    assert git, "git is needed to run pre-commit"
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run([git, *args], cwd=repo, check=True, env=env)
    return repo, env


def _pre_commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_pre_commit_passes_a_good_config(tmp_path: Path) -> None:
    result = _pre_commit(*_repo(tmp_path, GOOD))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lrplot validate --strict" in result.stdout and "Passed" in result.stdout


def test_pre_commit_fails_a_schedule_warning_with_the_lint_line(tmp_path: Path) -> None:
    result = _pre_commit(*_repo(tmp_path, CLIMBS_BACK))
    assert result.returncode == 1 and "Failed" in result.stdout
    assert (
        "warning [LR001]: configs/schedule.yaml:3: curve 'cos': CosineAnnealingLR's T_max is 30"
        in result.stdout
    )
    assert "notes.yaml" not in result.stdout
