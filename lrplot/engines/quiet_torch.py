"""Imported first by the forkserver of a command line's parallel run (lrplot.engines.parallel),
before it imports torch: the banner numpy 2 prints beside torch < 2.3 is dropped there, the
command having said it once (lrplot.torch_import)."""

from lrplot.torch_import import install

install(say=False)
