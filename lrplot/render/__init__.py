"""Renderers: a :class:`~lrplot.simulation.Result` → figure, CSV. Each writes to a stream or path."""
