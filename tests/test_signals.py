"""Real processes: SIGTERM and SIGHUP clean up like Ctrl-C (exit 128+n, no temporary file, no
process of the run left, previous outputs intact); a FIFO or /dev/zero never hangs a read; a
full disk names the file. Every wait has a timeout, so a regression fails instead of hanging CI."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, interruptible_child

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

LONG_CSV = "total_step: 4000000\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n"
TWO_LONG = (
    "total_step: 4000000\ncurves:\n"
    "  - {label: a, scheduler: {name: CosineAnnealingLR, T_max: 1000}}\n"
    "  - {label: b, scheduler: {name: CosineAnnealingLR, T_max: 999}}\n"
)


def start(folder: Path, *args: str, **extra) -> subprocess.Popen:
    """lrplot in its own session (so every process it starts can be found afterwards)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    also = extra.pop("preexec_fn", None)

    def prepare() -> None:
        interruptible_child()
        if also is not None:
            also()

    return subprocess.Popen(
        [sys.executable, "-m", "lrplot", *args], cwd=folder, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=prepare, **extra,
    )  # fmt: skip


def session(sid: int) -> list[int]:
    """Live (not zombie) processes of a session."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.parent.name))
    return found


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str, list[int]]:
    """Wait for the process; return its status, stderr and what of its session is still alive."""
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        raise AssertionError(f"lrplot did not end: {stderr[-2000:]}") from None
    deadline = time.monotonic() + 5
    left = session(process.pid)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = session(process.pid)
    for pid in left:  # clean up after a failing test, then report it
        os.kill(pid, signal.SIGKILL)
    return process.returncode, stderr, left


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("sig", "line"), [(signal.SIGTERM, "terminated (SIGTERM)"), (signal.SIGHUP, "hung up (SIGHUP)")]
)
def test_a_signal_while_writing_removes_the_temporary_file(sig: int, line: str, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(LONG_CSV)
    (tmp_path / "o.csv").write_text("previous")
    process = start(tmp_path, "plot", "c.yaml", "-o", "o.csv")
    wait_for(lambda: any(tmp_path.glob(".o.csv.*.tmp")) or process.poll() is not None)
    process.send_signal(sig)
    status, stderr, left = finish(process)
    assert status == 128 + sig, stderr
    assert stderr.strip() == f"lrplot: {line}"
    assert (tmp_path / "o.csv").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "o.csv"] and left == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_a_parallel_run_leaves_no_process(sig: int, tmp_path: Path) -> None:
    """Workers, the forkserver and the resource tracker all end, whenever the signal comes."""
    (tmp_path / "c.yaml").write_text(TWO_LONG)
    (tmp_path / "o.png").write_text("previous")
    process = start(tmp_path, "plot", "c.yaml", "-o", "o.png", "--workers", "2", "--engine", "torch")
    wait_for(lambda: len(session(process.pid)) >= 4 or process.poll() is not None)  # workers running
    process.send_signal(sig)
    status, stderr, left = finish(process)
    assert status == 128 + sig, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert left == [], "processes of the run still alive"
    assert (tmp_path / "o.png").read_text() == "previous"
    assert not list(tmp_path.glob(".*.tmp"))


SWEEP = (
    "total_step: 400000\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 1000}\n"
    "sweep:\n  scheduler.T_max: [100, 200, 300, 400, 500, 600, 700, 800]\n"
)


@pytest.mark.parametrize(
    ("sig", "to_group"), [(signal.SIGINT, True), (signal.SIGHUP, False), (signal.SIGINT, False)]
)
def test_a_signal_to_a_parallel_sweep_ends_it_in_order(sig: int, to_group: bool, tmp_path: Path) -> None:
    """Issue 26: the pool's own thread printed an InvalidStateError traceback in most runs.
    More curves than workers, so some wait when the signal comes, others run or send their
    values; ``to_group``: as a terminal's Ctrl-C, to every process of the job."""
    (tmp_path / "c.yaml").write_text(SWEEP)
    process = start(tmp_path, "plot", "c.yaml", "-o", "o.png", "--workers", "2", "--engine", "torch")
    wait_for(lambda: len(session(process.pid)) >= 4 or process.poll() is not None)  # workers running
    time.sleep(1.5)  # into the curves: some finished, their values on the way back
    (os.killpg if to_group else os.kill)(process.pid, sig)
    status, stderr, left = finish(process)
    assert status == 128 + sig, stderr
    assert stderr.strip() in ("lrplot: interrupted", "lrplot: hung up (SIGHUP)"), stderr
    assert left == [] and sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_sigterm_ends_watch(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n")
    process = start(tmp_path, "plot", "c.yaml", "-o", "o.png", "--watch")
    wait_for(lambda: (tmp_path / "o.png").exists() or process.poll() is not None)
    process.send_signal(signal.SIGTERM)
    status, stderr, left = finish(process)
    assert status == 143 and stderr.strip().splitlines()[-1] == "lrplot: stopped watching", stderr
    assert left == [] and "Traceback" not in stderr


@pytest.mark.parametrize("kind", ["fifo config", "fifo log", "dev zero log", "symlink to dev zero"])
def test_a_fifo_or_a_device_is_refused_without_reading(kind: str, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n    reference: log.csv\n"
    )
    if kind == "fifo config":
        config.unlink()
        os.mkfifo(config)
    elif kind == "fifo log":
        os.mkfifo(tmp_path / "log.csv")
    elif kind == "dev zero log":
        config.write_text(config.read_text().replace("log.csv", "/dev/zero"))
    else:
        config.unlink()
        config.symlink_to("/dev/zero")
    status, stderr, _ = finish(start(tmp_path, "plot", "c.yaml", "-o", "o.csv"), timeout=30)
    assert status == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert ("FIFO, not a regular file" in stderr) or ("does not read from /proc, /sys or /dev" in stderr)


def test_a_full_disk_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(LONG_CSV.replace("4000000", "200000"))

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    status, stderr, _ = finish(start(tmp_path, "plot", "c.yaml", "-o", "o.csv", preexec_fn=small_files))
    assert status == 2 and stderr.strip() == "lrplot: error: o.csv: cannot write: File too large", stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_read_bytes_refuses_fifos_and_devices_without_blocking(tmp_path: Path) -> None:
    """The reading policy itself, in a child process with a timeout (a regression must not hang)."""
    os.mkfifo(tmp_path / "fifo")
    code = (
        "import sys; from lrplot.read.files import read_bytes; from lrplot.errors import LrplotError\n"
        "for path in sys.argv[1:]:\n"
        "    try: read_bytes(path, what='log'); print('read', path)\n"
        "    except LrplotError as e: print(e)\n"
    )
    paths = [str(tmp_path / "fifo"), "/dev/zero", "/dev/urandom", "/proc/self/environ", str(tmp_path)]
    out = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout.splitlines()  # fmt: skip
    assert out == [
        f"log {tmp_path / 'fifo'}: is a FIFO, not a regular file",
        "log /dev/zero: lrplot does not read from /proc, /sys or /dev",
        "log /dev/urandom: lrplot does not read from /proc, /sys or /dev",
        "log /proc/self/environ: lrplot does not read from /proc, /sys or /dev",
        f"log {tmp_path}: is a directory, not a file",
    ]


def _forkserver_started(sid: int) -> bool:
    for pid in session(sid):
        try:
            if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def test_ctrl_c_while_the_forkserver_imports_torch_prints_no_traceback(tmp_path: Path) -> None:
    """Issue 26 (found running every case by hand on a busy machine): a terminal's Ctrl-C, to
    every process of the job, in the seconds the forkserver spends importing torch (before it
    ignores SIGINT itself) printed its KeyboardInterrupt traceback. Sent as soon as it exists."""
    (tmp_path / "c.yaml").write_text(SWEEP)
    process = start(tmp_path, "plot", "c.yaml", "-o", "o.png", "--workers", "2", "--engine", "torch")
    wait_for(lambda: _forkserver_started(process.pid) or process.poll() is not None)
    os.killpg(process.pid, signal.SIGINT)
    status, stderr, left = finish(process)
    assert status == 130, stderr
    assert stderr.strip() == "lrplot: interrupted", stderr
    assert left == [] and sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_ctrl_c_while_the_command_line_is_imported_prints_no_traceback(tmp_path: Path) -> None:
    """A Ctrl-C in the first fraction of a second, while the console script is still importing
    typer and click (before any handler of lrplot's exists), printed a KeyboardInterrupt
    traceback. The interrupt is raised by an import hook at typer's import, so it is exact."""
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'typer':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['lrplot', 'list']\n"
        "from lrplot.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert (done.returncode, done.stderr, done.stdout) == (130, "lrplot: interrupted\n", "")
