"""``lrplot plot --watch``: re-run whenever the config or a file it reads is saved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lrplot.commands.errors import Terminated
from lrplot.commands.terminal import say
from lrplot.commands.toolkit import Exit

WATCH_INTERVAL = 0.25


def watch(configs: list[Path], run: Callable[[], list[Path]]) -> None:
    """Re-run whenever a watched file changes; polling a handful of files is cheap and portable."""
    import time

    def state(paths: list[Path]) -> dict[Path, tuple[int, int] | None]:
        stamps: dict[Path, tuple[int, int] | None] = {}
        for path in paths:
            try:
                stat = path.stat()
                stamps[path] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                stamps[path] = None
        return stamps

    try:
        # The stamps are taken *before* each run, so a save during a run is not missed.
        before = state(list(configs))
        read = run()
        watched = list(dict.fromkeys([*configs, *read]))
        seen = {**state(watched), **before}
        say(f"lrplot: watching {len(watched)} file(s) for changes (Ctrl-C to stop)", err=True)
        while True:
            time.sleep(WATCH_INTERVAL)
            now = state(watched)
            if now == seen:
                continue
            time.sleep(WATCH_INTERVAL)  # let an editor finish writing
            changed = [str(p) for p in watched if now.get(p) != seen.get(p)]
            say(f"lrplot: {', '.join(changed)} changed, plotting again", err=True)
            before = state(watched)
            read = run()
            added = [path for path in read if path not in watched]
            watched = [*watched, *added]
            seen = {**state(added), **before}
    except KeyboardInterrupt:
        say("lrplot: stopped watching", err=True)
    except Terminated as signal:  # SIGTERM, SIGHUP: the same cleanup, then status 128 + n
        say("lrplot: stopped watching", err=True)
        raise Exit(signal.status) from None
