"""Coverage-guided fuzzing of the config path with atheris (run by hand, it runs until stopped).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_config.py -max_total_time=600 -rss_limit_mb=4096

Feeds arbitrary bytes as a config file through load → plan → simulate (bounded to short
curves) and fails on anything but success or lrplot's own error. The bounded property
tests in tests/test_fuzz.py cover the same ground in every test run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["lrplot", "yaml"]):
    import yaml  # noqa: F401 - instrumented for coverage

    import lrplot
    import lrplot.config
    import lrplot.engines
    import lrplot.expressions
    import lrplot.formats
    import lrplot.overrides
    import lrplot.plan
    from lrplot.errors import LrplotError

FOLDER = Path(tempfile.mkdtemp(prefix="lrplot-fuzz-"))
MAX_STEPS = 2_000


def one_input(data: bytes) -> None:
    path = FOLDER / "c.yaml"
    path.write_bytes(data)
    try:
        config = lrplot.load(path)
        if sum(curve.total_step for curve in config.curves) > MAX_STEPS:
            return  # long but valid: not what this harness looks for
        lrplot.simulate(config, workers=1)
    except LrplotError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
