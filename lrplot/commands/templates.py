"""Starter configs for ``lrplot init``: commented, and each plots as it is."""

from __future__ import annotations

HEADER = """\
# lrplot config: draw it with  lrplot plot {path}
# Every key is described in docs/config.md (in lrplot's repository); scheduler keywords:
#   lrplot list NAME;  check this file with  lrplot validate {path}
# Editors with a YAML language server complete and check this file after
#   lrplot schema > lrplot.schema.json   and the first line:
# yaml-language-server: $schema=lrplot.schema.json
"""

TEMPLATES: dict[str, tuple[str, str]] = {
    "warmup-cosine": (
        "linear warmup, then cosine decay (LLM pre-training style)",
        """\
title: "Warmup + cosine"
total_step: 10000            # steps to simulate
# Compare variants without editing this file, e.g.:
#   lrplot plot lrplot.yaml --sweep optimizer.lr=1e-4,3e-4,1e-3

curves:
  - label: "AdamW, peak {optimizer.lr}"
    optimizer:
      name: AdamW                # any class in torch.optim
      lr: 3.0e-4                 # the peak learning rate
      betas: [0.9, 0.95]
      weight_decay: 0.1
    scheduler:
      name: SequentialLR         # runs the nested schedulers one after another
      milestones: [500]          # the step at which the second scheduler takes over
      schedulers:
        - {name: LinearLR, start_factor: 1.0e-3, end_factor: 1.0, total_iters: 500}
        - {name: CosineAnnealingLR, T_max: "total_step - 500", eta_min: 3.0e-5}  # follows total_step
""",
    ),
    "cosine": (
        "CosineAnnealingLR for a few eta_min values",
        """\
title: CosineAnnealingLR
total_step: 100

curves:
  - label: "eta_min={scheduler.eta_min}"
    scheduler: {name: CosineAnnealingLR, T_max: "total_step"}   # T_max follows the run
    sweep: {scheduler.eta_min: [0.0, 0.2, 0.5]}
""",
    ),
    "step": (
        "epoch-based MultiStepLR, stepped once per epoch",
        """\
title: "MultiStepLR, stepped per epoch"
total_step: 9000             # iterations
dataset_size: 50000          # with batch_size: 100 iterations per epoch
batch_size: 500
interval: epoch              # scheduler.step() once per epoch

curves:
  - optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
    scheduler: {name: MultiStepLR, milestones: [30, 60, 80], gamma: 0.1}
""",
    ),
    "onecycle": (
        "OneCycleLR with the momentum it cycles",
        """\
title: OneCycleLR
total_step: 1000

curves:
  - label: "SGD, cos"
    optimizer: {name: SGD, lr: 0.01, momentum: 0.9}
    scheduler: {name: OneCycleLR, max_lr: 0.1, total_steps: "total_step"}
  - label: "SGD, linear, three phases"
    optimizer: {name: SGD, lr: 0.01, momentum: 0.9}
    scheduler:
      name: OneCycleLR
      max_lr: 0.1
      total_steps: "total_step"   # follows the run
      anneal_strategy: linear
      three_phase: true
""",
    ),
    "plateau": (
        "ReduceLROnPlateau driven by a loss-like metric expression",
        """\
title: ReduceLROnPlateau
total_step: 200

curves:
  - scheduler: {name: ReduceLROnPlateau, mode: min, factor: 0.5, patience: 10}
    # the metric: 'lr', an expression in step and lr, or {csv: log.csv, column: val_loss}
    metric: "max(0.3, 2.0 * exp(-step / 40))"
""",
    ),
    "compare": (
        "several schedulers side by side",
        """\
title: "Comparing schedules"
total_step: 300
defaults:
  optimizer: {name: SGD, lr: 0.1}

curves:
  - scheduler: {name: StepLR, step_size: 100, gamma: 0.3}
  - scheduler: {name: ExponentialLR, gamma: 0.99}
  - scheduler: {name: CosineAnnealingLR, T_max: "total_step"}   # lengths may follow the run
  - scheduler: {name: LinearLR, start_factor: 1.0, end_factor: 0.0, total_iters: "total_step"}
""",
    ),
}

DEFAULT_TEMPLATE = "warmup-cosine"


def render(name: str, path: str) -> str:
    """The template's text with its header naming ``path``."""
    _, body = TEMPLATES[name]
    return HEADER.format(path=path) + "\n" + body
