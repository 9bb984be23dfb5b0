"""Text without a browser: clean, measure, wrap and escape labels from untrusted records."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from postmortem.diagrams import metrics

ELLIPSIS = "…"
# Characters XML 1.0 forbids (a record may contain them; the SVG must stay well-formed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


# Every character Python counts as whitespace (str.isspace, regex \s) but the space and the
# newline, spelled out: one character class scans several times faster than `[^\S ]`.
OTHER_WHITESPACE = (
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# What `clean` would change inside a label: an XML-illegal character, whitespace but spaces.
_UNCLEAN = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\n" + OTHER_WHITESPACE + "]")


def clean(text: str) -> str:
    """One line of printable text: XML-illegal characters dropped, whitespace runs collapsed."""
    # Labels, ticks and numbers are cleaned again and again: short ones are remembered.
    return _clean_short(text) if len(text) <= 64 else _clean(text)


def _clean(text: str) -> str:
    # Most labels have nothing to clean: a search is cheaper than two substitutions.
    if (
        _UNCLEAN.search(text) is None
        and "  " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    ):
        return text
    return _SPACES.sub(" ", _NOT_XML.sub("", text)).strip()


_clean_short = lru_cache(maxsize=1024)(_clean)


_MARKUP = re.compile("[&<>\"']")


def escape(text: str) -> str:
    """Escape for XML text and attribute values alike."""
    if _MARKUP.search(text) is None:  # most labels and every number: nothing to do
        return text
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _char_units(ch: str, bold: bool) -> int:
    table = metrics.BOLD if bold else metrics.REGULAR
    width = table.get(ch)
    if width is not None:
        return width
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    fallback = metrics.FALLBACK_BOLD if bold else metrics.FALLBACK_REGULAR
    # Wide and full-width characters (CJK, most emoji) take about two Latin letters.
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2 * fallback
    return fallback


# The HTML page cannot count on Noto Sans (it embeds no font, to stay small), and the usual
# fallbacks (DejaVu Sans, Verdana) run up to ~10% wider: measure as if text were that wide,
# so that it stays inside its box whatever sans-serif font draws it.
FALLBACK_SLACK = 1.12


# Each character's units, per weight, as they are first measured (labels repeat letters).
_UNITS: tuple[dict[str, int], dict[str, int]] = ({}, {})


def _units(text: str, bold: bool) -> int:
    # Words and short labels repeat (across records too); long text rarely does.
    return _units_short(text, bold) if len(text) <= 40 else _count_units(text, bold)


def _count_units(text: str, bold: bool) -> int:
    table = _UNITS[bold]
    total = 0
    for ch in text:
        units = table.get(ch)
        if units is None:
            units = table[ch] = _char_units(ch, bold)
        total += units
    return total


_units_short = lru_cache(maxsize=1024)(_count_units)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Advance width of `text` at font size `size`, with slack for wider fallback fonts."""
    return text_width_units(_units(text, bold), size)


def text_width_units(units: int, size: float) -> float:
    """The width `text_width` gives for text of `units` font units (the same arithmetic)."""
    return units * size / 1000 * FALLBACK_SLACK


def ellipsize(text: str, width_px: float, size: float, bold: bool = False) -> str:
    """`text` if it fits in `width_px`, else its longest prefix that fits with an ellipsis."""
    text = clean(text)
    if text_width(text, size, bold) <= width_px:
        return text
    budget = width_px - text_width(ELLIPSIS, size, bold)
    used = 0.0
    cut = 0
    for i, ch in enumerate(text):
        used += _char_units(ch, bold) * size / 1000 * FALLBACK_SLACK
        if used > budget:
            break
        cut = i + 1
    # Never part a base letter from its combining marks.
    while 0 < cut < len(text) and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def _hard_break(word: str, width_px: float, size: float, bold: bool) -> list[str]:
    """Split one word too long for a line into pieces that fit (at least one character each)."""
    pieces: list[str] = []
    start, used = 0, 0.0
    for i, ch in enumerate(word):
        w = _units(ch, bold) * size / 1000 * FALLBACK_SLACK
        if used + w > width_px and i > start and not unicodedata.combining(ch):
            pieces.append(word[start:i])
            start, used = i, 0.0
        used += w
    pieces.append(word[start:])
    return pieces


def wrap(
    text: str, width_px: float, size: float, bold: bool = False, *, max_lines: int | None = None
) -> list[str]:
    """Greedy word wrap into lines no wider than `width_px`; cut to `max_lines` with an ellipsis.

    Words longer than a line are broken between characters, so nothing ever overflows
    (the one exception: a single glyph wider than `width_px`).
    """
    lines: list[str] = []
    line = ""
    used = 0  # the line's width in font units: whole numbers, so sums are exact
    space = _units(" ", bold)
    for word in clean(text).split(" "):
        if not word:
            continue
        units = _units(word, bold)
        candidate = used + space + units if line else units
        if text_width_units(candidate, size) <= width_px:
            line = f"{line} {word}" if line else word
            used = candidate
            continue
        if line:
            lines.append(line)
        if text_width_units(units, size) <= width_px * (1 - 1e-9):
            # It fits a line of its own (with room for the rounding of the per-character
            # sum `_hard_break` makes): nothing to break.
            line, used = word, units
        else:
            pieces = _hard_break(word, width_px, size, bold)
            lines.extend(pieces[:-1])
            line = pieces[-1]
            used = _units(line, bold)
        if max_lines is not None and len(lines) > max_lines:
            break  # lines past the last shown need not be made
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = ellipsize(kept[-1] + ELLIPSIS, width_px, size, bold)
        return kept
    return lines
