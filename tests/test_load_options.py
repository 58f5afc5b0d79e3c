"""One LoadOptions value reaches the loader from every entry point, whole.

The load options once went by hand through every layer, and a copy drifted
(``validate(force=True)`` did not pass ``force`` on). These tests run each entry point (the
commands plot, validate and check; the Python API load, loads, validate and from_source) with
one field set and catch the options the loader receives, parametrized over the dataclass's
own fields: a field added to :class:`LoadOptions` and forgotten in one path fails here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, get_type_hints

import pytest

import lrplot
import lrplot.config.loading
import lrplot.plan
from lrplot.commands.app import app, command
from lrplot.commands.validate import validate
from lrplot.commands.values import LOAD_OPTION_NAMES
from lrplot.config import LoadOptions, from_source
from lrplot.config.options import LoadKeywords
from lrplot.errors import LrplotError
from lrplot.formats import FormatOptions
from lrplot.limits import lifted
from lrplot.read.yaml_source import parse_yaml
from tests.conftest import cli_runner

FIELDS = [field.name for field in dataclasses.fields(LoadOptions)]

# A value other than the default for every field (a new field without one fails below).
VALUES: dict[str, Any] = {
    "sets": ("total_step=7",),
    "sweeps": ("scheduler.step_size=2,3",),
    "select": "model",
    "steps_per_epoch": 3,
    "dataset_size": 100,
    "world_size": 4,
    "hydra_overrides": ("trainer.max_epochs=2",),
    "references": ("run.csv",),
    "config_format": "huggingface",
    "files_for": ("deepspeed=ds.json",),
    "allow_imports": ("mypackage",),
    "force": True,
}

# What a command does not offer (so the loader gets the default there): a reference log is
# drawn and compared by plot only.
NOT_ON_THE_COMMAND: set[tuple[str, str]] = {("validate", "references"), ("check", "references")}

CONFIG = """\
total_step: 5
curves:
  - optimizer: {name: SGD, lr: 0.1}
    scheduler: {name: StepLR, step_size: 2}
"""


class Stop(LrplotError):
    """Raised by a fake stage once it has what it was given: nothing after it matters here."""


@dataclasses.dataclass
class Received:
    options: LoadOptions
    lifted: bool  # whether from_source lifted the liftable bounds around the loading


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[Received]:
    """What the loading behind ``from_source`` received, per call (every path ends there)."""
    calls: list[Received] = []

    def fake(source: Any, options: LoadOptions) -> Any:
        calls.append(Received(options, lifted()))
        raise Stop("stopped after loading")

    monkeypatch.setattr(lrplot.config.loading, "_from_source", fake)
    return calls


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keywords ``plan`` got, per call: allow_imports and force go on past the loader."""
    calls: list[dict[str, Any]] = []

    def fake(config: Any, **keywords: Any) -> Any:
        calls.append(keywords)
        raise Stop("stopped after planning")

    monkeypatch.setattr(lrplot.plan, "plan", fake)
    return calls


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # where plot's outputs would go, had it got that far
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _flag(command_name: str, field: str) -> str | None:
    """The command's option for a LoadOptions field (None where it has none)."""
    name = LOAD_OPTION_NAMES.get(field, field)
    for param in command().commands[command_name].params:
        if param.name == name:
            return param.opts[0]
    return None


def _command_line(command: str, config: Path, field: str) -> tuple[list[str], LoadOptions]:
    """The command line setting ``field`` (where the command has it) and the options it means."""
    flag = _flag(command, field)
    extra = {"check": ["--against", "snapshot.csv", "--update"], "plot": ["-o", "out.csv"]}.get(command, [])
    if (command, field) in NOT_ON_THE_COMMAND:
        assert flag is None, f"lrplot {command} now has {flag}: take it out of NOT_ON_THE_COMMAND"
        return [command, str(config), *extra], LoadOptions()
    assert flag is not None, f"lrplot {command} has no option for LoadOptions.{field}"
    value = VALUES[field]
    values = value if isinstance(value, tuple) else (value,)
    arguments = [flag] if value is True else [part for item in values for part in (flag, str(item))]
    return [command, str(config), *extra, *arguments], LoadOptions(**{field: value})


def _keywords(field: str) -> dict[str, Any]:
    """The field as a Python caller gives it (a list where the value is a tuple)."""
    value = VALUES[field]
    return {field: list(value) if isinstance(value, tuple) else value}


def test_every_field_has_a_test_value() -> None:
    assert set(VALUES) == set(FIELDS)
    assert all(VALUES[name] != getattr(LoadOptions(), name) for name in FIELDS)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("command", ["plot", "validate", "check"])
def test_each_command_hands_the_loader_its_option(
    command: str, field: str, config_file: Path, received: list[Received]
) -> None:
    arguments, expected = _command_line(command, config_file, field)
    result = cli_runner().invoke(app, arguments, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "stopped after loading" in result.stderr
    assert received == [Received(expected, expected.force)]  # the field arrived, nothing else moved


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("style", ["keywords", "options"])
@pytest.mark.parametrize("entry", ["load", "loads", "validate", "from_source"])
def test_each_python_entry_point_hands_the_loader_the_field(
    entry: str, style: str, field: str, config_file: Path, received: list[Received]
) -> None:
    if entry == "loads" and field == "hydra_overrides":
        pytest.skip("loads() refuses hydra_overrides: test_loads_refuses_hydra_overrides")
    expected = LoadOptions(**{field: VALUES[field]})
    given = {"options": expected} if style == "options" else _keywords(field)
    if entry == "validate":
        problems = validate(config_file, **given)
        assert [str(problem) for problem in problems] == ["stopped after loading"]
    else:
        call = {
            "load": lambda: lrplot.load(config_file, **given),
            "loads": lambda: lrplot.loads(CONFIG, **given),
            "from_source": lambda: from_source(parse_yaml(CONFIG, name="c.yaml"), **given),
        }[entry]
        with pytest.raises(Stop):
            call()
    assert received == [Received(expected, expected.force)]


@pytest.mark.parametrize("field", ["allow_imports", "force"])
@pytest.mark.parametrize("entry", ["plot", "validate", "check", "validate()"])
def test_the_options_planning_reads_reach_it_too(
    entry: str, field: str, config_file: Path, planned: list[dict[str, Any]]
) -> None:
    if entry == "validate()":
        expected = LoadOptions(**{field: VALUES[field]})
        with pytest.raises(Stop):
            validate(config_file, **_keywords(field))
    else:
        arguments, expected = _command_line(entry, config_file, field)
        result = cli_runner().invoke(app, arguments)
        assert isinstance(result.exception, Stop) or "stopped after planning" in result.stderr
    assert [(call["allow_imports"], call["force"]) for call in planned] == [
        (expected.allow_imports, expected.force)
    ]


# The value itself.


def test_lists_are_kept_as_tuples_so_the_value_is_frozen_and_hashable() -> None:
    options = LoadOptions(**{name: value for field in FIELDS for name, value in _keywords(field).items()})
    assert options == LoadOptions(**VALUES)  # every list field became the tuple
    assert hash(options) == hash(LoadOptions(**VALUES))
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.force = False  # type: ignore[misc]


def test_one_string_for_a_list_is_refused_rather_than_read_letter_by_letter() -> None:
    with pytest.raises(TypeError, match=r"LoadOptions.sets takes a list of strings, not the string 'a=1'"):
        LoadOptions(sets="a=1")  # type: ignore[arg-type]


@pytest.mark.parametrize("entry", ["load", "loads", "validate"])
def test_options_and_keywords_together_are_refused(entry: str, config_file: Path) -> None:
    call = {"load": lrplot.load, "validate": validate, "loads": lrplot.loads}[entry]
    target = CONFIG if entry == "loads" else config_file
    with pytest.raises(
        TypeError, match=rf"^{entry}\(\) takes options= or keyword arguments \(force\), not both$"
    ):
        call(target, options=LoadOptions(), force=True)


def test_an_unknown_keyword_is_a_type_error_naming_the_function(config_file: Path) -> None:
    with pytest.raises(TypeError, match=r"^load\(\) got an unexpected keyword argument 'sweep'$"):
        lrplot.load(config_file, sweep=["scheduler.step_size=2,3"])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"takes options=LoadOptions\(...\), got dict"):
        lrplot.load(config_file, options={"force": True})  # type: ignore[arg-type]


def test_loads_refuses_hydra_overrides() -> None:
    with pytest.raises(TypeError, match=r"loads\(\) cannot compose a Hydra config"):
        lrplot.loads(CONFIG, hydra_overrides=["trainer.max_epochs=2"])


def test_the_keyword_arguments_are_the_fields() -> None:
    assert list(get_type_hints(LoadKeywords)) == FIELDS


def test_the_formats_get_every_field_they_share_by_name() -> None:
    options = LoadOptions(**VALUES).format_options(Path("c.yaml"))
    shared = {field.name for field in dataclasses.fields(FormatOptions)} & set(FIELDS)
    assert shared == {
        "select",
        "steps_per_epoch",
        "dataset_size",
        "world_size",
        "allow_imports",
        "hydra_overrides",
        "config_format",
        "files_for",
    }
    assert options.path == Path("c.yaml")
    assert all(getattr(options, name) == VALUES[name] for name in shared)


def test_the_api_loads_with_options_as_with_keywords() -> None:
    by_keywords = lrplot.loads(CONFIG, sets=["total_step=9"], sweeps=["scheduler.step_size=2,3"])
    by_options = lrplot.loads(
        CONFIG, options=lrplot.LoadOptions(sets=["total_step=9"], sweeps=["scheduler.step_size=2,3"])
    )
    assert [(c.label, c.total_step) for c in by_keywords.curves] == [
        (c.label, c.total_step) for c in by_options.curves
    ]
    assert [c.total_step for c in by_options.curves] == [9, 9]
    assert lrplot.LoadOptions is LoadOptions


@pytest.mark.parametrize("command", ["validate", "check"])
def test_force_lifts_a_limit_on_validate_and_check_as_on_plot(command: str, cli, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    sweep = ["--sweep", "scheduler.step_size=" + ",".join(str(n) for n in range(1, 1002))]
    extra = ["--against", str(tmp_path / "snapshot.csv"), "--update"] if command == "check" else []
    refused = cli(command, config, *sweep, *extra)
    assert refused.exit_code == 2
    assert "sweep makes 1,001 curves (limit 1,000; --force lifts it)" in refused.stderr
    lifted = cli(command, config, *sweep, *extra, "--force")
    assert lifted.exit_code == 0, lifted.stderr
