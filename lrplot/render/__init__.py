"""Renderers: a :class:`~lrplot.result.Result` → figure, CSV. Each writes to a stream or path."""
