"""``lrplot list``: every ecosystem lrplot draws, with parameters as the installed libraries declare them.

The catalog reads the libraries' source files without importing them (``lrplot list`` must
stay instant); these tests import the real libraries and compare: names with their
registries and exports, parameters and defaults with ``inspect.signature``, and what the
catalog says about behaviour (which ``sched`` builds which timm class, which
``lr_scheduler_type`` ignores ``lr_scheduler_kwargs``) with what the library does.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from lrplot.commands.catalog import ECOSYSTEMS, catalog, find, sections
from lrplot.commands.catalog.model import Entry

ROOT = Path(__file__).resolve().parent.parent
needs_timm = pytest.mark.skipif(
    importlib.util.find_spec("timm") is None, reason="timm is not installed (CI: pip install --no-deps timm)"
)


def entries(ecosystem: str) -> dict[str, Entry]:
    return {entry.name: entry for entry in catalog([ecosystem])}


def real_init(cls: type) -> Any:
    """The ``__init__`` Python runs for ``cls`` that names its keywords (skipping pass-through mixins)."""
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is not None and not any(
            p.kind is p.VAR_KEYWORD for p in inspect.signature(init).parameters.values()
        ):
            return init
    raise AssertionError(f"{cls} has no __init__ naming its keywords")


def assert_same_parameters(entry: Entry, real: Any, supplied: set[str]) -> None:
    """Names, order, required-ness and defaults (evaluated in the library's module) all agree."""
    theirs = [p for p in inspect.signature(real).parameters.values() if p.name not in supplied]
    stars = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    assert [p.name for p in entry.parameters] == [stars.get(p.kind, "") + p.name for p in theirs], entry.name
    namespace = dict(vars(inspect.getmodule(real)))
    for ours, their in zip(entry.parameters, theirs, strict=True):
        if ours.variadic:
            continue
        if ours.default is None:
            assert their.default is inspect.Parameter.empty, (entry.name, ours.name)
        else:
            assert eval(ours.default, namespace) == their.default, (entry.name, ours.name)


# --- the command -------------------------------------------------------------------------------


def test_list_has_a_section_per_ecosystem_with_real_parameter_names(cli) -> None:
    result = cli("list")
    assert result.exit_code == 0
    out = result.stdout
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    starts = ["torch ", "transformers ", "Hugging Face Trainer ", "timm ", "mmengine ", "DeepSpeed "]
    first = [next(i for i, h in enumerate(headings) if h.startswith(start)) for start in starts]
    assert first == sorted(first), headings  # grouped by ecosystem, in this order
    assert "\n  CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1)\n" in out
    assert re.search(
        r"\n  get_cosine_schedule_with_warmup\(num_warmup_steps, num_training_steps, num_cycles=", out
    )
    assert re.search(r"\n  cosine\(num_cycles=.*\[get_cosine_schedule_with_warmup\]", out)
    assert re.search(r"\n  CosineAnnealingMomentum\(T_max=None, eta_min=None, begin=0, end=INF", out)
    assert re.search(r"\n  WarmupLR\(warmup_min_lr=.*warmup_num_steps=\d+, warmup_type='log'", out)
    if importlib.util.find_spec("timm") is not None:
        assert re.search(r"\n  CosineLRScheduler\(t_initial, lr_min=.*\[sched: cosine\]", out)


def test_list_marks_what_lrplot_does_not_draw(cli) -> None:
    out = cli("list", "-e", "huggingface", "-e", "mmengine").stdout
    assert re.search(r"\n  reduce_lr_on_plateau\(.*\[get_reduce_on_plateau_schedule; not drawn\]", out)
    assert re.search(r"\n  ReduceOnPlateauLR\(.*\[not drawn\]", out)
    assert re.search(r"\n  constant\(\)  \[get_constant_schedule, lr_scheduler_kwargs ignored\]", out)


def test_ecosystem_option_lists_only_that_ecosystem(cli) -> None:
    out = cli("list", "--ecosystem", "DeepSpeed").stdout
    assert out.startswith("DeepSpeed ") and "CosineAnnealingLR" not in out and "WarmupCosineLR(" in out


@pytest.mark.parametrize(
    ("name", "first_line", "parameter"),
    [
        ("cosineannealinglr", "CosineAnnealingLR  (torch.optim.lr_scheduler.CosineAnnealingLR, scheduler)", "  T_max: int  (required)"),
        ("torch.optim.AdamW", "AdamW  (torch.optim.adamw.AdamW, optimizer)", "  betas: "),
        ("get_wsd_schedule", "get_wsd_schedule  (transformers.optimization.get_wsd_schedule, transformers schedule function)", "  num_decay_steps: int  (required)"),
        ("huggingface.cosine", "cosine  (transformers.optimization.get_cosine_schedule_with_warmup, Hugging Face Trainer lr_scheduler_type)", "  num_cycles: float  (default 0.5)"),
        ("mmengine.CosineAnnealingLR", "CosineAnnealingLR  (mmengine.optim.scheduler.lr_scheduler.CosineAnnealingLR, mmengine param_scheduler type)", "  eta_min_ratio: "),
        ("WarmupDecayLR", "WarmupDecayLR  (deepspeed.runtime.lr_schedules.WarmupDecayLR, DeepSpeed schedule)", "  total_num_steps: int  (required)"),
        pytest.param("timm.cosine", "CosineLRScheduler  (timm.scheduler.cosine_lr.CosineLRScheduler, timm scheduler)", "  t_initial: int  (required)", marks=needs_timm),
        pytest.param("timm.scheduler.WSDLRScheduler", "WSDLRScheduler  (timm.scheduler.wsd_lr.WSDLRScheduler, timm scheduler)", "  decay_t: int  (required)", marks=needs_timm),
    ],
)  # fmt: skip
def test_list_one_entry_of_each_ecosystem(cli, name: str, first_line: str, parameter: str) -> None:
    result = cli("list", name)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == first_line
    assert any(line.startswith(parameter) for line in lines), result.stdout
    assert any(line.startswith("in a config: ") for line in lines)


def test_shared_name_shows_torch_and_names_the_others(cli) -> None:
    out = cli("list", "CosineAnnealingLR").stdout
    assert out.splitlines()[:2] == [
        "CosineAnnealingLR  (torch.optim.lr_scheduler.CosineAnnealingLR, scheduler)",
        "also: mmengine.CosineAnnealingLR (lrplot list mmengine.CosineAnnealingLR)",
    ]
    chosen = cli("list", "mmengine.CosineAnnealingLR").stdout
    assert (
        "mmengine param_scheduler type" in chosen.splitlines()[0]
        and "  by_epoch: bool  (default True)" in chosen
    )
    assert "mmengine param_scheduler type" in cli("list", "-e", "mmengine", "CosineAnnealingLR").stdout


@needs_timm
def test_sched_name_shared_with_the_trainer_names_both(cli) -> None:
    out = cli("list", "cosine").stdout
    assert out.splitlines()[1] == "also: timm.cosine (lrplot list timm.cosine)"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "CosineAnealingLR",
            "no scheduler or optimizer named 'CosineAnealingLR' (did you mean 'CosineAnnealingLR'?)",
        ),
        ("get_cosine_schedule_with_warmp", "(did you mean 'get_cosine_schedule_with_warmup'?)"),
        ("mmengine.CosineAnealingLR", "(did you mean 'mmengine.CosineAnnealingLR'?)"),
        ("WarmupCosinLR", "(did you mean 'WarmupCosineLR'?)"),
    ],
)
def test_unknown_name_is_one_line_with_a_suggestion(cli, name: str, message: str) -> None:
    result = cli("list", name)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr


def _without(monkeypatch: pytest.MonkeyPatch, *packages: str) -> None:
    """Make ``packages`` look uninstalled to anything that looks them up."""
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name.split(".")[0] in packages else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_missing_library_is_one_line_with_its_install_command(cli, monkeypatch) -> None:
    _without(monkeypatch, "timm", "deepspeed")
    result = cli("list")
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert "\ntimm schedulers  (not installed: pip install 'lrplot[timm]')\n" in result.stdout
    assert "\nDeepSpeed schedules  (not installed: pip install 'lrplot[deepspeed]')" in result.stdout
    assert "\n  CosineAnnealingMomentum(" in result.stdout  # the others are still listed
    missing = cli("list", "timm.cosine")
    assert missing.exit_code == 2
    assert (
        missing.stderr.strip()
        == "lrplot: error: 'timm.cosine': timm is not installed (pip install 'lrplot[timm]')"
    )
    unknown = cli("list", "WarmupLR")
    assert unknown.exit_code == 2 and "not installed: timm, deepspeed" in unknown.stderr


def test_unreadable_library_is_one_line(cli, monkeypatch) -> None:
    from lrplot.commands.catalog import mmengine_scheduler

    def unreadable() -> list[Any]:
        raise SyntaxError("invalid syntax (param_scheduler.py, line 1)")

    monkeypatch.setattr(mmengine_scheduler, "sections", unreadable)
    result = cli("list", "-e", "mmengine")
    assert result.exit_code == 0
    assert (
        result.stdout
        == "mmengine  (could not read its schedules: SyntaxError: invalid syntax (param_scheduler.py, line 1))\n"
    )


def test_app_offers_every_ecosystem() -> None:
    from lrplot.commands.app import CATALOG_ECOSYSTEMS

    assert tuple(ECOSYSTEMS) == CATALOG_ECOSYSTEMS


def test_list_imports_none_of_the_libraries_it_lists() -> None:
    """A real process: the whole list, read without importing torch or any ecosystem's library."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['lrplot', 'list']\n"
        "try:\n    runpy.run_module('lrplot', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "heavy = ('torch', 'transformers', 'timm', 'mmengine', 'deepspeed', 'numpy', 'lrplot.plan')\n"
        "print('imported:', sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "imported: []"
    assert "\n  WarmupCosineLR(" in done.stdout and "\n  get_wsd_schedule(" in done.stdout


# --- the catalog against the real libraries -----------------------------------------------------


def test_torch_optimizers_match_their_signatures() -> None:
    from lrplot.plan.classes import optimizer_classes

    found = entries("torch")
    for name, cls in optimizer_classes().items():
        assert found[name].kind == "optimizer"
        assert_same_parameters(found[name], cls.__init__, {"self", "params"})


def test_transformers_functions_are_the_allowed_factories_with_their_signatures() -> None:
    transformers = pytest.importorskip("transformers")
    from lrplot.plan.classes import SCHEDULE_FACTORIES, allowed_imports, resolve, scheduler_classes

    found = entries("transformers")
    exported = {n for n in dir(transformers) if SCHEDULE_FACTORIES.fullmatch(f"transformers.{n}")}
    assert exported <= set(found)
    for name, entry in found.items():
        spelled = re.fullmatch(r"scheduler: \{name: (\S+), \.\.\.\}", entry.usage).group(1)
        assert spelled == (
            f"transformers.{name}" if name in exported else f"transformers.optimization.{name}"
        )
        function = resolve(spelled, "scheduler", scheduler_classes(), allowed_imports(), ())
        passed_to = re.search(r"its keywords are (\w+)'s \(transformers\.optimization\.", entry.note or "")
        if passed_to:  # (optimizer, **kwargs) -> the class those keywords build
            cls = getattr(transformers.optimization, passed_to.group(1))
            assert_same_parameters(entry, cls.__init__, {"self", "optimizer"})
        else:
            assert_same_parameters(entry, function, {"optimizer"})


def test_trainer_types_map_to_get_schedulers_functions_and_kwargs() -> None:
    pytest.importorskip("transformers")
    import torch
    from transformers.optimization import TYPE_TO_SCHEDULER_FUNCTION, get_scheduler
    from transformers.trainer_utils import SchedulerType

    found = entries("huggingface")
    assert list(found) == [member.value for member in SchedulerType]
    for name, entry in found.items():
        function = TYPE_TO_SCHEDULER_FUNCTION[SchedulerType(name)]
        assert entry.target == f"transformers.optimization.{function.__name__}"
        if not entry.drawn:
            continue
        ignored = "lr_scheduler_kwargs ignored" in entry.tag
        if ignored:
            assert entry.parameters == []
        else:
            assert_same_parameters(entry, function, {"optimizer", "num_warmup_steps", "num_training_steps"})
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        call = functools.partial(
            get_scheduler, name, optimizer, num_warmup_steps=2, num_training_steps=10,
            scheduler_specific_kwargs={"not_a_keyword": 1, "num_decay_steps": 2},
        )  # fmt: skip
        if ignored:
            call()  # get_scheduler drops lr_scheduler_kwargs for these
        else:
            with pytest.raises(TypeError, match="not_a_keyword"):
                call()


@needs_timm
def test_timm_classes_and_sched_names_are_timms() -> None:
    import torch

    from lrplot.plan.drivers.timm import load_timm_scheduler, scheduler_names

    module = load_timm_scheduler()
    found = entries("timm")
    assert {f"timm.scheduler.{name}" for name in found} == set(scheduler_names())
    for name, entry in found.items():
        cls = getattr(module, name)
        assert_same_parameters(entry, real_init(cls), {"self", "optimizer"})
        for sched in entry.aliases:
            if "." in sched:
                continue
            optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
            with warnings.catch_warnings():  # timm deprecates plateau, still builds it
                warnings.simplefilter("ignore", FutureWarning)
                built, _ = module.create_scheduler_v2(optimizer, sched=sched, num_epochs=10, warmup_epochs=1)
            assert type(built) is cls, (sched, type(built))
    sched_names = {alias for entry in found.values() for alias in entry.aliases if "." not in alias}
    assert sched_names >= {"cosine", "step", "plateau", "poly"}


def test_mmengine_types_are_its_registry_with_the_keywords_the_driver_checks() -> None:
    pytest.importorskip("mmengine")
    from lrplot.plan.drivers.mmengine import _mmengine, init_parameters

    registry, _ = _mmengine()
    found = entries("mmengine")
    assert set(found) == set(registry.module_dict)
    for name, entry in found.items():
        cls = registry.get(name)
        supplied = {"self", "optimizer"} | (set() if name.endswith("ParamScheduler") else {"param_name"})
        assert [p.name for p in entry.parameters] == [p for p in init_parameters(cls) if p not in supplied]
        assert_same_parameters(entry, real_init(cls), supplied)
        assert entry.drawn == ("ReduceOnPlateau" not in name)


def test_deepspeed_schedules_are_the_ones_lrplot_drives_with_deepspeeds_signatures() -> None:
    pytest.importorskip("deepspeed")
    from lrplot.plan.drivers.deepspeed import SCHEDULES, _lr_schedules

    schedules = _lr_schedules()
    found = entries("deepspeed")
    assert [name for name, entry in found.items() if entry.drawn] == list(SCHEDULES)
    assert list(found) == list(schedules.VALID_LR_SCHEDULES)
    for name, entry in found.items():
        assert_same_parameters(entry, real_init(getattr(schedules, name)), {"self", "optimizer"})


def test_every_entry_is_found_by_its_qualified_name() -> None:
    for section in sections():
        for entry in section.entries:
            found = find(entry.qualified).entry
            assert (found.ecosystem, found.name) == (entry.ecosystem, entry.name)


def test_docs_list_example_is_real_output(cli) -> None:
    page = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- list-example -->\s*```text\n\$ lrplot (.*?)\n(.*?)```", page, flags=re.S)
    assert block, "docs/usage.md has no list example"
    assert cli(*block.group(1).split()).stdout == block.group(2)
