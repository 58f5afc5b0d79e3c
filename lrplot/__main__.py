"""``python -m lrplot`` runs the command line."""

if __name__ == "__main__":
    from lrplot.commands.collector import quiet_collector

    quiet_collector()  # before the command's imports (most of start-up's new objects)
    from lrplot.commands.app import main

    main()
