"""``python -m lrplot`` runs the command line."""

from lrplot.commands.collector import quiet_collector


def main() -> None:
    """The command line, with the collector quieted before the command's imports (most of
    start-up's new objects; lrplot.commands.collector says why)."""
    quiet_collector()
    from lrplot.commands.app import main as run

    run()


if __name__ == "__main__":
    main()
