"""Scheduler drivers: lrplot classes that step another ecosystem's scheduler as its loop does."""

from __future__ import annotations

import pytest

from lrplot.errors import LrplotError
from lrplot.plan.classes import resolve, scheduler_classes
from lrplot.plan.drivers import is_driver


def test_a_helper_inside_the_drivers_package_is_not_a_driver() -> None:
    with pytest.raises(LrplotError, match="is not an lrplot scheduler driver"):
        resolve(
            "lrplot.plan.drivers.is_driver", "scheduler", scheduler_classes(), ("torch.optim",), ("name",)
        )


def test_only_marked_classes_of_the_package_are_drivers() -> None:
    class Outside:
        lrplot_driver = True

    assert not is_driver(Outside) and not is_driver(is_driver)
