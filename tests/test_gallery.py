"""The gallery (docs/gallery.md) is current: every shipped config's values and figure, byte for byte."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

import lrplot
from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("gallery", ROOT / "tools" / "gallery.py")
assert _spec is not None and _spec.loader is not None
gallery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gallery)
NAMES = gallery.gallery_names()
HINT = "the gallery is out of date: run .venv/bin/python tools/gallery.py and review the figures"


def test_every_shipped_config_is_in_the_gallery() -> None:
    text = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    for name in NAMES.values():
        assert f"(gallery/{name}.png)" in text, HINT


@pytest.mark.parametrize("config", list(NAMES), ids=list(NAMES.values()))
def test_values_match_the_snapshot(config: Path, cli) -> None:
    name = NAMES[config]
    snapshot = gallery.GALLERY / f"{name}.csv"
    if snapshot.exists():
        result = cli("check", config, "--against", snapshot)
        assert result.exit_code == 0, f"{HINT}\n{result.stderr}"
    else:
        text = lrplot.to_csv(lrplot.simulate(lrplot.load(config))) or ""
        expected = (gallery.GALLERY / f"{name}.csv.sha256").read_text().strip()
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == expected, HINT


@pytest.mark.parametrize("config", list(NAMES), ids=list(NAMES.values()))
def test_figure_is_byte_identical(config: Path, tmp_path: Path) -> None:
    name = NAMES[config]
    lrplot.write(lrplot.simulate(lrplot.load(config)), tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").read_bytes() == (gallery.GALLERY / f"{name}.png").read_bytes(), HINT
