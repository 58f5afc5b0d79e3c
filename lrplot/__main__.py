"""``python -m lrplot`` runs the command line."""

from lrplot.commands.app import main

if __name__ == "__main__":
    main()
