"""Record text: Markdown fields to HTML, to safe Markdown, and to plain words.

One parser configuration serves every output: CommonMark with GFM tables and
strikethrough, raw HTML off, headings off (a field must not add to the document's
outline), links limited to http, https, mailto and relative paths. Every output is written
from the field's markdown-it tokens (writers/tokens.py), whichever reader made them.
"""

from __future__ import annotations

from postmortem.writers.markdown_out import (
    code_span,
    escape_inline,
    link_destination,
    to_markdown,
    to_markdown_inline,
)
from postmortem.writers.tokens import LINK_SCHEMES, link_allowed, parser, tokens

__all__ = [
    "LINK_SCHEMES",
    "code_span",
    "escape_inline",
    "link_allowed",
    "link_destination",
    "plain_text",
    "to_html",
    "to_html_inline",
    "to_markdown",
    "to_markdown_inline",
]


def to_html(text: str) -> str:
    """A Markdown field as HTML (raw HTML shown as text, links filtered)."""
    md = parser()
    html: str = md.renderer.render(tokens(text), md.options, {})
    return html


def to_html_inline(text: str) -> str:
    """A Markdown field as inline HTML, for table cells and list items of one paragraph."""
    html = to_html(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def plain_text(text: str) -> str:
    """A Markdown field's words as one line of plain text (for picture labels)."""
    parts: list[str] = []
    for token in tokens(text):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        if token.type in ("paragraph_close", "list_item_close", "fence", "code_block"):
            parts.append(" " + token.content if token.type in ("fence", "code_block") else " ")
    return " ".join("".join(parts).split())
