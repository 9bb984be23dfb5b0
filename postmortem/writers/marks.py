"""Emphasis marks written back: `*` and `**` where every reader pairs them alike, else tags.

CommonMark pairs runs of `*` by its flanking rules (the characters on either side, and the
"rule of 3" over the runs' lengths); Python-Markdown by its own patterns. Beside an escaped
`*`, an entity or another mark the two disagree with each other and with the parse the
field came from, and show marks where there were words. The tag is read alike by all.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it.token import Token

# An emphasis as `*`, `**` (CommonMark and Python-Markdown alike) or as its tag.
OPENS = frozenset(("em_open", "strong_open", "s_open"))
CLOSES = {"em_close": "em", "strong_close": "strong", "s_close": "del"}
_DELIMITERS = {"em": "*", "strong": "**"}
# Where a `*` run opens and closes in every reader, whatever the text around it.
_OPENS_AFTER = frozenset(" \t\n(")
_CLOSES_BEFORE = frozenset(" \t\n.,;:!?)")
# Punctuation a `*` run may stand next to inside the emphasis, where a space (or nothing)
# stands on its other side: "**Done.**" is read alike by all.
_LEADING = frozenset("(\"'")
_TRAILING = frozenset(".,;:!?)\"'")
_SPACE = frozenset(("", " ", "\t", "\n"))
_OTHER = "\x00"  # stands for a mark or a link next to a mark: never a safe neighbour


def mark(tag: str, out: list[str | None], start: int, after: str) -> tuple[str, str]:
    """The opening and closing mark of the emphasis `out[start + 1:]` holds.

    `*` and `**` only where no reader can pair them otherwise: after a space, a `(` or
    nothing, around text that starts and ends with a letter or digit (or punctuation,
    where a space is on the mark's other side), before a space, closing punctuation or
    nothing. Anywhere else (next to another mark, an escape, an
    entity) CommonMark's flanking rules and Python-Markdown's patterns pair runs of `*`
    differently (`\\**&amp;-*a**`), and the tag says it for all of them. Strikethrough is
    always the tag: Python-Markdown (MkDocs) has no `~~` without an extension.
    """
    before = _near(out, start, -1)
    first, last = _near(out, start, 1), _near(out, len(out), -1)
    delimiter = _DELIMITERS.get(tag)
    if (
        delimiter
        and (before == "" or before in _OPENS_AFTER)
        and (first.isalnum() or (first in _LEADING and before in _SPACE))
        and (last.isalnum() or (last in _TRAILING and after in _SPACE))
        and (after == "" or after in _CLOSES_BEFORE)
    ):
        return delimiter, delimiter
    return f"<{tag}>", f"</{tag}>"


def _near(out: list[str | None], index: int, step: int) -> str:
    """The character next to `out[index]` going `step`; "" at an end, _OTHER at an open mark."""
    index += step
    while 0 <= index < len(out):
        piece = out[index]
        if piece is None:
            return _OTHER
        if piece:
            return piece[-1] if step < 0 else piece[0]
        index += step
    return ""


def next_char(rest: Sequence[Token]) -> str:
    """The first character written for the tokens after a closing mark."""
    for tok in rest:
        if tok.type == "text":
            # markdown-it leaves a strong mark's unused delimiter empty. A character the
            # writer escapes is written as `\` or `&`: none is a safe neighbour, nor as itself.
            if tok.content:
                return tok.content[0]
            continue
        return " " if tok.type in ("softbreak", "hardbreak") else _OTHER
    return ""
