"""Issue 26's cases, by class: a resolver's value never shown; no raw control or bidirectional
character reaches the terminal from any command; the newer readers' and the environment's
resources bounded; non-finite and out-of-range numbers named by their key; the last unclear
messages. Each bad input: one line naming the culprit, exit 2, nothing written or left behind.
Cases that hung or ran out of memory run in a child process with a timeout and a memory cap,
so a regression fails instead of hanging CI or the machine."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrplot.safe_text import forget_resolved, mark_resolved, shown
from tests.conftest import ROOT
from tests.refusals import SECRET, refused

# What no terminal output may hold raw: C0 (but the newline), DEL, C1, line/paragraph
# separators, bidirectional marks, embeddings, overrides and isolates, lone surrogates.
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\u202eevil\u2066x\x9b\x00\r"
STEPLR = "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n"


def nothing_left(folder: Path, *inputs: str) -> None:
    """Only the inputs are in the folder: no output, no temporary file."""
    found = sorted(p.name for p in folder.iterdir() if p.name not in inputs)
    assert found == [], found


def child(folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60):
    """lrplot in a child process with a timeout and 3 GiB of address space (a bound that
    regressed fails here, it does not hang the run or take the machine's memory)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", **(env or {})}
    try:
        return subprocess.run(
            [sys.executable, "-m", "lrplot", *args], cwd=folder, env=environment, capture_output=True,
            text=True, timeout=timeout, preexec_fn=cap, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise AssertionError(f"lrplot {' '.join(args)} did not end within {timeout} s") from None


def child_refused(result: subprocess.CompletedProcess, *fragments: str) -> str:
    message = result.stderr.strip()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(message.splitlines()) == 1 and message.startswith("lrplot: error: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# 1. A value a resolver produced is named, never shown ---------------------------------------

RESOLVED = {
    "lr": (
        "trainer: {max_epochs: 3}\noptimizer: {_target_: torch.optim.SGD, lr: '${oc.env:LRPLOT_TEST_SECRET}'}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 2}\n",
        ["c.yaml:2", "keyword 'lr'"],
    ),
    "max_epochs": (
        "trainer: {max_epochs: '${oc.env:LRPLOT_TEST_SECRET}'}\noptimizer: {_target_: torch.optim.SGD, lr: 0.1}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 2}\n",
        ["c.yaml:1", "trainer.max_epochs"],
    ),
    "inside a longer string": (
        "trainer: {max_epochs: 'x-${oc.env:LRPLOT_TEST_SECRET}-y'}\noptimizer: {_target_: torch.optim.SGD, lr: 0.1}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 2}\n",
        ["c.yaml:1", "x-<value of ${oc.env:LRPLOT_TEST_SECRET}>-y"],
    ),
    "through oc.decode": (
        "trainer: {max_epochs: 3}\noptimizer: {_target_: torch.optim.SGD, lr: 0.1}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: '${oc.decode:${oc.env:LRPLOT_TEST_SECRET}}'}\n",
        ["c.yaml:3"],
    ),
}


@pytest.mark.parametrize("case", RESOLVED)
def test_a_value_from_an_allowed_resolver_is_named_never_shown(case: str, run, tmp_path: Path) -> None:
    pytest.importorskip("omegaconf")
    text, fragments = RESOLVED[case]
    result = run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.csv", "--steps-per-epoch", "4",
                 "--allow-import", "oc.env")  # fmt: skip
    message = refused(result, *fragments, "${oc.env:LRPLOT_TEST_SECRET}")
    assert "<value of ${oc." in message and not re.search(r"hunter|0123456789abcdef", message)
    nothing_left(tmp_path, "c.yaml")


def test_the_python_api_names_the_resolver_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("omegaconf")
    import lrplot
    from lrplot.errors import LrplotError

    monkeypatch.setenv("LRPLOT_TEST_SECRET", SECRET)
    (tmp_path / "c.yaml").write_text(RESOLVED["max_epochs"][0])
    with pytest.raises(LrplotError) as caught:
        lrplot.load(tmp_path / "c.yaml", allow_imports=["oc.env"], steps_per_epoch=4)
    assert SECRET not in str(caught.value) and "${oc.env:LRPLOT_TEST_SECRET}" in str(caught.value)


def test_a_marked_value_is_replaced_in_every_form_a_message_writes_it() -> None:
    mark_resolved({"token": "tab\there-secret"}, "${oc.env:T}")
    try:
        for text in ("tab\there-secret", repr("tab\there-secret"), "tab\\there-secret", "name 'secret'"):
            assert "secret" not in shown(f"got {text}"), text
        assert shown("a 1 and a 22") == "a 1 and a 22"  # short values are not secrets
    finally:
        forget_resolved()


# 2. No raw control or bidirectional character reaches the terminal --------------------------

NAME = f"c{HOSTILE.replace(chr(0), '').replace(chr(13), '')}.yaml"  # a file name cannot hold NUL
HOSTILE_YAML = "".join(
    [
        f"title: {json.dumps('T' + HOSTILE)}\ntotal_step: 10\ncurves:\n",
        f"  - label: {json.dumps('L' + HOSTILE)}\n    scheduler: {{name: StepLR, step_size: 3}}\n",
        "    optimizer:\n      param_groups:\n",
        f"        - {{lr: 0.1, name: {json.dumps('G' + HOSTILE)}}}\n        - {{lr: 0.2, name: H}}\n",
    ]
)
SNAPSHOT = "s\u202e.csv"
COMMANDS = {
    "plot (the table)": ["plot", NAME],
    "plot -o (the status line)": ["plot", NAME, "-o", f"o{HOSTILE[:8]}.csv"],
    "plot --term (the chart, its title and legend)": ["plot", NAME, "--term"],
    "plot --json": ["plot", NAME, "--json"],
    "plot --strict (warnings)": ["plot", NAME, "--strict", "-o", "o.csv"],
    "validate (FILE: ok)": ["validate", NAME],
    "check --update": ["check", NAME, "--against", SNAPSHOT, "--update"],
    "check (matches)": ["check", NAME, "--against", SNAPSHOT],
    "check (differs)": ["check", NAME, "--against", "other.csv"],
    "an error naming the file": ["plot", NAME, "--set", "curves.0.scheduler.nope=1", "-o", "o.csv"],
    "an unknown option": ["plot", NAME, f"--x{HOSTILE}"],
    "init -o": ["init", "-o", f"n{HOSTILE[:8]}.yaml"],
    "list NAME": ["list", f"X{HOSTILE}"],
}


@pytest.mark.parametrize("case", COMMANDS)
def test_no_command_prints_a_control_or_bidirectional_character(case: str, run, tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {NAME: HOSTILE_YAML}
    if "check" in case:
        run(files, "check", NAME, "--against", SNAPSHOT, "--update")
        other = (tmp_path / SNAPSHOT).read_text().replace(",1,0.1\n", ",1,0.2\n", 1)
        files["other.csv"] = other
    result = run(files, *COMMANDS[case])
    assert "Traceback" not in result.output
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        raw = UNSAFE.search(text)
        assert raw is None, (
            f"{stream} holds {raw.group()!r}: {text[max(raw.start() - 60, 0) : raw.end() + 20]!r}"
        )
    assert "\\x1b" in result.output or "\\u202e" in result.output or case == "init -o"  # shown, escaped


def test_the_csv_on_a_terminal_shows_labels_escaped(tmp_path: Path) -> None:
    """``-o -`` on a terminal (a real pseudo-terminal): the labels escaped; piped, as written."""
    import pty

    (tmp_path / NAME).write_text(HOSTILE_YAML)
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    process = subprocess.Popen([sys.executable, "-m", "lrplot", "plot", NAME, "-o", "-", "-q"], cwd=tmp_path,
                               env=env, stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)  # fmt: skip
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    assert process.wait(timeout=60) == 0
    text = received.decode("utf-8", "replace").replace("\r\n", "\n")
    assert "curve,group,step,lr" in text and UNSAFE.search(text) is None, text[:300]
    piped = child(tmp_path, "plot", NAME, "-o", "-", "-q")
    assert piped.returncode == 0 and "\x1b]0;pwned" in piped.stdout


def test_a_csv_file_keeps_labels_as_written(run, tmp_path: Path) -> None:
    assert run({NAME: HOSTILE_YAML}, "plot", NAME, "-o", "o.csv").exit_code == 0
    with open(tmp_path / "o.csv", encoding="utf-8", newline="") as handle:
        assert "L" + HOSTILE in handle.read()


@given(st.text(max_size=60))
def test_shown_text_holds_no_unsafe_character(text: str) -> None:
    assert UNSAFE.search(shown(text)) is None


def test_every_print_in_the_command_layer_and_the_renderers_goes_through_one_function() -> None:
    """Only lrplot/commands/terminal.py writes to the terminal (help formatting aside)."""
    pattern = re.compile(r"\bclick\.echo\(|\btyper\.echo\(|(?<![\w.])print\(|sys\.std(?:out|err)\.write\(")
    offenders = []
    for folder in ("commands", "render"):
        for path in (ROOT / "lrplot" / folder).rglob("*.py"):
            if path.name == "terminal.py" and folder == "commands":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if pattern.search(line.split("#")[0]) and ">>>" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


# 3. Hangs and memory -----------------------------------------------------------------------

MMENGINE = (
    "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
    "param_scheduler = [dict(type='LinearLR', begin=0, end=5, by_epoch=False)]\n"
    "train_cfg = dict(by_epoch=False, max_iters=20)\n"
)
SELF_CONTAINING = {
    "d['self'] = d": ("d = {}\nd['self'] = d\n" + MMENGINE, "c.py:2", "d['self'] = ... puts 'd' inside itself"),
    "train_cfg['loop'] = train_cfg": (
        MMENGINE + "train_cfg['loop'] = train_cfg\n", "c.py:4", "puts 'train_cfg' inside itself",
    ),
    "through another container": ("a = [1]\nb = {'a': a}\na[0] = b\n" + MMENGINE, "c.py:3", "puts 'a' inside"),
}  # fmt: skip


def test_round_in_a_python_config_is_bounded_as_in_expressions(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text(MMENGINE.replace("max_iters=20", "max_iters=round(10, -10**9)"))
    child_refused(child(tmp_path, "plot", "c.py", "-o", "o.csv"), "c.py:3", "round(10, -10 ** 9)",
                  "limit 400 digits")  # fmt: skip
    nothing_left(tmp_path, "c.py")


@pytest.mark.parametrize("case", SELF_CONTAINING)
def test_a_python_value_put_inside_itself_is_refused(case: str, tmp_path: Path) -> None:
    text, line, fragment = SELF_CONTAINING[case]
    (tmp_path / "c.py").write_text(text)
    child_refused(child(tmp_path, "plot", "c.py", "-o", "o.csv"), line, fragment)
    nothing_left(tmp_path, "c.py")


def _hydra_groups(folder: Path, count: int) -> None:
    lines = ["defaults:", *(f"  - g{i}: o" for i in range(count)), "  - _self_"]
    lines += ["optimizer: {_target_: torch.optim.SGD, lr: 0.1}", "trainer: {max_epochs: 3}"]
    lines += ["scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 2}"]
    (folder / "train.yaml").write_text("\n".join(lines) + "\n")
    for i in range(count):
        (folder / f"g{i}").mkdir()
        (folder / f"g{i}" / "o.yaml").write_text(f"v{i}: 1\n")


def test_a_hydra_defaults_list_beyond_the_bound_is_refused_before_composing(tmp_path: Path) -> None:
    pytest.importorskip("hydra")
    _hydra_groups(tmp_path, 1500)
    result = child(tmp_path, "plot", "train.yaml", "-o", "o.csv", "--steps-per-epoch", "2")
    child_refused(result, "train.yaml", "1,501 entries", "limit 100 entries")
    assert not (tmp_path / "o.csv").exists()


def test_a_hydra_composition_within_the_bound_composes(tmp_path: Path) -> None:
    pytest.importorskip("hydra")
    import lrplot

    _hydra_groups(tmp_path, 90)
    assert lrplot.load(tmp_path / "train.yaml", steps_per_epoch=2).curves[0].total_step == 6


TERMINALS = {
    "COLUMNS=100000000": ({"COLUMNS": "100000000"}, "COLUMNS=100000000", "limit 1,000 columns"),
    "a 20-digit COLUMNS": (
        {"COLUMNS": "12345678901234567890"},
        "COLUMNS=12345678901234567890",
        "limit 1,000",
    ),
    "COLUMNS=1": ({"COLUMNS": "1"}, "COLUMNS=1 gives 1 column(s)", "at least 30"),
}


@pytest.mark.parametrize("case", TERMINALS)
def test_the_terminal_size_from_the_environment_is_bounded(case: str, tmp_path: Path) -> None:
    env, *fragments = TERMINALS[case]
    (tmp_path / "c.yaml").write_text(STEPLR)
    child_refused(child(tmp_path, "plot", "c.yaml", "--term", "-o", "o.csv", env=env), "--term", *fragments)
    nothing_left(tmp_path, "c.yaml")


@pytest.mark.parametrize("lines", ["1", "12345678901234567890", "100000000"])
def test_lines_from_the_environment_draw_a_chart_of_bounded_height(lines: str, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(STEPLR)
    result = child(tmp_path, "plot", "c.yaml", "--term", "-q", env={"LINES": lines, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert 12 <= len(result.stdout.strip().splitlines()) <= 40 and "step" in result.stdout


# 4. Numbers: non-finite and out of range, named by their key ------------------------------

DS = '{"train_batch_size": 8, "optimizer": {"type": "AdamW", "params": {"lr": 0.001}},\n "scheduler": %s}\n'
TRAINER = "learning_rate: 1.0e-5\nnum_train_epochs: 1\nper_device_train_batch_size: 4\n"
NUMBERS = {
    "DeepSpeed warmup_num_steps: NaN": (
        {"ds.json": DS % '{"type": "WarmupLR", "params": {"warmup_max_lr": 0.001, "warmup_num_steps": NaN}}'},
        "ds.json", ["ds.json:2", "scheduler.params.warmup_num_steps must be a finite number, got nan"],
    ),
    "DeepSpeed total_num_steps: 1e400": (
        {"ds.json": DS % '{"type": "WarmupDecayLR", "params": {"warmup_num_steps": 10, "total_num_steps": 1e400}}'},
        "ds.json", ["ds.json:2", "scheduler.params.total_num_steps must be a finite number, got inf"],
    ),
    "DeepSpeed OneCycle cycle_first_step_size: 0": (
        {"ds.json": DS % '{"type": "OneCycle", "params": {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, '
                         '"cycle_first_step_size": 0}}'},
        "ds.json", ["ds.json:2", "scheduler.params.cycle_first_step_size must be > 0, got 0"],
    ),
    "Trainer warmup_ratio: .nan": (
        {"t.yaml": TRAINER + "warmup_ratio: .nan\n"}, "t.yaml", ["t.yaml:4", "warmup_ratio must be a finite number"],
    ),
    "Trainer warmup_steps: .inf": (
        {"t.yaml": TRAINER + "warmup_steps: .inf\n"}, "t.yaml", ["t.yaml:4", "warmup_steps must be a finite number"],
    ),
    "Trainer num_train_epochs: 1e300": (
        {"t.yaml": TRAINER.replace("num_train_epochs: 1", "num_train_epochs: 1e300")}, "t.yaml",
        ["t.yaml:2", "num_train_epochs is about 1.0e+300", "limit 9,007,199,254,740,992"],
    ),
    "mmengine max_iters = 10**1000": (
        {"c.py": MMENGINE.replace("max_iters=20", "max_iters=10**1000")}, "c.py",
        ["c.py:3", "train_cfg.max_iters is about 1.0e+1000", "limit 9,007,199,254,740,992"],
    ),
    "nanoGPT learning_rate = 10**1000 (found by the fuzzer)": (
        {"train.py": "learning_rate = 10**1000\nmax_iters = 1\nlr_decay_iters = 100\nwarmup_iters = 0\n"},
        "train.py", ["train.py:1", "learning_rate must be a finite number, got about 1.0e+1000"],
    ),
    "torchtitan training.steps beyond 64 bits": (
        {"t.toml": "[optimizer]\nlr = 0.1\n[lr_scheduler]\nwarmup_steps = 2\n[training]\nsteps = 100000000000000000000\n"},
        "t.toml", ["t.toml:6", "training.steps is about 1.0e+20", "limit 9,007,199,254,740,992"],
    ),
    "lrplot's own total_step: 10 ** 30 under --force": (
        {"c.yaml": STEPLR.replace("total_step: 10", "total_step: " + "1" + "0" * 30)}, "c.yaml",
        ["c.yaml:1", "total_step is about 1.0e+30"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", NUMBERS)
def test_non_finite_and_out_of_range_numbers_are_named_by_their_key(case: str, run, tmp_path: Path) -> None:
    pytest.importorskip("transformers") if "Trainer" in case else None
    files, config, fragments = NUMBERS[case]
    extra = ["--force"] if "--force" in case else []
    message = refused(run(files, "plot", config, "-o", "o.csv", "--dataset-size", "100", *extra), *fragments)
    assert len(message) < 200 and "bug in lrplot" not in message
    nothing_left(tmp_path, *files)


# 5. Messages that name the real culprit ---------------------------------------------------


def test_a_hydra_defaults_cycle_names_its_files(tmp_path: Path) -> None:
    pytest.importorskip("hydra")
    (tmp_path / "train.yaml").write_text(
        "defaults:\n  - a\n  - _self_\noptimizer: {_target_: torch.optim.SGD, lr: 0.1}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 2}\ntrainer: {max_epochs: 3}\n"
    )
    (tmp_path / "a.yaml").write_text("defaults:\n  - sub: x\ny: 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.yaml").write_text("defaults:\n  - /a\nz: 1\n")
    result = child(tmp_path, "plot", "train.yaml", "-o", "o.csv", "--steps-per-epoch", "2")
    child_refused(result, "train.yaml", "Hydra's defaults lists form a cycle: a.yaml -> sub/x.yaml -> a.yaml")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("target", ["/dev/zero", "folder", "fifo"])
def test_a_base_file_that_is_not_a_regular_file_is_named_as_such(target: str, run, tmp_path: Path) -> None:
    if target == "folder":
        (tmp_path / "base.py").mkdir()
    elif target == "fifo":
        os.mkfifo(tmp_path / "base.py")
    else:
        (tmp_path / "base.py").symlink_to(target)
    why = {"/dev/zero": "does not read from /proc, /sys or /dev", "folder": "is a directory", "fifo": "FIFO"}
    refused(run({"c.py": "_base_ = ['./base.py']\n" + MMENGINE}, "plot", "c.py", "-o", "o.csv"),
            "c.py:1", "_base_ file", why[target])  # fmt: skip
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("command", ["plot", "validate", "check"])
def test_a_config_that_is_a_symlink_to_dev_zero_is_named(command: str, run, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").symlink_to("/dev/zero")
    args = {"plot": ["-o", "o.csv"], "validate": [], "check": ["--against", "s.csv"]}[command]
    result = run({}, command, "c.yaml", *args)
    message = result.stderr.strip()
    assert result.exit_code == 2 and len(message.splitlines()) == 1, result.output
    assert "c.yaml (-> /dev/zero): lrplot does not read from /proc, /sys or /dev" in message
    nothing_left(tmp_path, "c.yaml")


def test_a_lone_surrogate_escape_in_a_yaml_label_is_refused_at_its_line(run, tmp_path: Path) -> None:
    text = 'total_step: 10\ncurves:\n  - label: "a\\udc80"\n    scheduler: {name: StepLR, step_size: 3}\n'
    refused(run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.csv"), "c.yaml:3")
    nothing_left(tmp_path, "c.yaml")


def test_a_json_surrogate_pair_is_its_character_and_a_lone_one_is_refused(run, tmp_path: Path) -> None:
    config = (
        '{"total_step": 10, "curves": [{"label": "a%s", "scheduler": {"name": "StepLR", "step_size": 3}}]}'
    )
    result = run({"pair.json": config % "\\ud83d\\ude00"}, "plot", "pair.json", "-o", "o.csv")
    assert result.exit_code == 0 and "a\U0001f600,0,0," in (tmp_path / "o.csv").read_text(encoding="utf-8")
    (tmp_path / "o.csv").unlink()
    refused(run({"lone.json": config % "\\udc80"}, "plot", "lone.json", "-o", "o.csv"),
            "lone.json:1", "curves[0].label: text with a lone surrogate (\\udc80)")  # fmt: skip
    assert not (tmp_path / "o.csv").exists()


def test_a_snapshot_with_a_byte_order_mark_is_read_as_without_it(run, tmp_path: Path) -> None:
    """A BOM (Excel's UTF-8) is dropped, as for every file lrplot reads: the values decide."""
    assert run({"c.yaml": STEPLR}, "check", "c.yaml", "--against", "s.csv", "--update").exit_code == 0
    (tmp_path / "snap.csv").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "s.csv").read_bytes())
    result = run({}, "check", "c.yaml", "--against", "snap.csv")
    assert result.exit_code == 0 and result.stderr == "lrplot: c.yaml matches snap.csv\n"


@pytest.mark.parametrize("option", ["--rtol", "--atol"])
def test_an_infinite_tolerance_is_valid_and_lets_finite_values_match(
    option: str, run, tmp_path: Path
) -> None:
    assert run({"c.yaml": STEPLR}, "check", "c.yaml", "--against", "s.csv", "--update").exit_code == 0
    snapshot = tmp_path / "s.csv"
    snapshot.write_text(snapshot.read_text().replace(",1,1.0\n", ",1,7.5\n"))
    assert run({}, "check", "c.yaml", "--against", "s.csv").exit_code == 1
    result = run({}, "check", "c.yaml", "--against", "s.csv", option, "inf")
    assert result.exit_code == 0 and "matches" in result.stderr
    snapshot.write_text(snapshot.read_text().replace(",1,7.5\n", ",1,nan\n"))
    assert run({}, "check", "c.yaml", "--against", "s.csv", option, "inf").exit_code == 1  # NaN is no number


# 6. What the atheris runs found (docs/security.md) ----------------------------------------


@pytest.mark.parametrize("key", ["t[tal_step", "int", "str"])
def test_an_unknown_key_that_looks_like_a_union_tag_is_named(key: str, run, tmp_path: Path) -> None:
    """yaml surface: a key with '[' (or named like a type) was taken for pydantic's union tag
    and dropped, then an IndexError 'a bug in lrplot'."""
    text = STEPLR.replace("curves:", f"{json.dumps(key)}: 1\ncurves:")
    refused(run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.csv"), "c.yaml:2", f"unknown key {key!r}")
    nothing_left(tmp_path, "c.yaml")


@pytest.mark.parametrize("config", [
    "total_step: 1\ncurves:\n  - scheduler: {name: StepLR, step_size: [2]}\n",
    "trainer: {max_epochs: 1}\noptimizer: {_target_: torch.optim.SGD, lr: 0.1}\n"
    "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: [2]}\n",
])  # fmt: skip
def test_a_milestone_torch_never_used_is_no_marker(config: str, run, tmp_path: Path) -> None:
    """omegaconf surface: StepLR takes a list as step_size (torch checks nothing), a run too
    short to step never uses it, and lrplot's markers then compared the list: a TypeError."""
    result = run({"c.yaml": config}, "plot", "c.yaml", "-o", "o.csv", "--steps-per-epoch", "1")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o.csv").read_text().count("\n") == 2  # the header and step 0
