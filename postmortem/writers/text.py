"""Record text: Markdown fields to HTML, to safe Markdown, and plain fields escaped.

One parser configuration serves both outputs: CommonMark with GFM tables and
strikethrough, raw HTML off, headings off (a field must not add to the document's
outline), links limited to http, https, mailto and relative paths.

The Markdown output is not the author's source passed through: it is re-written from the
parsed tokens, so that renderers which pass raw HTML and any link scheme through
(Python-Markdown inside MkDocs does) see only inert text where the record had HTML or a
`javascript:` link. `<`, `>` and `&` become entities, which every Markdown renderer
shows as the characters themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from postmortem.diagrams.text import OTHER_WHITESPACE
from postmortem.fields import SCHEME, markdown_parser

LINK_SCHEMES = ("http", "https", "mailto")


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
# pictures' labels: parsing is most of what Markdown costs. A record has ~40 fields, so this
# keeps a few records' worth; the renderers only read tokens (markdown-it's image rule
# re-sets an image's `alt` to the same value, which nothing else reads).
@lru_cache(maxsize=256)
def _tokens(text: str) -> list[Token]:
    return parser().parse(text)


# Most fields are paragraphs of prose with a few code spans, emphasis and links, and for
# those markdown-it's parse is most of what a field costs (85 of 100 µs). `_simple` reads
# that subset itself, in the forms where CommonMark leaves no doubt; anything else (lists,
# quotes, tables, escapes, entities, tags, an unmatched mark, a mark whose flanking would
# need weighing) goes to the parser. Every output below is byte for byte what the parser's
# path gives: tests/test_text.py compares the two on many strings.
_TEXT, _BREAK, _CODE, _EM, _STRONG, _LINK = range(6)
_Piece = tuple[int, str, str]  # kind, text (label for a link), href (links only)

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


@lru_cache(maxsize=256)
def _simple(text: str) -> tuple[tuple[_Piece, ...], ...] | None:
    """The paragraphs of `text` as pieces if it is in the simple subset, else None.

    Every line starts with a letter, a digit (never a list number such as `1.`) or one of
    the pieces, and ends without a space (no hard break); paragraphs part at empty lines.
    A link that `link_allowed` refuses leaves the subset too (the parser shows its text).
    """
    paragraphs: list[tuple[_Piece, ...]] = []
    lines: list[str] = []
    for line in (*text.split("\n"), ""):
        if line:
            if (
                line[-1] == " "
                or not (line[0].isalnum() or line[0] in "*_`[")
                or _LINE_START.match(line)
            ):
                return None
            lines.append(line)
            continue
        if not lines:
            continue
        body = "\n".join(lines)
        lines = []
        pieces: list[_Piece] = []
        at = 0
        while at < len(body):
            m = _PIECE.match(body, at)
            if m is None:
                return None
            at = m.end()
            kind = m.lastgroup
            if kind == "text":
                pieces.append((_TEXT, m.group(kind), ""))
            elif kind == "br":
                pieces.append((_BREAK, "", ""))
            elif kind == "code":
                pieces.append((_CODE, m.group(kind), ""))
            elif kind == "em":
                pieces.append((_STRONG if len(m.group("mark")) == 2 else _EM, m.group(kind), ""))
            else:
                # What markdown-it's link rule does with a destination: normalize, then check.
                href = parser().normalizeLink(m.group("url"))
                if not link_allowed(href):
                    return None
                pieces.append((_LINK, m.group("label"), href))
        paragraphs.append(tuple(pieces))
    return tuple(paragraphs) or None


_HTML_TAGS = {_EM: "em", _STRONG: "strong", _CODE: "code"}


def _html(pieces: tuple[_Piece, ...]) -> str:
    out = []
    for kind, words, href in pieces:
        if kind == _TEXT:
            out.append(escapeHtml(words))
        elif kind == _BREAK:
            out.append("\n")
        elif kind == _LINK:
            out.append(f'<a href="{escapeHtml(href)}">{escapeHtml(words)}</a>')
        else:
            tag = _HTML_TAGS[kind]
            out.append(f"<{tag}>{escapeHtml(words)}</{tag}>")
    return "".join(out)


def to_html(text: str) -> str:
    """A Markdown field as HTML (raw HTML shown as text, links filtered)."""
    simple = _simple(text)
    if simple is not None:
        return "".join(f"<p>{_html(p)}</p>\n" for p in simple)
    md = parser()
    html: str = md.renderer.render(_tokens(text), md.options, {})
    return html


def to_html_inline(text: str) -> str:
    """A Markdown field as inline HTML, for table cells and list items of one paragraph."""
    html = to_html(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def plain_text(text: str) -> str:
    """A Markdown field's words as one line of plain text (for picture labels)."""
    simple = _simple(text)
    if simple is not None:
        words = " ".join("".join(" " if k == _BREAK else w for k, w, _ in p) for p in simple)
        return " ".join(words.split())
    parts: list[str] = []
    for token in _tokens(text):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        if token.type in ("paragraph_close", "list_item_close", "fence", "code_block"):
            parts.append(" " + token.content if token.type in ("fence", "code_block") else " ")
    return " ".join("".join(parts).split())


# --- Markdown out -------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;"}
# Backslash escapes that CommonMark and Python-Markdown both understand.
_BACKSLASHED = set("\\`*_[]#")
# Every character but \n that `str.splitlines` (and so Jinja's `indent`) or a Markdown
# renderer ends a line at. None may reach the output as itself: where a template indents
# or a renderer splits, it would start a line no escape has looked at. The two Unicode
# separators are printable and become entities (read back as themselves); the control
# characters have no entity that both parsers read back and become escaped spaces (a
# plain one could leave a line blank, or a list marker alone on its line).
_BREAKS = {"\u2028": "&#8232;", "\u2029": "&#8233;"}
_BREAKS |= dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85", "&#32;")
LINE_BREAKS = "\n" + "".join(_BREAKS)
# A list marker or ordered-list number before a space, or any `-`, `+` or `=` (a run of
# `=` or `-` under a line is a setext underline, whatever the renderer).
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)](?=\s|$))")


# Every kind of escape in one table, for str.translate (the templates print many values).
_ESCAPES = (
    {ord(ch): "\\" + ch for ch in _BACKSLASHED}
    | {ord(k): v for k, v in _ENTITIES.items()}
    | {ord(k): v for k, v in _BREAKS.items()}
)


# Any character `_ESCAPES` changes: most text has none, and a search costs less than translate.
_ESCAPABLE = re.compile("[" + re.escape("\\`*_[]#&<>|~" + "".join(_BREAKS)) + "]")


def _escaped(text: str) -> str:
    return text if _ESCAPABLE.search(text) is None else text.translate(_ESCAPES)


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


def _tree(tokens: Sequence[Token]) -> list[_Node]:
    """markdown-it's flat token stream as nested nodes (`paragraph_open` … → `paragraph`)."""
    nodes: list[_Node] = []
    stack = [nodes]
    for tok in tokens:
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
    simple = _simple(text)
    if simple is not None:
        return "\n\n".join(_markdown(p) for p in simple)
    # Never nothing: an empty list item ("- ") under another is a setext underline to
    # Python-Markdown, which would make the item above it a heading.
    return _body(_tree(_tokens(text))) or _SPACER


def to_markdown_inline(text: str) -> str:
    """A Markdown field on one line (table cells): paragraphs joined, breaks as spaces."""
    simple = _simple(text)
    if simple is not None:
        return " ".join(_markdown(p, one_line=True) for p in simple)
    parts: list[str] = []
    # Blocks nest in the token stream as open/close pairs, so their inline and code
    # tokens come in it in the order of the text.
    for tok in _tokens(text):
        if tok.type == "inline":
            parts.append(_inline(tok.children or [], one_line=True))
        elif tok.type in ("fence", "code_block"):
            # A block of code in a cell: its lines as one code span, breaks as spaces.
            parts.append(code_span(" ".join(tok.content.split("\n")).strip(), cell=True))
    return " ".join(p for p in parts if p)


def _markdown(pieces: tuple[_Piece, ...], *, one_line: bool = False) -> str:
    """What `_inline` writes for the tokens these pieces stand for."""
    out = []
    line_start = True
    for kind, words, href in pieces:
        if kind == _BREAK:
            out.append(" " if one_line else "\n")
            line_start = not one_line
            continue
        if kind == _CODE:
            out.append(code_span(words, cell=one_line))
        else:
            # markdown-it leaves an empty text token before a strong mark, which `_inline`
            # counts as text on the line: what the mark holds is not at a line start.
            first = line_start and kind != _STRONG
            if "\n" in words:  # a label or emphasis across lines: its breaks are soft
                head, *rest = words.split("\n")
                escaped = (" " if one_line else "\n").join(
                    [_escape_text(head, line_start=first)]
                    + [_escape_text(line, line_start=not one_line) for line in rest]
                )
            else:
                escaped = _escape_text(words, line_start=first)
            if kind == _TEXT:
                out.append(escaped)
            elif kind == _LINK:
                out.append(f"[{escaped}]({_safe_url(href)})")
            else:
                mark = _MARKS_OUT["strong_open" if kind == _STRONG else "em_open"]
                out.append(f"{mark}{escaped}{mark}")
        line_start = False
    return "".join(out)


_CODE_BLOCKS = ("fence", "code_block")
_LISTS = ("bullet_list", "ordered_list")
# An empty-looking paragraph (an escaped space) that a block of code can follow safely.
_SPACER = "&#32;"


def _body(nodes: list[_Node], sep: str = "\n\n") -> str:
    """Blocks joined by `sep`; a block of code set apart by blank lines, never first.

    A block of code is written indented, never fenced: Python-Markdown (MkDocs) finds
    fences only at the start of a line, so a fence inside a list item or a quote (where a
    template or the field itself puts it) would give its lines to Python-Markdown as
    Markdown, raw HTML and all. Indented code is code to both parsers at any depth, but
    only after a paragraph-like block: first in a body it could land on a list marker's
    line (read as text) or right after a list of the template's, and after a list it
    would continue the list's last item. There an empty paragraph goes before it.
    """
    out: list[str] = []
    last = ""
    for node in nodes:
        text = _block(node)
        if not text:
            continue
        code = node.type in _CODE_BLOCKS
        if code and (not out or last in _LISTS):
            out += ["\n\n", _SPACER] if out else [_SPACER]
            last = "paragraph"
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
        # The language of a fence is left out: an indented block has no place for it.
        lines = node.content.rstrip("\n").split("\n")
        if not "".join(lines).strip():
            return None
        return "\n".join(("    " + line) if line else "" for line in lines)
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


def _safe_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def _inline(tokens: Sequence[Token], *, one_line: bool = False) -> str:
    """An inline token stream as Markdown: marks re-written, text escaped, links filtered."""
    out: list[str] = []
    links: list[tuple[int, str]] = []  # where each open link's label starts, and its href
    line_start = True
    for tok in tokens:
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
            out.append(f"![{alt}]({_safe_url(str(tok.attrs.get('src', '')))})")
        elif tok.nesting == 1:
            # An opening mark: what it holds starts where it stands (at a line start, too).
            if kind == "link_open":
                links.append((len(out), str(tok.attrs.get("href", ""))))
            else:
                out.append(_MARKS_OUT.get(kind, ""))
            continue
        elif kind == "link_close":
            start, href = links.pop()
            if link_allowed(href):
                label = "".join(out[start:])
                del out[start:]
                out.append(f"[{label}]({_safe_url(href)})")
        else:
            out.append(_MARKS_OUT.get(kind, ""))
        line_start = False
    return "".join(out)


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


# Emphasis marks as written back; any other mark (none is enabled) keeps only its text.
_MARKS_OUT = {
    "em_open": "*",
    "em_close": "*",
    "strong_open": "**",
    "strong_close": "**",
    "s_open": "~~",
    "s_close": "~~",
}
