"""One module per family of checks; each registers its checks with ``lrplot.lint.registry.check``."""
