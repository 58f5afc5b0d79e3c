"""lrplot's own pydantic models are built without third-party validation plugins.

pydantic looks for plugins (the ``pydantic`` entry-point group) the first time a model's
validator is built, and walks every installed distribution's entry points to find them:
~10 ms in an environment with a few hundred distributions, paid by every ``lrplot``
command. lrplot's internal models (a config's schema) have no use for a plugin that
observes validation, so their classes are built with ``PYDANTIC_DISABLE_PLUGINS=__all__``
set for the duration of the class statement and restored right after.

Why this leaves a user's own models untouched (pydantic 2.5-2.14,
``pydantic/plugin/_loader.py``): ``get_plugins`` reads the variable at each call and, when
it disables everything, returns before filling its module-level cache; the cache stays
empty, so the first model the user builds afterwards walks the entry points and loads
their plugins as before. A value the user set (``PYDANTIC_DISABLE_PLUGINS=logfire``) is
put back as it was. ``tests/test_startup.py`` checks both with a fake plugin.

The variable is process-wide while a class statement runs: a model built at that instant
by another thread would get no plugins (lrplot's models are built when
``lrplot.config`` is first imported).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel

PLUGINS_VARIABLE = "PYDANTIC_DISABLE_PLUGINS"


@contextmanager
def plugins_disabled() -> Iterator[None]:
    """pydantic builds no plugin into the validators made inside; the variable is restored after."""
    saved = os.environ.get(PLUGINS_VARIABLE)
    os.environ[PLUGINS_VARIABLE] = "__all__"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(PLUGINS_VARIABLE, None)
        else:
            os.environ[PLUGINS_VARIABLE] = saved


class OwnModelMetaclass(type(BaseModel)):  # type: ignore[misc]
    """pydantic's model metaclass, building each class (and its validator) with plugins disabled.

    Use it as ``class Model(BaseModel, metaclass=OwnModelMetaclass)``; subclasses inherit it.
    ``model_rebuild()`` (forward references) builds a validator too: call it inside
    :func:`plugins_disabled`.
    """

    def __new__(mcs, *args: Any, **kwargs: Any) -> type:
        with plugins_disabled():
            return super().__new__(mcs, *args, **kwargs)
