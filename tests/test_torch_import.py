"""torch's import in the command line: numpy 2's banner beside a torch built for NumPy 1.x is
one warning line (lrplot.torch_import), everything else torch writes passes through."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

# A stand-in for torch 2.2 beside numpy 2: what numpy's _multiarray_umath and torch's
# tensor_numpy.cpp do on that pair (one write() of the banner with a stack, then a warning).
FAKE_TORCH = """
import sys, warnings
sys.stderr.write("\\nA module that was compiled using NumPy 1.x cannot be run in\\nNumPy 2.4.6 as it may crash."
                 "\\nTraceback (most recent call last):  File \\"x.py\\", line 1, in <module>\\n")
warnings.warn("Failed to initialize NumPy: _ARRAY_API not found", UserWarning)
sys.stderr.write("torch's own line\\n")
__version__ = "2.2.2+cpu"
"""

PROBE = """
import sys, warnings
from lrplot import torch_import
from lrplot.commands.errors import warnings_as_lines
torch_import.install()
torch_import.install()
assert sum(isinstance(f, torch_import.TorchImportNotes) for f in sys.meta_path) == 1
import importlib.util
assert importlib.util.find_spec("torch") is not None  # a look-up runs nothing
with warnings_as_lines():
    import torch
print(torch.__version__)
"""


def _run(tmp_path: Path, fake: str, probe: str = PROBE) -> subprocess.CompletedProcess[str]:
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(fake)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(probe)], capture_output=True, text=True, env=env, cwd=tmp_path
    )


def test_the_banner_and_the_bridge_warning_become_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, FAKE_TORCH)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2.2.2+cpu\n"
    assert "Traceback" not in done.stderr and "Failed to initialize NumPy" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "torch's own line"  # what torch writes otherwise passes through, in order
    assert lines[1].startswith("lrplot: warning: torch 2.2.2+cpu was built for NumPy 1.x and numpy ")
    assert "pip install 'numpy<2'" in lines[1] and len(lines) == 2


def test_the_forkserver_drops_the_banner_without_a_word(tmp_path: Path) -> None:
    """lrplot.engines.quiet_torch, the first module a command's forkserver imports."""
    probe = "import lrplot.engines.quiet_torch\nimport torch\nprint(torch.__version__)\n"
    done = _run(tmp_path, FAKE_TORCH, probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2.2.2+cpu\n" and done.stderr == "torch's own line\n"


def test_a_torch_that_imports_cleanly_says_nothing(tmp_path: Path) -> None:
    done = _run(tmp_path, "import sys\nsys.stderr.write('torch says this\\n')\n__version__ = '2.13.0'\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "torch says this\n"


def test_without_the_finder_torch_speaks_as_it_does(tmp_path: Path) -> None:
    """The Python API installs nothing: the banner is torch's (the test's stand-in is faithful)."""
    probe = "import warnings\nfrom lrplot.commands.errors import warnings_as_lines\nwith warnings_as_lines():\n    import torch\n"
    done = _run(tmp_path, FAKE_TORCH, probe)
    assert "A module that was compiled using NumPy 1.x" in done.stderr and "Traceback" in done.stderr


def test_the_finder_is_installed_once_and_not_after_torch() -> None:
    import torch  # noqa: F401

    from lrplot import torch_import

    before = list(sys.meta_path)
    torch_import.install()  # torch is imported already: nothing to do
    assert sys.meta_path == before


@pytest.mark.skipif(not Path("/work/torchvenvs/2.2.2/bin/python").exists(), reason="needs a torch 2.2.2 venv")
def test_real_torch_2_2_beside_numpy_2(tmp_path: Path) -> None:
    python = "/work/torchvenvs/2.2.2/bin/python"
    (tmp_path / "c.yaml").write_text("total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    command = [python, "-m", "lrplot", "plot", "c.yaml", "-f", "csv", "--engine", "torch"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Failed to initialize NumPy" not in done.stderr
    numpy2 = subprocess.run(
        [python, "-c", "import numpy; print(numpy.__version__)"], capture_output=True, text=True
    )
    if numpy2.stdout.startswith("2"):
        assert "was built for NumPy 1.x" in done.stderr
    (tmp_path / "two.yaml").write_text(
        "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n"
        "  - scheduler: {name: StepLR, step_size: 5}\n"
    )
    parallel = [python, "-m", "lrplot", "plot", "two.yaml", "-o", "two.csv", "--engine", "torch", "-j", "2"]
    done = subprocess.run(parallel, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Failed to initialize NumPy" not in done.stderr  # the workers'
    assert done.stderr.count("was built for NumPy 1.x") == (1 if numpy2.stdout.startswith("2") else 0)
