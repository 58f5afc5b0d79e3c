"""The command layer: the click app and what each command does; the only place that prints."""
