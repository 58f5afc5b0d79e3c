"""Drivers: other ecosystems' schedulers stepped as their own training loops step them.

lrplot's loop records every param group's lr, then calls ``scheduler.step()`` once per
optimizer step. A scheduler whose training loop calls it differently (timm's
``step_update(num_updates)`` per update and ``step(epoch)`` per epoch, mmengine's runner
stepping iteration- and epoch-based schedulers side by side, DeepSpeed's engine) gets a
*driver*: a class in a module of this package, built as ``Driver(optimizer, **keywords)``
(the keywords checked against its signature like a torch class's), that constructs the
ecosystem's own scheduler objects on the optimizer and whose ``step()`` makes exactly
the calls that loop makes after one optimizer step. The values stay the library's own.

A driver class sets ``lrplot_driver = True``; configs may name it by its dotted path
(``lrplot.plan.drivers.<module>.<Class>``) without ``--allow-import``, and a format
module names it in the lrplot config data it produces. ``library`` (optional) names what
it runs, for messages. A problem it finds in its keywords is an ``LrplotError`` whose
``key_path`` is relative to its scheduler node (``("param_scheduler", 1, "T_max")``), so
the message points at that key's line.

A driver whose schedulers change more than the lr says so with a class method
``changes(keywords) -> set[str]`` naming ``"momentum"`` (momentum, or beta1 where the
groups have betas) and/or ``"weight_decay"``: lrplot then records and draws those too.
"""

from __future__ import annotations

from typing import Any

DRIVERS_PACKAGE = "lrplot.plan.drivers"


def is_driver(obj: Any) -> bool:
    """Whether ``obj`` is a driver class of this package (so a config may name it)."""
    return (
        isinstance(obj, type)
        and getattr(obj, "lrplot_driver", False) is True
        and obj.__module__.startswith(DRIVERS_PACKAGE + ".")
    )


def driver_changes(obj: Any, keywords: dict[str, Any]) -> set[str]:
    """What besides the lr a driver's schedulers change ("momentum", "weight_decay")."""
    declared = getattr(obj, "changes", None) if is_driver(obj) else None
    return set(declared(keywords)) if callable(declared) else set()
