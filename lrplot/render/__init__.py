"""Renderers: a :class:`~lrplot.simulate.Result` → figure, CSV. Each writes to a stream or path."""
