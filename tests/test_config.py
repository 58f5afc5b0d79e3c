"""The config layer: defaults, labels, numbers, and lines in messages."""

from __future__ import annotations

import pytest

import lrplot
from lrplot.config import merge_defaults
from lrplot.errors import LrplotError


def test_defaults_are_deep_merged_into_every_curve() -> None:
    config = lrplot.loads(
        """
        total_step: 10
        defaults:
          optimizer: {name: Adam, lr: 1.0, betas: [0.8, 0.9]}
          scheduler: {name: StepLR, step_size: 5}
        curves:
          - optimizer: {lr: 0.5}
          - scheduler: {gamma: 0.5}
          - scheduler: {name: ExponentialLR, gamma: 0.9}
        """
    )
    first, second, third = config.curves
    assert first.optimizer.name == "Adam" and first.optimizer.keywords == {"lr": 0.5, "betas": [0.8, 0.9]}
    assert second.scheduler.keywords == {"step_size": 5, "gamma": 0.5}
    assert third.scheduler.name == "ExponentialLR" and third.scheduler.keywords == {"gamma": 0.9}


def test_merge_does_not_mutate_defaults() -> None:
    defaults = {"optimizer": {"name": "SGD", "lr": 1.0}}
    merge_defaults(defaults, {"optimizer": {"lr": 0.1}})
    assert defaults == {"optimizer": {"name": "SGD", "lr": 1.0}}


def test_per_curve_total_step_overrides_the_top_level() -> None:
    config = lrplot.loads(
        "total_step: 10\ncurves:\n  - {scheduler: {name: StepLR, step_size: 1}, total_step: 3}\n"
        "  - {scheduler: {name: StepLR, step_size: 2}}\n"
    )
    assert [c.total_step for c in config.curves] == [3, 10]


def test_total_step_in_scientific_notation_is_accepted() -> None:
    config = lrplot.loads("total_step: 1e3\ncurves:\n  - scheduler: {name: StepLR, step_size: 1}\n")
    assert config.curves[0].total_step == 1000


def test_learning_rates_written_like_1e_minus_3_are_numbers() -> None:
    config = lrplot.loads(
        "total_step: 2\ncurves:\n  - {optimizer: {lr: 1e-3}, scheduler: {name: StepLR, step_size: 1}}\n"
    )
    assert config.curves[0].optimizer.keywords["lr"] == 0.001


def test_default_labels_are_the_scheduler_name_or_its_keywords_when_ambiguous() -> None:
    config = lrplot.loads(
        "total_step: 2\ncurves:\n  - scheduler: {name: StepLR, step_size: 1}\n"
        "  - scheduler: {name: StepLR, step_size: 2}\n  - scheduler: {name: ExponentialLR, gamma: 0.5}\n"
    )
    assert [c.label for c in config.curves] == ["StepLR(step_size=1)", "StepLR(step_size=2)", "ExponentialLR"]


def test_error_in_a_key_merged_from_defaults_points_at_defaults() -> None:
    with pytest.raises(LrplotError) as info:
        lrplot.simulate(
            lrplot.loads(
                "total_step: 2\ndefaults:\n  scheduler:\n    name: StepLR\n    step_sise: 3\n"
                "curves:\n  - label: a\n",
                name="c.yaml",
            )
        )
    assert str(info.value).startswith("c.yaml:5: curve 'a': scheduler StepLR has no keyword 'step_sise'")


def test_unknown_plot_key_lists_valid_ones() -> None:
    with pytest.raises(LrplotError, match="unknown key 'colour' in plot; valid keys: yscale, size, dpi"):
        lrplot.loads(
            "total_step: 2\nplot: {colour: red}\ncurves:\n  - scheduler: {name: StepLR, step_size: 1}\n"
        )
