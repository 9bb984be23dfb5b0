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
from postmortem.fields import SCHEME

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
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable(["heading", "lheading"])
    md.validateLink = link_allowed  # type: ignore[method-assign]
    return md


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
    return md.renderer.render(_tokens(text), md.options, {})


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
    words: list[str] = []
    for token in _tokens(text):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type in ("paragraph_close", "list_item_close", "fence", "code_block"):
            words.append(" " + token.content if token.type in ("fence", "code_block") else " ")
    return " ".join("".join(words).split())


# --- Markdown out -------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;"}
# Backslash escapes that CommonMark and Python-Markdown both understand.
_BACKSLASHED = set("\\`*_[]#")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)")


# Both kinds of escape in one table, for str.translate (the templates print many values).
_ESCAPES = {ord(ch): "\\" + ch for ch in _BACKSLASHED} | {ord(k): v for k, v in _ENTITIES.items()}


# Any character `_ESCAPES` changes: most text has none, and a search costs less than translate.
_ESCAPABLE = re.compile(r"[\\`*_\[\]#&<>|~]")


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
    return "\n\n".join(_blocks(_tree(_tokens(text)))).strip("\n")


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
            parts.append(code_span(tok.content.strip()))
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
            out.append(code_span(words))
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


def _blocks(nodes: list[_Node]) -> list[str]:
    return [b for b in (_block(n) for n in nodes) if b is not None]


def _block(node: _Node) -> str | None:
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children[0].tok.children or []) if node.children else ""
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(("> " + line) if line else ">" for line in inner.split("\n"))
    if kind in ("fence", "code_block"):
        content = node.content if node.content.endswith("\n") else node.content + "\n"
        longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
        fence = "`" * max(3, longest + 1)
        info = (node.info or "").strip().split(" ")[0] if kind == "fence" else ""
        # An info string could turn the block into a diagram (mermaid) or worse: keep
        # plain language names only.
        if not re.fullmatch(r"[A-Za-z0-9_+-]{1,30}", info) or info.lower() == "mermaid":
            info = ""
        return f"{fence}{info}\n{content}{fence}"
    if kind == "hr":
        return "---"
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
        pad = " " * (len(marker) + 1)
        body = ("\n" if tight else "\n\n").join(_blocks(item.children))
        lines = body.split("\n")
        first = f"{marker} {lines[0]}" if lines[0] else marker
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
    for row in rows[1:]:
        row = (row + [""] * width)[:width]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _escape_text(text: str, *, line_start: bool = False) -> str:
    escaped = _escaped(text)
    return _guard_line_start(escaped) if line_start else escaped


def code_span(code: str) -> str:
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
            out.append(" " if one_line else ("\n" if kind == "softbreak" else "  \n"))
            line_start = not one_line
            continue
        elif kind == "code_inline":
            out.append(code_span(tok.content))
        elif kind == "image":
            alt = _escape_text(tok.content)
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


# Emphasis marks as written back; any other mark (none is enabled) keeps only its text.
_MARKS_OUT = {
    "em_open": "*",
    "em_close": "*",
    "strong_open": "**",
    "strong_close": "**",
    "s_open": "~~",
    "s_close": "~~",
}
