"""Markdown fields re-written as safe Markdown, from their markdown-it tokens.

The Markdown output is not the author's source passed through: it is re-written from the
parsed tokens, so that renderers which pass raw HTML and any link scheme through
(Python-Markdown inside MkDocs does) see only inert text where the record had HTML or a
`javascript:` link. `<`, `>` and `&` become entities, which every Markdown renderer
shows as the characters themselves. Nothing written is a mark of a Markdown
preprocessor either (snippets, critic, PlantUML, graphviz): see writers/inert.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

from postmortem.writers.inert import BREAKS, CRITIC_OPEN, code_block_html, code_html
from postmortem.writers.marks import CLOSES, OPENS, mark, next_char
from postmortem.writers.tokens import LINE_START as _LINE_START
from postmortem.writers.tokens import link_allowed, tokens

# `<` and `{` as entities also break every preprocessor's mark (writers/inert.py).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;", "{": "&#123;"}
# Backslash escapes that CommonMark and Python-Markdown both understand.
_BACKSLASHED = set("\\`*_[]#")
LINE_BREAKS = "\n" + "".join(BREAKS)


# Every kind of escape in one table, for str.translate (the templates print many values).
_ESCAPES = (
    {ord(ch): "\\" + ch for ch in _BACKSLASHED}
    | {ord(k): v for k, v in _ENTITIES.items()}
    | {ord(k): v for k, v in BREAKS.items()}
)


# Any character `_ESCAPES` changes, or `::`: most text has none, and a search costs less
# than translate.
_ESCAPABLE = re.compile("[" + re.escape("\\`*_[]#&<>|~{" + "".join(BREAKS)) + "]|::")


def _escaped(text: str) -> str:
    if _ESCAPABLE.search(text) is None:
        return text
    # `::uml::` starts a PlantUML block; no `::` is left, so neither is `uml::`.
    return text.translate(_ESCAPES).replace("::", "&#58;:")


def escape_inline(text: str) -> str:
    """Plain text → Markdown that renders as exactly this text, on one line."""
    return _guard_line_start(_escaped(text.replace("\n", " ")))


def _guard_line_start(text: str) -> str:
    # A list marker, setext underline or ordered-list number at the start of a line.
    first = text[:1]
    if first and not (first in "-+=" or first.isdigit() or first.isspace()):
        return text  # most text starts with a letter: no marker can follow
    match = _LINE_START.match(text)
    if not match:
        return text
    lead, marker = match.groups()
    if marker[-1] in ".)":
        return f"{lead}{marker[:-1]}\\{marker[-1]}{text[match.end() :]}"
    return f"{lead}&#{ord(marker)};{text[match.end() :]}"


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


def _body(nodes: list[_Node], sep: str = "\n\n") -> str:
    """Blocks joined by `sep`; a block of code (one line of HTML) set apart by blank lines.

    A block of code is neither fenced nor indented but `<pre><code>` on one line
    (writers/inert.py): Python-Markdown (MkDocs) finds fences only at the start of a line,
    so a fence inside a list item or a quote gave its lines to Python-Markdown as
    Markdown, and the verbatim lines of either kind are read by preprocessors first.
    """
    out: list[str] = []
    last = ""
    for node in nodes:
        text = _block(node)
        if not text:
            continue
        code = node.type in _CODE_BLOCKS
        if out:
            out.append("\n\n" if code or last in _CODE_BLOCKS else sep)
        out.append(text)
        last = node.type
    return "".join(out)


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
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    tight = all(
        p.tok.hidden for item in node.children for p in item.children if p.type == "paragraph"
    )
    items = []
    for n, item in enumerate(node.children, start=start):
        marker = f"{n}." if ordered else "-"
        # Python-Markdown reads an item's lines after the first at four spaces, CommonMark
        # at the marker's width: four (or more) serves both.
        pad = " " * max(4, len(marker) + 1)
        lines = _body(item.children, "\n" if tight else "\n\n").split("\n")
        first = f"{marker} {lines[0] or _SPACER}"  # "-" alone can underline the line above
        rest = [(pad + line) if line else "" for line in lines[1:]]
        items.append("\n".join([first, *rest]))
    return ("\n" if tight else "\n\n").join(items)


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


def _span(code: str) -> str:
    if not code:
        return ""
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
