"""Markdown fields re-written as safe Markdown, from their markdown-it tokens.

The Markdown output is not the author's source passed through: it is re-written from the
parsed tokens, so that renderers which pass raw HTML and any link scheme through
(Python-Markdown inside MkDocs does) see only inert text where the record had HTML or a
`javascript:` link. Text is escaped by writers/escape.py: `<`, `>` and `&` become
entities, which every Markdown renderer shows as the characters themselves, and nothing
written is a mark of a Markdown preprocessor (snippets, critic, PlantUML, graphviz: see
writers/inert.py) or of an inline extension (links, emoji, symbols, marks).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

from postmortem.writers.escape import LINE_BREAKS, escape_inline
from postmortem.writers.escape import escaped as _escaped
from postmortem.writers.escape import guard_line_start as _guard_line_start
from postmortem.writers.inert import CRITIC_OPEN, code_block_html, code_html
from postmortem.writers.marks import CLOSES, OPENS, mark, next_char
from postmortem.writers.tokens import link_allowed, tokens

__all__ = ["code_span", "escape_inline", "link_destination", "to_markdown", "to_markdown_inline"]


class _Node:
    """A token, or an open/close pair of tokens with what lies between: what the writer walks.

    markdown-it's SyntaxTreeNode is the same tree with more bookkeeping, which cost as much
    as all the rest of the Markdown output.
    """

    __slots__ = ("children", "tok", "type")

    def __init__(self, kind: str, tok: Token, children: list[_Node]) -> None:
        self.type = kind
        self.tok = tok  # the token itself, or the opening one of a pair
        self.children = children

    @property
    def content(self) -> str:
        return self.tok.content

    @property
    def info(self) -> str:
        return self.tok.info

    @property
    def attrs(self) -> dict[str, str | int | float]:
        return self.tok.attrs


def _tree(stream: Sequence[Token]) -> list[_Node]:
    """markdown-it's flat token stream as nested nodes (`paragraph_open` … → `paragraph`)."""
    nodes: list[_Node] = []
    stack = [nodes]
    for tok in stream:
        if tok.nesting == 1:
            node = _Node(tok.type.removesuffix("_open"), tok, [])
            stack[-1].append(node)
            stack.append(node.children)
        elif tok.nesting == -1:
            if len(stack) > 1:
                stack.pop()
        else:
            # An inline token's children stay its flat list: `_inline` walks that.
            stack[-1].append(_Node(tok.type, tok, []))
    return nodes


def to_markdown(text: str) -> str:
    """A Markdown field, re-written from its tokens: same text, nothing raw passes."""
    # Never nothing: an empty list item ("- ") under another is a setext underline to
    # Python-Markdown, which would make the item above it a heading.
    return _body(_tree(tokens(text))) or _SPACER


def to_markdown_inline(text: str) -> str:
    """A Markdown field on one line (table cells): paragraphs joined, breaks as spaces."""
    parts: list[str] = []
    # Blocks nest in the token stream as open/close pairs, so their inline and code
    # tokens come in it in the order of the text.
    for tok in tokens(text):
        if tok.type == "inline":
            parts.append(_inline(tok.children or [], one_line=True))
        elif tok.type in ("fence", "code_block"):
            # A block of code in a cell: its lines as one code span, breaks as spaces.
            parts.append(code_span(" ".join(tok.content.split("\n")).strip(), cell=True))
    return " ".join(p for p in parts if p)


_CODE_BLOCKS = ("fence", "code_block")
_LISTS = ("bullet_list", "ordered_list")
# An empty-looking paragraph (an escaped space): what stands where nothing may.
_SPACER = "&#32;"


def _body(nodes: list[_Node]) -> str:
    """Blocks set apart by blank lines.

    A block of code is neither fenced nor indented but `<pre><code>` on one line
    (writers/inert.py): Python-Markdown (MkDocs) finds fences only at the start of a line,
    so a fence inside a list item or a quote gave its lines to Python-Markdown as
    Markdown, and the verbatim lines of either kind are read by preprocessors first. A
    list is one line too (`_list`).
    """
    return "\n\n".join(text for text in map(_block, nodes) if text)


def _block(node: _Node) -> str | None:
    """One block as Markdown; None (or "") when it shows nothing."""
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children[0].tok.children or []) if node.children else ""
    if kind in _LISTS:
        return _list(node)
    if kind == "blockquote":
        inner = _body(node.children)
        return "\n".join(("> " + line) if line else ">" for line in inner.split("\n"))
    if kind in _CODE_BLOCKS:
        # The language of a fence is left out, as our HTML output leaves it out.
        code = node.content.rstrip("\n")
        return code_block_html(code + "\n") if code.strip() else None
    if kind == "hr":
        return "***"  # "---" under a line of a tight list item would underline it
    if kind == "table":
        return _table(node)
    # Anything else (headings are disabled) is kept as its text.
    return _escape_text(node.content) if node.content else None


def _list(node: _Node) -> str:
    """A list as one line: its structure as HTML tags, its text as our Markdown between them.

    No indentation of a nested list is read alike: Python-Markdown nests at four spaces,
    mdx_truly_sane_lists (techdocs-core) at two (at four it shows `- a` as text), CommonMark
    at the marker's width; and a template sets a field inside a list item of its own. Tags
    on one line need no indentation. The line starts with a space reference, so that no
    reader takes it for an HTML block (whose text markdown-it would not read as Markdown):
    the tags are inline HTML to every reader, and the text between them Markdown.
    """
    return _SPACER + _tags(node)


# Blocks inside a list, as the tag markdown-it's own HTML gives them.
_TAGS = {"list_item": "li", "blockquote": "blockquote", "table": "table", "thead": "thead"}
_TAGS |= {"tbody": "tbody", "tr": "tr", "th": "th", "td": "td"}
_ALIGNS = ("text-align:left", "text-align:center", "text-align:right")


def _tags(node: _Node) -> str:
    """One block inside a list as HTML tags around Markdown text, on one line."""
    kind = node.type
    inner = "".join(_tags(child) for child in node.children)
    if kind in _LISTS:
        start = int(node.attrs.get("start", 1))
        if kind == "bullet_list":
            return f"<ul>{inner}</ul>"
        return f"<ol>{inner}</ol>" if start == 1 else f'<ol start="{start}">{inner}</ol>'
    if kind == "paragraph":
        text = _inline(node.children[0].tok.children or [], one_line=True) if node.children else ""
        return text if node.tok.hidden else f"<p>{text}</p>"  # a tight item's text stands bare
    if kind in ("th", "td"):
        text = _inline(node.children[0].tok.children or [], one_line=True) if node.children else ""
        style = node.attrs.get("style")
        align = f' style="{style}"' if style in _ALIGNS else ""
        return f"<{kind}{align}>{text}</{kind}>"
    if kind in _TAGS:
        return f"<{_TAGS[kind]}>{inner}</{_TAGS[kind]}>"
    if kind in _CODE_BLOCKS:
        code = node.content.rstrip("\n")
        return code_block_html(code + "\n") if code.strip() else ""
    if kind == "hr":
        return "<hr>"
    return _escape_text(node.content) if node.content else ""


def _table(node: _Node) -> str:
    rows: list[list[str]] = []
    aligns: list[str] = []
    for section in node.children:
        for row in section.children:
            cells = []
            for cell in row.children:
                if section.type == "thead":
                    style = str(cell.attrs.get("style", ""))
                    aligns.append(style.removeprefix("text-align:"))
                inline = (cell.children[0].tok.children or []) if cell.children else []
                cells.append(_inline(inline, one_line=True))
            rows.append(cells)
    if not rows:
        return ""
    rule = {"left": ":---", "center": ":---:", "right": "---:"}
    width = len(rows[0])
    lines = ["| " + " | ".join(rows[0]) + " |"]
    lines.append("| " + " | ".join(rule.get(a, "---") for a in aligns[:width]) + " |")
    for cells in rows[1:]:
        cells = (cells + [""] * width)[:width]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _escape_text(text: str, *, line_start: bool = False) -> str:
    escaped = _escaped(text)
    return _guard_line_start(escaped) if line_start else escaped


# What a code span cannot hold as itself: the line breaks anywhere, and in a table cell the
# `|`, which GitHub reads as the cell's end even inside a code span, while Python-Markdown
# reads `\|` there as two characters: no spelling inside a code span is read alike by both.
_NOT_IN_CODE = re.compile("[" + LINE_BREAKS + "]")
_NOT_IN_CELL_CODE = re.compile("[|" + LINE_BREAKS + "]")


def code_span(code: str, *, cell: bool = False) -> str:
    """`code` as code spans on one line; what a span cannot hold is written as escaped text.

    In a cell (`cell=True`), `a|b` becomes the spans `a` and `b` with an escaped `|`
    between: the same visible text in every renderer, and the cell stays whole.
    """
    code = code.replace("\n", " ")  # CommonMark shows a line break in a code span as a space
    if CRITIC_OPEN.search(code):
        return code_html(code)  # pymdownx.critic would edit it: verbatim cannot be inert
    unfit = _NOT_IN_CELL_CODE if cell else _NOT_IN_CODE
    if unfit.search(code) is None:
        return _span(code)
    out: list[str] = []
    at = 0
    for m in unfit.finditer(code):
        out += [_span(code[at : m.start()]), _escaped(m.group())]
        at = m.end()
    out.append(_span(code[at:]))
    return "".join(out)


# pymdownx.inlinehilite (techdocs-core) takes a span's leading `#!name ` or `:::name ` for
# its language: the mark vanished from the page and the rest came out highlighted.
_LANGUAGE_MARK = re.compile(r"#!|:::")


def _span(code: str) -> str:
    if not code:
        return ""
    if _LANGUAGE_MARK.match(code):
        return code_html(code)  # `&#35;&#33;`: no mark left to read
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0) if "`" in code else 0
    ticks = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") or not code.strip() else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


# In a link's destination: what ends it (space, `)`, `<`, `>`), what Python-Markdown takes
# for the start of a title wherever it stands (`"`, `'`: the title then ran on into the
# next line's text), every line break and whitespace, `|` (GitHub ends a table cell
# there), and the backtick and backslash (which Python-Markdown's table reader counts
# wherever they stand in a row), and `{` (a critic mark, writers/inert.py).
_URL_UNSAFE = re.compile(r"[\s()<>|`\\\"'{\x00-\x1f\x7f-\x9f]")


def link_destination(url: str) -> str:
    """A URL as a Markdown link's destination: every character that could end it, %-encoded."""
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), url)


def _inline(tokens: Sequence[Token], *, one_line: bool = False) -> str:
    """An inline token stream as Markdown: marks re-written, text escaped, links filtered."""
    out: list[str | None] = []  # None: an emphasis opened, its mark not yet chosen
    links: list[tuple[int, str]] = []  # where each open link's label starts, and its href
    marks: list[int] = []  # where each open emphasis stands in `out`
    line_start = True
    for at, tok in enumerate(tokens):
        kind = tok.type
        if kind == "text":
            out.append(_escape_text(tok.content, line_start=line_start))
        elif kind == "softbreak" or kind == "hardbreak":
            if one_line:
                out.append(" ")
            elif kind == "softbreak":
                out.append("\n")
            else:
                # A line of nothing but the break's two spaces would be blank: it would end
                # the paragraph, or leave a list marker alone to underline the line above.
                out.append(f"{_SPACER}  \n" if line_start else "  \n")
            line_start = not one_line
            continue
        elif kind == "code_inline":
            span = code_span(tok.content, cell=one_line)
            if line_start and span.startswith("```"):
                # Python-Markdown takes "```{.a``b```}" at a line's start for a fence that
                # runs to the next "```" line; a space before it is nothing to either parser.
                span = " " + span
            out.append(span)
        elif kind == "image":
            # The alt text as markdown-it shows it (its words, on one line), escaped: the
            # source between the brackets may hold line breaks and marks of its own.
            alt = _escape_text(" ".join(_alt_words(tok.children or []).split("\n")))
            out.append(f"![{alt}]({link_destination(str(tok.attrs.get('src', '')))})")
        elif tok.nesting == 1:
            # An opening mark: what it holds starts where it stands (at a line start, too).
            if kind == "link_open":
                last = out[-1] if out else None
                if last is not None and last.endswith("!"):
                    # A `!` of the text right before `[` would make the link an image,
                    # which a reader fetches (`!<https://x/p.png>`).
                    out[-1] = last[:-1] + "\\!"
                links.append((len(out), str(tok.attrs.get("href", ""))))
            elif kind in OPENS:
                marks.append(len(out))
                out.append(None)
            continue
        elif kind == "link_close":
            start, href = links.pop()
            if link_allowed(href):
                label = "".join(p for p in out[start:] if p)
                del out[start:]
                out.append(f"[{label}]({link_destination(href)})")
        elif kind in CLOSES:
            start = marks.pop()
            after = next_char(tokens[at + 1 :])
            out[start], close = mark(CLOSES[kind], out, start, after)
            out.append(close)
        line_start = False
    return "".join(p for p in out if p)


def _alt_words(tokens: Sequence[Token]) -> str:
    """An image's alt text, as markdown-it's renderer makes it from the label's tokens."""
    words = []
    for tok in tokens:
        if tok.type in ("text", "code_inline"):
            words.append(tok.content)
        elif tok.type == "image":
            words.append(_alt_words(tok.children or []))
        elif tok.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return "".join(words)
