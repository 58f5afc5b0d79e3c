"""Tick labels without mathtext: the same labels matplotlib chooses, in Unicode superscripts.

matplotlib typesets scientific labels as mathtext (``$\\times\\mathdefault{10^{-4}}$``);
building its mathtext parser alone costs ~40 ms, a tenth of a small plot. Superscript
digits (DejaVu Sans has them) give the same labels as plain text, so no figure of lrplot
builds that parser unless its own texts use ``$...$``.
"""

from __future__ import annotations

import re
from typing import Any

_SUPERSCRIPTS = str.maketrans("-\u22120123456789", "⁻⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SCIENTIFIC = re.compile("^1e([-\u2212]?[0-9]+)")


def plain_ticks_unicode_multiplier() -> Any:
    """A linear lr axis's labels: plain text ticks and a ``×10⁻⁴`` multiplier in Unicode.

    matplotlib's ``useMathText=True`` typesets every tick label as mathtext
    (``$\\mathdefault{0.2}$``) and the multiplier as ``$\\times\\mathdefault{10^{-4}}$``: the
    same look, but building the mathtext parser and parsing each label was half of a small
    figure's drawing time. Superscript digits need no parser (DejaVu Sans has them). Ticks
    switch to a multiplier outside 1e-3 .. 1e4, as before; an offset (``+1``) is kept.
    """
    from matplotlib.ticker import ScalarFormatter

    class UnicodeMultiplier(ScalarFormatter):
        def get_offset(self) -> str:
            plain = str(super().get_offset())  # "1e−4", "1e−4+1", "+1" or ""
            return _SCIENTIFIC.sub(lambda m: "×10" + m.group(1).translate(_SUPERSCRIPTS), plain, count=1)

    formatter = UnicodeMultiplier(useMathText=False)
    formatter.set_scientific(True)
    formatter.set_powerlimits((-3, 4))
    return formatter


_LOG_LABEL = re.compile(r"^\$\\mathdefault\{(-?)(?:([0-9.]+)\\times)?([0-9.]+)\^\{(-?[0-9]+)\}\}\$$")


def unicode_log_labels(axis: Any) -> None:
    """Log-axis labels as matplotlib writes them (``10⁻³``, ``2×10⁻³``), in Unicode, not mathtext.

    matplotlib's ``LogFormatterSciNotation`` returns mathtext (``$\\mathdefault{10^{-3}}$``),
    whose parser costs ~40 ms to build; the same label in Unicode superscripts needs none.
    Labels are chosen by matplotlib's own formatter (which ticks are labelled, the
    coefficients); a label of any other form is left as mathtext.
    """
    from matplotlib.ticker import LogFormatterSciNotation

    class UnicodeLogFormatter(LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            label = str(super().__call__(x, pos))
            found = _LOG_LABEL.match(label)
            if found is None:
                return label
            sign, coefficient, base, exponent = found.groups()
            scale = f"{coefficient}×" if coefficient else ""
            return f"{'−' if sign else ''}{scale}{base}{exponent.translate(_SUPERSCRIPTS)}"

    axis.set_major_formatter(UnicodeLogFormatter(10))  # as matplotlib's LogScale sets them
    axis.set_minor_formatter(UnicodeLogFormatter(10, labelOnlyBase=False))
