"""The one-time self-check of a torch whose scheduler sources lrplot has not seen.

lrplot.plan.releases trusts only the fingerprints lrplot was verified on. For any other
(a new release, a patched or nightly torch) this module runs the compact case set of
lrplot.plan.release_cases twice: stepping the installed torch (the torch engine) and
through the torch-free engine under the semantics its version suggests. Every case must
give the same doubles (and torch must accept every case the torch-free planner accepts);
then the torch-free engine follows that torch from now on. Any disagreement and lrplot
steps torch. The verdict is cached per torch version, fingerprint and lrplot version in
the user's cache folder, so the check (a few seconds, importing torch) runs once.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

from lrplot.config import loads
from lrplot.errors import LrplotError
from lrplot.plan import releases
from lrplot.plan.release_cases import CASES, config_of

Simulate = Callable[..., Any]  # lrplot.engines.simulate, passed in: this module is below it


def ensure(simulate: Simulate) -> releases.Decision:
    """The decision on the installed torch, self-checking it first when it is new to lrplot."""
    decision = releases.decide()
    if decision.checked or decision.version is None or decision.fingerprint is None:
        return decision
    semantics = releases.semantics_for_version(decision.version)
    culprit = disagreement(semantics, simulate)
    if culprit is None:
        reason = (
            f"torch {decision.version}: scheduler sources new to lrplot, checked once against it "
            f"({len(CASES)} cases agree with torch {semantics}'s formulas)"
        )
        releases.write_cache(decision.version, decision.fingerprint, semantics, reason)
    else:
        reason = (
            f"lrplot steps torch: torch {decision.version}'s schedulers differ from the formulas "
            f"lrplot knows (self-check case {culprit})"
        )
        releases.write_cache(decision.version, decision.fingerprint, None, reason)
    return releases.decide()


def disagreement(semantics: str, simulate: Simulate) -> str | None:
    """The first case where the torch-free engine under ``semantics`` and the installed torch
    differ, or None when every case agrees."""
    from lrplot.plan.free import plan_free

    for case in CASES:
        config = loads(json.dumps(config_of([case])), name="selfcheck.json")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                real = simulate(config, engine="torch")
        except LrplotError:
            real = None
        with releases.forced(semantics):
            plans = plan_free(config)
            if plans is None:
                continue  # declined: torch runs it (and says what it refuses)
            if real is None:
                return case["id"]
            try:
                free = simulate(config, plans=plans)
            except LrplotError:
                return case["id"]
        for mine, theirs in zip(free.curves, real.curves, strict=True):
            for a, b in zip(mine.groups, theirs.groups, strict=True):
                if a.lr.tobytes() != b.lr.tobytes():
                    return case["id"]
                if (a.momentum is None) != (b.momentum is None):
                    return case["id"]
                if a.momentum is not None and a.momentum.tobytes() != b.momentum.tobytes():
                    return case["id"]
    return None
