"""Row labels that stay whole where they can and never look alike for different rows."""

from __future__ import annotations

import re
import unicodedata

from postmortem.diagrams.text import ELLIPSIS, clean, ellipsize, text_width, wrap

# How a row number ends a label: " (12)".
_NUMBER = re.compile(r" \([0-9]+\)\Z")


def _tail(text: str, width: float, size: float) -> str:
    """An ellipsis and the longest end of `text` that fits `width` with it."""
    room = width - text_width(ELLIPSIS, size)
    cut, used = len(text), 0.0
    # Grow the end one character at a time, adding up widths (linear in the label).
    while cut > 0 and used + text_width(text[cut - 1], size) <= room:
        cut -= 1
        used += text_width(text[cut], size)
    # Start at a word where the end has one (a part-word reads worse than "…"), and
    # never on a combining mark, apart from its letter.
    space = text.find(" ", cut)
    if cut > 0 and text[cut - 1] != " " and space != -1:
        cut = space + 1
    while cut < len(text) and unicodedata.combining(text[cut]):
        cut += 1
    return ELLIPSIS + text[cut:].lstrip()


def _numbered(text: str, row: int, width: float, size: float) -> str:
    """`text` cut to leave room for the row's own number, which is always shown."""
    mark = f" ({row})"
    return ellipsize(text, max(0.0, width - text_width(mark, size)), size) + mark


def row_labels(labels: list[str], width: float, size: float) -> list[list[str]]:
    """Each label in one or two lines of at most `width`; the rows' shown labels all differ.

    A label that does not fit two lines is cut with an ellipsis. Where that makes two rows
    look alike (a long shared beginning), the second line shows the label's end instead;
    where even that does not tell them apart (the same label twice, or a difference only
    in the middle), each such row's label ends with its row number, "(3)".
    """
    texts = [clean(label) for label in labels]
    shown = [wrap(text, width, size, max_lines=2) or [""] for text in texts]
    for i in _alike(shown):
        if len(shown[i]) == 2 and shown[i][1].endswith(ELLIPSIS):
            # Cut short: its first line as wrapped, then how it ends.
            shown[i] = [shown[i][0], _tail(texts[i], width, size)]
    # Rows that end with their own number differ from each other; the others differ from
    # each other and, not ending as a number does, from those: every row is told apart.
    for i in sorted({*_alike(shown), *(i for i, s in enumerate(shown) if _NUMBER.search(s[-1]))}):
        shown[i] = [*shown[i][:-1], _numbered(shown[i][-1], i + 1, width, size)]
    return shown


def _alike(shown: list[list[str]]) -> list[int]:
    """Rows whose shown lines are the same as another row's."""
    seen: dict[tuple[str, ...], list[int]] = {}
    for i, lines in enumerate(shown):
        seen.setdefault(tuple(lines), []).append(i)
    return sorted(i for rows in seen.values() if len(rows) > 1 for i in rows)
