"""Record text as markdown-it tokens: the one parser configuration, and a fast reader.

Every writer of a Markdown field (HTML, safe Markdown, picture labels) reads the tokens
`tokens` returns. Most fields are paragraphs of prose with a few code spans, emphasis and
links, and for those markdown-it's parse is most of what a field costs. `_simple` reads
that subset itself, in the forms where CommonMark leaves no doubt, and emits the very
tokens markdown-it would; anything else (lists, quotes, tables, escapes, entities, tags,
an unmatched mark, a mark whose flanking would need weighing) goes to the parser.
tests/test_text.py compares the two token lists on many strings.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from postmortem.diagrams.text import OTHER_WHITESPACE
from postmortem.fields import SCHEME, markdown_parser

LINK_SCHEMES = ("http", "https", "mailto")

# A list marker or ordered-list number before a space, or any `-`, `+` or `=` (a run of
# `=` or `-` under a line is a setext underline, whatever the renderer); and what
# techdocs-core's extensions read there: a `:` before a space (a definition of the line
# above: def_list), `!!!` (admonition) and `???` (pymdownx.details).
LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)](?=\s|$)|:(?=[ \t])|!!!|\?\?\?)")


def link_allowed(url: str) -> bool:
    """http, https, mailto, or a relative path (not `//host`, which is a network path)."""
    url = url.strip()
    if url.startswith("//") or url.startswith("\\"):
        return False
    match = SCHEME.match(url)
    return match is None or match.group(1).lower() in LINK_SCHEMES


@cache
def parser() -> MarkdownIt:
    """The markdown-it parser for record fields."""
    return markdown_parser(link_allowed)


# A record's fields are parsed once and the tokens shared by the HTML, the Markdown and the
# pictures' labels. A record has ~40 fields, so this keeps a few records' worth; the
# writers only read tokens (markdown-it's image rule re-sets an image's `alt` to the same
# value, which nothing else reads).
@lru_cache(maxsize=256)
def tokens(text: str) -> list[Token]:
    """A Markdown field's tokens, exactly as markdown-it gives them."""
    simple = _simple(text)
    return simple if simple is not None else parser().parse(text)


# Never outside a code span: the marks, escapes, entities, tags and table and strike marks.
# Nowhere: control characters and whitespace but spaces and newlines.
_NEVER = "\\x00-\\x08\\x0e-\\x1f\\x7f-\\x9f" + re.escape(OTHER_WHITESPACE)
_MARKED = rf"`*_\[\]\\&<>|~{_NEVER}"
_WORDS = rf"[^{_MARKED}\n]"  # text on one line
_PIECE = re.compile(
    rf"""
    (?P<text>{_WORDS}+)
  | (?P<br>\n)
  | `(?P<code>[^`\s{_NEVER}](?:[^`\n{_NEVER}]*[^`\s{_NEVER}])?)`(?!`)
    # Emphasis: the mark after a space, `(` or the start and before a letter or number,
    # closed by the same mark after anything but a space and before a space, the end or
    # closing punctuation, with no other mark between. No other emphasis is open around
    # it, so the two marks can only pair with each other.
  | (?<![^\s(])(?P<mark>\*\*|__|\*|_)(?P<em>[^\W_](?:[^{_MARKED}]*[^\s{_MARKED}])?)
    (?P=mark)(?=[\s.,;:!?)]|$)
    # A link: no `;` in the destination, so no entity (`&#106;avascript:`) that markdown-it
    # would decode before checking the link.
  | (?<!!)\[(?P<label>{_WORDS}+(?:\n{_WORDS}+)*)\]\((?P<url>[A-Za-z0-9\-._~/?#=+:@,!$*'%&]+)\)
    """,
    re.VERBOSE,
)


def _simple(text: str) -> list[Token] | None:
    """The tokens of `text` if it is in the simple subset, else None.

    Every line starts with a letter, a digit (never a list number such as `1.`) or one of
    the pieces, and ends without a space (no hard break); paragraphs part at empty lines.
    A link that `link_allowed` refuses leaves the subset too (the parser shows its text).
    """
    out: list[Token] = []
    first = 0  # the line the paragraph being read starts at
    lines = text.split("\n")
    for number, line in enumerate((*lines, "")):
        if line:
            if (
                line[-1] == " "
                or not (line[0].isalnum() or line[0] in "*_`[")
                or LINE_START.match(line)
            ):
                return None
            continue
        if number > first:
            body = "\n".join(lines[first:number])
            children = _inline(body)
            if children is None:
                return None
            where = [first, number]
            out += [
                Token("paragraph_open", "p", 1, map=where, block=True),
                Token(
                    "inline", "", 0, map=where, level=1, children=children, content=body, block=True
                ),
                Token("paragraph_close", "p", -1, block=True),
            ]
        first = number + 1
    return out or None


def _inline(body: str) -> list[Token] | None:
    """One paragraph's inline tokens, as markdown-it's inline rules leave them; None if unsure."""
    out: list[Token] = []

    def text(words: str, level: int = 0) -> None:
        # markdown-it joins adjacent text tokens into the last of them (`fragments_join`).
        if out and out[-1].type == "text":
            out[-1].content += words
        else:
            out.append(Token("text", "", 0, level=level, content=words))

    def lines(words: str, level: int) -> None:
        head, *rest = words.split("\n")
        text(head, level)
        for line in rest:
            out.append(Token("softbreak", "br", 0, level=level))
            text(line, level)

    at = 0
    while at < len(body):
        m = _PIECE.match(body, at)
        if m is None:
            return None
        at = m.end()
        kind = m.lastgroup
        if kind == "text":
            text(m.group(kind))
        elif kind == "br":
            out.append(Token("softbreak", "br", 0))
        elif kind == "code":
            out.append(Token("code_inline", "code", 0, content=m.group(kind), markup="`"))
        elif kind == "em":
            mark = m.group("mark")
            tag = "strong" if len(mark) == 2 else "em"
            if tag == "strong":
                text("")  # a strong mark's unused delimiter token, left empty
            out.append(Token(f"{tag}_open", tag, 1, markup=mark))
            lines(m.group(kind), 1)
            out.append(Token(f"{tag}_close", tag, -1, markup=mark))
            if tag == "strong":
                text("")
        else:
            # What markdown-it's link rule does with a destination: normalize, then check.
            href = parser().normalizeLink(m.group("url"))
            if not link_allowed(href):
                return None
            out.append(Token("link_open", "a", 1, attrs={"href": href}))
            lines(m.group("label"), 1)
            out.append(Token("link_close", "a", -1))
    return out
