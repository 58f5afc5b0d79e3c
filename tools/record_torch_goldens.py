"""Record goldens of the installed torch release: every case of lrplot.plan.release_cases,
stepped by hand with that torch's own classes, written as one compact fixture.

Run it with the Python of a venv that has the torch release to record (it needs torch
and the standard library only, not lrplot's dependencies)::

    python3 -m venv /tmp/torch-2.4
    PIP_CONSTRAINT=/dev/null /tmp/torch-2.4/bin/pip install torch==2.4.1 'numpy<2'
    /tmp/torch-2.4/bin/python tools/record_torch_goldens.py  # -> torch_releases/torch-2.4.1.json

The fixture holds the torch version (metadata and ``torch.__version__``), the fingerprint
of its scheduler sources (lrplot.plan.releases.fingerprint), and per case the lr of every
group at every step (and momentum/beta1 where the scheduler cycles it) as base64 of the
little-endian doubles, or the error torch raised. tests/test_torch_releases.py checks the
torch-free engine against every fixture under that release's semantics.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import math
import platform
import struct
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "torch_releases"


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _pack(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode("ascii")


def _lambda(expression: Any) -> Any:
    """lrplot's ``lr_lambda`` expressions of ``step`` (``epoch`` an alias), as Python functions.
    The case set's own expressions only (plain arithmetic), never a user's config."""
    if isinstance(expression, list):
        return [_lambda(e) for e in expression]
    code = compile(f"lambda step, epoch=None: ({expression})", "<case>", "eval")
    function = eval(code, {"__builtins__": {}, "math": math})
    return lambda step: function(step, step)


def _scheduler(torch: Any, spec: dict[str, Any], optimizer: Any) -> Any:
    keywords = {k: v for k, v in spec.items() if k not in ("name", "schedulers")}
    name = spec["name"]
    if "lr_lambda" in keywords:
        keywords["lr_lambda"] = _lambda(keywords["lr_lambda"])
    if name == "SWALR":
        from torch.optim.swa_utils import SWALR

        return SWALR(optimizer, **keywords)
    cls = getattr(torch.optim.lr_scheduler, name)
    children = [_scheduler(torch, child, optimizer) for child in spec.get("schedulers", [])]
    if name == "SequentialLR":
        return cls(optimizer, children, **keywords)
    if name == "ChainedScheduler":
        return cls(children)
    return cls(optimizer, **keywords)


def _cycles_momentum(spec: dict[str, Any]) -> bool:
    return spec["name"] in ("OneCycleLR", "CyclicLR") and spec.get("cycle_momentum", True)


def run_case(torch: Any, case: dict[str, Any]) -> dict[str, Any]:
    """One case as lrplot's loop runs it: record every group's lr (then momentum or beta1),
    then step; a segment's last step is taken only when another segment follows."""
    curve = case["curve"]
    spec = dict(curve["optimizer"])
    name = spec.pop("name")
    raw_groups = spec.pop("param_groups", [{}])
    initial_lr = spec.pop("initial_lr", None)
    if "betas" in spec:
        spec["betas"] = tuple(spec["betas"])
    groups = []
    for raw in raw_groups:
        group = {k: v for k, v in raw.items() if k != "name"}
        if initial_lr is not None:
            group.setdefault("initial_lr", initial_lr)
        groups.append({"params": [torch.zeros(1, requires_grad=True)], **group})
    optimizer = getattr(torch.optim, name)(groups, **spec)
    segments = curve.get("segments") or [{"steps": case["steps"], "scheduler": curve["scheduler"]}]
    interval = curve.get("interval", "step")
    per_epoch = curve.get("steps_per_epoch") or 1
    cycling = any(_cycles_momentum(s["scheduler"]) for s in segments)
    first = optimizer.param_groups[0]
    key = ("betas" if "betas" in first else "momentum" if "momentum" in first else None) if cycling else None
    lrs: list[list[float]] = [[] for _ in groups]
    momenta: list[list[float]] = [[] for _ in groups]
    offset = 0
    for index, segment in enumerate(segments):
        scheduler = _scheduler(torch, segment["scheduler"], optimizer)
        end = offset + segment["steps"]
        stop = end if index < len(segments) - 1 else end - 1
        for step in range(offset, end):
            for trace, group in zip(lrs, optimizer.param_groups, strict=True):
                trace.append(float(group["lr"]))
            if key is not None:
                for trace, group in zip(momenta, optimizer.param_groups, strict=True):
                    trace.append(float(group["betas"][0] if key == "betas" else group[key]))
            if step < stop:
                if interval == "step":
                    scheduler.step()
                elif interval == "epoch":
                    if (step + 1) % per_epoch == 0:
                        scheduler.step()
                else:
                    epoch, iteration = divmod(step, per_epoch)
                    scheduler.step(epoch + iteration / per_epoch)
        offset = end
    out: dict[str, Any] = {"lr": [_pack(t) for t in lrs]}
    if key is not None:
        out["momentum"] = [_pack(t) for t in momenta]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="fixture path (default: by version)")
    args = parser.parse_args()
    cases = _load("_lrplot_release_cases", ROOT / "lrplot" / "plan" / "release_cases.py")
    releases = _load("_lrplot_releases", ROOT / "lrplot" / "plan" / "releases.py")
    folder = releases.torch_folder()
    assert folder is not None, "no torch installed"
    import torch

    version = metadata.version("torch")
    results: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases.CASES:
            try:
                results[case["id"]] = run_case(torch, case)
            except Exception as exc:  # torch refuses the case: recorded as such
                results[case["id"]] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    fixture = {
        "torch": version,
        "torch_version": torch.__version__,
        "fingerprint": releases.fingerprint(folder),
        "python": platform.python_version(),
        "cases": results,
    }
    path = args.out or OUT / f"torch-{version.split('+')[0]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    errors = sum("error" in r for r in results.values())
    print(f"{path}: {len(results)} cases ({errors} refused by torch), fingerprint {fixture['fingerprint']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
