"""The cascade as Mermaid flowchart source, for Markdown output (a ```mermaid block)."""

from __future__ import annotations

import re
import unicodedata

from postmortem.diagrams.cascade import index_edges
from postmortem.diagrams.palette import LIGHT
from postmortem.diagrams.text import clean
from postmortem.diagrams.types import Cascade, Node

# Mermaid shows long labels wrapped; beyond this the Markdown source gets unreadable.
MAX_LABEL = 160
_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_/+=?!@%*'~^$"
    "\u2014\u2013\u00b7\u2026"  # em and en dash, middle dot, ellipsis
)

# Only the characters outside the safe set need a look (most labels have a few at most).
_UNSAFE = re.compile("[^" + re.escape("".join(sorted(_SAFE))) + "]")


def _escape_char(ch: str) -> str:
    if ch in _SAFE:
        return ch
    # Letters and digits of any script are inert inside a quoted label; everything else
    # (quotes, brackets, <, &, #, :, ;, |, backticks...) becomes a Mermaid entity code.
    if ord(ch) > 127 and unicodedata.category(ch)[0] in "LN":
        return ch
    return f"#{ord(ch)};"


def label(node: Node) -> str:
    """The plain-text label of one node, escaped for a quoted Mermaid label."""
    parts = [clean(part) for part in (node.heading, node.time or "", node.gist)]
    text = " — ".join(part for part in parts if part)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1].rstrip() + "…"
    return _UNSAFE.sub(lambda m: _escape_char(m.group()), text)


def cascade_mermaid(c: Cascade) -> str:
    """Mermaid `flowchart TD` source: nodes `n0, n1, ...` with quoted, escaped labels; edges.

    Record ids never appear (they could clash with Mermaid keywords); every label character
    outside letters, digits and a few inert punctuation marks is written as an entity code
    (`#34;` for `"`), so no label can end its quotes or add structure. `:` and `;` are
    escaped too: Mermaid's own pre-pass treats `style...:...#...;` text specially.
    """
    edges = index_edges(c)
    lines = ["flowchart TD"]
    lines += [f'    n{i}["{label(node)}"]' for i, node in enumerate(c.nodes)]
    lines += [f"    n{u} --> n{v}" for u, v in edges]
    conditions = [f"n{i}" for i, node in enumerate(c.nodes) if node.kind == "condition"]
    if conditions:
        # Latent conditions (format 1.1): roots apart from the trigger, in their own colour
        # and dashed, as in the SVG (a graph without them is written as before).
        fill, stroke = LIGHT["condition_fill"], LIGHT["condition_stroke"]
        lines.append(
            f"    classDef condition fill:{fill},stroke:{stroke},stroke-dasharray:5 3,color:#1f2328"
        )
        lines.append(f"    class {','.join(conditions)} condition")
    return "\n".join(lines) + "\n"
