"""TensorBoard event files, read with TensorBoard's own reader (never by parsing protobuf here).

``tensorboard`` is an optional extra (``pip install 'lrplot[tensorboard]'``). Its
``EventFileLoader`` yields the events with TensorBoard's read-time compatibility layers
applied (``data_compat``: old ``simple_value`` scalars become the scalars plugin's tensors,
as TensorBoard itself shows them), and its ``tensor_util`` turns a value into a number. The
loader silently stops at a damaged record; lrplot listens to its log to tell a file cut short
by a run still writing (read up to there) from one that fails its checksums (refused).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.read.files import checked_path
from lrplot.read.logs import MAX_STEP, LoggedRun, Series, as_named, is_lr_name

_FLOAT32 = 1  # TensorBoard's DataType enum: DT_FLOAT


def read_event_files(
    files: list[Path], run: Path, shown: str, config_dir: Path | None, key_path: KeyPath, limit: int
) -> LoggedRun:
    """The scalars of one run's event files (in file order; the first value at a step is kept)."""
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
        from tensorboard.util import tensor_util
    except ImportError:
        raise LrplotError(
            f"reference log {shown} is a TensorBoard log; reading it needs tensorboard "
            "(pip install 'lrplot[tensorboard]')",
            key_path=key_path,
        ) from None
    from google.protobuf.message import DecodeError

    found: dict[str, dict[int, float]] = {}
    precision: dict[str, bool] = {}
    scalars: set[str] = set()
    others: set[str] = set()
    total = 0
    for file in files:
        named = as_named(file, config_dir)
        real = checked_path(
            named, what="reference log", limit=limit, config_dir=config_dir, key_path=key_path
        )
        total += real.stat().st_size
        if total > limit:
            raise LrplotError(
                f"reference log {shown}: the run's event files exceed {limit:,} bytes (--force lifts it)",
                key_path=key_path,
            )
        events = 0
        with _damage_reports() as damaged:
            try:
                for event in EventFileLoader(str(real)).Load():
                    events += 1
                    if not event.HasField("summary") or not 0 <= event.step <= MAX_STEP:
                        continue
                    for value in event.summary.value:
                        if value.metadata.plugin_data.plugin_name == "scalars":
                            scalars.add(value.tag)
                        if value.tag not in scalars or not value.HasField("tensor"):
                            continue
                        if not is_lr_name(value.tag):
                            others.add(value.tag)
                            continue
                        number = tensor_util.make_ndarray(value.tensor)
                        if number.size != 1:
                            continue
                        found.setdefault(value.tag, {}).setdefault(int(event.step), float(number.item()))
                        precision[value.tag] = value.tensor.dtype == _FLOAT32
            except DecodeError:
                damaged.append("an event that is not a TensorBoard event")
        if (damaged and damaged[0] != "truncated") or (events == 0 and real.stat().st_size > 0):
            raise LrplotError(
                f"reference log {printable(str(named))}: a corrupt TensorBoard event file (it fails "
                f"TensorBoard's record checks after {events:,} events)",
                key_path=key_path,
            )
    series = {
        tag: Series(tag, sorted(values), [values[s] for s in sorted(values)], precision.get(tag, True))
        for tag, values in found.items()
    }
    return LoggedRun("tensorboard", run, series, sorted(others))


@contextmanager
def _damage_reports() -> Iterator[list[str]]:
    """The loader's reports of a damaged record while it reads (it logs them at debug level)."""
    reports: list[str] = []

    class Listener(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if "Truncated record" in message or "DataLossError" in message:
                reports.append("truncated" if "truncated record" in message else "checksum")

    logger = logging.getLogger("tensorboard")
    listener = Listener(logging.DEBUG)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(listener)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the debug lines are for lrplot, not for the user's terminal
    try:
        yield reports
    finally:
        logger.removeHandler(listener)
        logger.setLevel(level)
        logger.propagate = propagate
