"""The command layer: the Typer app and what each command does; the only place that prints."""
