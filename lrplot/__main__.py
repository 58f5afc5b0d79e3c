"""``python -m lrplot`` runs the command line."""

from lrplot.cli import main

if __name__ == "__main__":
    main()
