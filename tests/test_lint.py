"""Schedule checks: each fires on its mistakes (taken from real configs and issue threads),
stays silent on near misses, and its suggested fix, applied, silences it."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.engines import simulate
from lrplot.lint import Finding, all_checks, lint
from lrplot.plan import plan
from tests.conftest import FIXTURES, ROOT

LINT = FIXTURES / "lint"
TRIGGERS = sorted(LINT.glob("lr*_triggers.yaml"))
NEAR_MISSES = sorted(LINT.glob("lr*_near_misses.yaml"))
EXPECT = re.compile(r'^# (?:expect|also): (LR\d{3}) "([^"]+)" (\d+|-)( note)?$', re.M)

Expected = set[tuple[str, str, int | None, str]]


def findings(path: Path, sets: list[str] | None = None, ignore: tuple[str, ...] = ()) -> list[Finding]:
    config = lrplot.load(path, sets=sets or [])
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = simulate(config, plans=plans)
    return lint(config, result, plans=plans, ignore=ignore)


def loads_findings(text: str, sets: list[str] | None = None) -> list[Finding]:
    config = lrplot.loads(text, sets=sets or [])
    plans = plan(config)
    return lint(config, simulate(config, plans=plans), plans=plans)


def expected(path: Path) -> Expected:
    return {
        (check_id, curve, None if step == "-" else int(step), "note" if note else "warning")
        for check_id, curve, step, note in EXPECT.findall(path.read_text())
    }


def found(items: list[Finding]) -> Expected:
    return {(f.id, f.curve, f.step, f.severity) for f in items}


@pytest.mark.parametrize("path", TRIGGERS + NEAR_MISSES, ids=lambda p: p.stem)
def test_fixture_gives_exactly_the_findings_written_at_its_top(path: Path) -> None:
    assert found(findings(path)) == expected(path)


def test_every_check_has_two_triggers_and_two_near_misses() -> None:
    for check_id in all_checks():
        number = check_id[2:].lower()
        triggers = [e for e in expected(LINT / f"lr{number}_triggers.yaml") if e[0] == check_id]
        near = LINT / f"lr{number}_near_misses.yaml"
        assert len(triggers) >= 2, check_id
        assert near.read_text().count("  - label:") >= 2, check_id
        assert not [e for e in expected(near) if e[0] == check_id and e[3] == "warning"], check_id


def test_every_trigger_names_its_source() -> None:
    for path in TRIGGERS:
        curves = path.read_text().count("  - label:")
        comments = len(re.findall(r"^  # \S", path.read_text(), flags=re.M))
        assert comments >= min(2, curves), f"{path.name}: say where each mistake comes from"


# What no one config change can fix: a log that differs from the config is the user's to judge.
NO_ONE_KEY_FIX = {"LR017"}


@pytest.mark.parametrize("path", TRIGGERS, ids=lambda p: p.stem)
def test_applying_a_fix_silences_its_finding(path: Path) -> None:
    check_id = "LR" + path.stem[2:5]
    if check_id in NO_ONE_KEY_FIX:
        assert not [f for f in findings(path) if f.id == check_id and f.fix is not None]
        return
    fixable = [f for f in findings(path) if f.id == check_id and f.fix is not None]
    assert fixable, f"{path.name}: no {check_id} finding offers a fix"
    for finding in fixable:
        assert finding.fix.as_set().split("=", 1)[1] in finding.suggestion.replace(", ", ",").replace(
            ": ", "="
        )
        after = findings(path, sets=[finding.fix.as_set()])
        same = (finding.id, finding.curve, finding.severity)
        assert not [f for f in after if (f.id, f.curve, f.severity) == same], finding.fix.as_set()


def test_the_hydra_template_plateau_driven_by_its_own_lr_is_reported() -> None:
    # lightning-hydra-template's ReduceLROnPlateau names no metric lrplot can replay, and its
    # patience 10 never runs out in max_epochs 10.
    items = findings(FIXTURES / "forms" / "hydra_config.yaml")
    assert {f.id for f in items} == {"LR010", "LR011"}
    assert "current lr as its metric" in next(f.message for f in items if f.id == "LR011")


def test_a_metric_given_on_the_command_line_is_not_reported_as_assumed() -> None:
    items = findings(FIXTURES / "forms" / "hydra_config.yaml", sets=["metric='1.0 / (1 + step)'"])
    assert "LR011" not in {f.id for f in items}


CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))
ON_PURPOSE = re.compile(r"^# lint on purpose: ((?:LR\d{3}[, ]*)+)", re.M)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT / "configs")))
def test_shipped_configs_are_flagged_only_where_their_comment_says_so(path: Path) -> None:
    declared = {
        check for match in ON_PURPOSE.findall(path.read_text()) for check in re.findall(r"LR\d{3}", match)
    }
    assert {f.id for f in findings(path)} == declared


def test_init_templates_are_clean_and_stay_clean_when_the_run_changes() -> None:
    from lrplot.commands.templates import TEMPLATES, render

    for name in TEMPLATES:
        text = render(name, "lrplot.yaml")
        assert loads_findings(text) == [], name
        assert [f for f in loads_findings(text, sets=["total_step=100000"]) if f.id == "LR001"] == [], name


README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
PAGES = "\n".join(
    page.read_text(encoding="utf-8") for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
)


@pytest.mark.parametrize(
    "block", [b for b in re.findall(r"```yaml\n(.*?)```", PAGES, flags=re.S) if "curves:" in b]
)
def test_yaml_examples_in_the_docs_give_no_warning(block: str) -> None:
    on_purpose = set(re.findall(r"lint on purpose: (LR\d{3})", block))
    assert [
        f.line() for f in loads_findings(block) if f.severity == "warning" and f.id not in on_purpose
    ] == []


def test_docs_warning_example_is_real_output(tmp_path: Path) -> None:
    from lrplot.commands.templates import render

    example = re.search(r"^lrplot: warning \[LR001\]: lrplot\.yaml.*$", DOCS, flags=re.M).group(0)
    text = render("warmup-cosine", "lrplot.yaml").replace('T_max: "total_step - 500"', "T_max: 9500")
    (tmp_path / "lrplot.yaml").write_text(text)
    config = lrplot.load(tmp_path / "lrplot.yaml", sets=["total_step=100000"])
    config.source.name = "lrplot.yaml"
    plans = plan(config)
    (finding,) = lint(config, simulate(config, plans=plans), plans=plans)
    assert finding.line() == example


def test_readme_names_every_check_and_docs_give_each_a_line_and_a_row() -> None:
    for check_id in all_checks():
        assert f"**{check_id}**" in README, check_id
        assert re.search(rf"^- \*\*{check_id}\*\* ", DOCS, flags=re.M), check_id
        assert re.search(rf"^\| {check_id} \|", DOCS, flags=re.M), check_id


COSINE = "total_step: {run}\ncurves:\n  - scheduler: {{name: CosineAnnealingLR, T_max: {t_max}}}\n"


@settings(max_examples=25, deadline=None)
@given(run=st.integers(20, 2000), slack=st.integers(-2, 3000))
def test_a_cosine_at_least_as_long_as_its_run_less_two_never_climbs(run: int, slack: int) -> None:
    assert not [f for f in loads_findings(COSINE.format(run=run, t_max=run + slack)) if f.id == "LR001"]


@settings(max_examples=25, deadline=None)
@given(run=st.integers(20, 2000), share=st.floats(0.05, 0.85))
def test_a_cosine_well_short_of_its_run_climbs_from_the_step_after_t_max(run: int, share: float) -> None:
    t_max = max(1, int(run * share))
    (finding,) = [f for f in loads_findings(COSINE.format(run=run, t_max=t_max)) if f.id == "LR001"]
    assert finding.step == t_max + 1 and finding.fix.value == run


MULTISTEP = (
    "total_step: {run}\ncurves:\n  - scheduler: {{name: MultiStepLR, milestones: {milestones}, gamma: 0.1}}\n"
)


@settings(max_examples=20, deadline=None)
@given(
    run=st.integers(20, 2000),
    first=st.floats(1.01, 4.0),
    gaps=st.lists(st.floats(1.05, 2.0), max_size=3),
)
def test_milestones_all_beyond_the_run_are_scaled_into_it_in_order(
    run: int, first: float, gaps: list
) -> None:
    milestones = [max(run + 1, round(run * first))]  # each beyond the run
    for gap in gaps:
        milestones.append(max(milestones[-1] + 1, round(milestones[-1] * gap)))
    text = MULTISTEP.format(run=run, milestones=milestones)
    (finding,) = [f for f in loads_findings(text) if f.id == "LR004"]
    assert finding.fix is not None, finding.line()  # re-simulated: it removes LR004, adds nothing
    scaled = finding.fix.value
    assert scaled == sorted(set(scaled)) and scaled[0] >= 1 and scaled[-1] < run
    assert abs(scaled[-1] - 0.9 * run) <= 1


def test_param_groups_that_differ_get_a_finding_each() -> None:
    text = """
    total_step: 1000
    curves:
      - label: two groups
        optimizer: {name: SGD, param_groups: [{name: body, lr: 0.1}, {name: head, lr: 0.001}]}
        scheduler: {name: ReduceLROnPlateau, min_lr: 0.01, patience: 3}
        metric: "1.0"
    """
    (finding,) = loads_findings(text.replace("\n    ", "\n"))
    assert (finding.id, finding.group) == ("LR010", "head")
    assert "(group head)" in finding.line()


FOREIGN = sorted(
    path
    for folder in ("timm", "torchtitan", "litgpt")
    for path in (FIXTURES / folder).glob("*")
    if path.suffix in (".yaml", ".yml", ".toml")
)


@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_training_configs_of_other_tools_raise_no_false_warning(path: Path) -> None:
    # Their schedules as the projects ship them; the run length needs the loader's numbers.
    pytest.importorskip("timm") if path.parent.name == "timm" else None
    config = lrplot.load(path, steps_per_epoch=500, world_size=1)
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        items = lint(config, simulate(config, plans=plans), plans=plans)
    expected = {
        # litgpt's finetune warmup is LambdaLR(step / warmup_steps): its first step has lr 0
        "finetune_llama-3.2-1B_lora.yaml": {("LR005", "note")},
        "finetune_tiny-llama_qlora.yaml": {("LR005", "note")},
        # phi-2's 200 warmup steps are longer than this 100-step run: the cosine never starts
        "finetune_phi-2_full.yaml": {("LR005", "note"), ("LR004", "warning")},
    }.get(path.name, set())
    assert {(f.id, f.severity) for f in items} == expected


def test_a_fix_that_moves_its_finding_to_another_key_is_not_shown() -> None:
    """lint.verify: the same check reported at another key after the fix is a trade, not a
    fix (shortening a Megatron warmup left the decay beyond the run, another LR003)."""
    from lrplot.lint.finding import Fix
    from lrplot.lint.verify import verified

    config = lrplot.loads("total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 150}\n")
    plans = plan(config)
    fix = Fix(("curves", 0, "scheduler", "T_max"), 100)
    finding = Finding(
        "LR003", "c", None, None, "m", "set T_max: 100", key_path=("curves", 0, "scheduler", "T_max"), fix=fix
    )
    moved = Finding("LR003", "c", None, None, "m", "s", key_path=("curves", 0, "scheduler", "eta_min"))
    [traded] = verified(config, plans[0], [finding], lambda *_: [moved])
    assert traded.fix is None
    [kept] = verified(config, plans[0], [finding], lambda *_: [])
    assert kept.fix == fix
