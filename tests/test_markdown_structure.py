"""The Markdown outputs keep the template's structure whatever text a record holds.

Each document is re-parsed by markdown-it (CommonMark + tables, as GitHub reads it) and by
Python-Markdown (`tables` + `fenced_code`, as MkDocs reads it), both passing raw HTML
through, and compared with the render of a twin record whose every text is a harmless
word: the same headings, the template's tables with the same rows and cells, the same
Mermaid lines, and no element or attribute the template and plain Markdown cannot make.
With the cascade as inline SVG (the MkDocs plugin's mode), the SVG passes through whole
and holds only SVG elements.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown as python_markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from postmortem.checker import check_bytes, check_file
from postmortem.manifest import digest
from postmortem.model import Incident
from postmortem.summary import RecordSummary
from postmortem.workers import Task, render_task
from postmortem.writers import Options
from postmortem.writers.index import render_index
from postmortem.writers.text import link_allowed

from conftest import FIXTURES, png

BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text())
OPTIONS = Options(formats=("md",))

# Every character some renderer of ours reads as a line break (Jinja's `indent` and
# `str.splitlines` read them all; CommonMark and Python-Markdown read \n and \r).
BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
PIECES = [
    *BREAKS,
    *(
        "```",
        "~~~",
        "```mermaid\n",
        "|",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
    ),
    *("===", "---", "#", "# ", "![a\nb](x.png)", "![", "](x.png)", "[", "]", "`", "``", "\\"),
    *("    ", "\t", " ", "- ", "1. ", "> ", "{", "}", "*", "_", "~", "&", "&#124;", ":"),
    *("\n\n- a\n\n", "\n\n    "),
    *("word", "a", "x|y", "`a|b`", "| a | b |\n|---|---|\n| c | d |", "[l](javascript:x)"),
]
# One-line fields refuse control characters and line separators (rule single-line).
LINE_PIECES = [
    p
    for p in PIECES
    if not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in p)
]


def _hostile(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), min_size=1, max_size=8).map("".join)


markdown_text = _hostile(PIECES).filter(lambda s: s.strip() != "")
# Line fields are one line, stripped by the model: draw them as the model keeps them.
line_text = _hostile(LINE_PIECES).map(str.strip).filter(lambda s: s != "")

# What the model lets a URL hold after its host: no whitespace, no line break.
URL_PIECES = ["|", "`", "(", ")", "<", ">", "\\", "[", "]", "*", "_", "#", "?", "&#124;", "'", '"']
url_text = st.builds(
    lambda pieces, end: "https://h.example/" + "".join(pieces) + end,
    st.lists(st.sampled_from([*URL_PIECES, "x", "javascript:"]), max_size=6),
    st.just(""),
)

# Where each kind of field sits in the fixture record (a list index `*` means each entry).
LINE_FIELDS = [
    ("title",),
    ("severity",),
    ("authors", "*"),
    ("services", "*"),
    ("tags", "*"),
    ("cascade", "*", "component"),
    ("impact", "services", "*", "name"),
    ("action_items", "*", "title"),
    ("action_items", "*", "owner"),
    ("references", "*", "title"),
]
MARKDOWN_FIELDS = [
    ("summary",),
    ("trigger", "description"),
    ("cascade", "*", "description"),
    ("contributing_factors", "*"),
    ("impact", "description"),
    ("impact", "users"),
    ("impact", "services", "*", "description"),
    ("detection", "description"),
    ("resolution", "description"),
    ("timeline", "*", "event"),
    ("lessons", "went_well", "*"),
    ("lessons", "went_wrong", "*"),
    ("lessons", "lucky", "*"),
]


def _places(data: Any, path: tuple[str, ...]) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value at `path`, `*` standing for each list entry."""
    head, rest = path[0], path[1:]
    keys: list[Any] = list(range(len(data))) if head == "*" else [head] if head in data else []
    for key in keys:
        if not rest:
            yield data, key
        else:
            yield from _places(data[key], rest)


URL_FIELDS = [("action_items", "*", "link"), ("references", "*", "url")]
KINDS = {"line": LINE_FIELDS, "markdown": MARKDOWN_FIELDS, "url": URL_FIELDS}


def _fill(data: dict[str, Any], draw: Callable[[str], str]) -> None:
    for kind, paths in KINDS.items():
        for path in paths:
            for parent, key in _places(data, path):
                parent[key] = draw(kind)


def _twin(data: dict[str, Any], originals: dict[str, Any]) -> dict[str, Any]:
    """`data` with every drawn text replaced by a word (equal texts by equal words)."""
    twin = copy.deepcopy(originals)
    words: dict[str, str] = {}
    for kind, paths in KINDS.items():
        for path in paths:
            for (parent, key), (twin_parent, _) in zip(
                _places(data, path), _places(twin, path), strict=True
            ):
                word = words.setdefault(parent[key], f"Zq{len(words)}")
                twin_parent[key] = f"https://h.example/{word}" if kind == "url" else word
    return twin


@st.composite
def hostile_records(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["title"] = "placeholder"
    texts = {"line": line_text, "markdown": markdown_text, "url": url_text}
    _fill(data, lambda kind: draw(texts[kind]))
    return data


# --- Rendering and reading back ------------------------------------------------------------


def _render(data: dict[str, Any], folder: Path, options: Options = OPTIONS) -> tuple[str, str]:
    """The record page and the index page, as Markdown."""
    path = folder / "record.yaml"
    # Escaped: a raw U+0085 or U+2028 would be folded by YAML into a line break.
    source = yaml.safe_dump(data, allow_unicode=False).encode()
    assert yaml.safe_load(source) == data
    path.write_bytes(source)
    result = check_bytes(str(path), source)
    assert result.incident is not None, [str(i) for i in result.issues]
    task = Task(str(path), digest(source), options, {})
    rendered = render_task(task, result)
    assert not rendered.issues, rendered.issues
    page = rendered.outputs[f"{result.incident.id}.md"].decode()
    incident: Incident = result.incident
    index = dict(render_index([RecordSummary.of(incident)], OPTIONS))["index.md"].decode()
    return page, index


def _as_github(md: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(md)


def _as_mkdocs(md: str) -> str:
    return python_markdown.markdown(md, extensions=["tables", "fenced_code"])


PARSERS = {"markdown-it": _as_github, "Python-Markdown": _as_mkdocs}
# What the templates and plain Markdown from a field can make; nothing else may appear.
ELEMENTS = {"p", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a", "img"}
ELEMENTS |= {"hr", "br", "table", "thead", "tbody", "tr", "th", "td", "del", "s"}
ELEMENTS |= {f"h{n}" for n in range(1, 7)}
ATTRIBUTES = {"href", "src", "alt", "title", "style", "class", "align", "start"}


class _Reading(HTMLParser):
    """What a rendered page is made of: headings, tables, every tag and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.tables: list[list[int]] = []  # cells per row, the header row first
        self.texts: list[list[str]] = []  # each table's cell texts, row after row
        self._cell: list[str] | None = None
        self.headers: list[str] = []  # each table's header row text
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.mermaid = 0
        self._heading: list[str] | None = None
        self._header: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [tag]
        elif tag == "table":
            self.tables.append([])
            self.texts.append([])
            self._header = []
        elif tag == "tr" and self.tables:
            self.tables[-1].append(0)
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1] += 1
            self._cell = []
        elif tag == "code" and ("class", "language-mermaid") in attrs:
            self.mermaid += 1

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading[0], "".join(self._heading[1:]).strip()))
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None:
            self.texts[-1].append("".join("".join(self._cell).split()))  # spacing aside
            self._cell = None
        elif tag == "thead" and self._header is not None:
            self.headers.append(" | ".join(self._header).strip())
            self._header = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._header is not None:
            self._header.append(data.strip())
        if self._cell is not None:
            self._cell.append(data)


def _read(html: str) -> _Reading:
    reading = _Reading()
    reading.feed(html)
    reading.close()
    return reading


def _template_tables(reading: _Reading, headers: list[str]) -> list[list[int]]:
    """The tables whose header row is one the twin's page has (the template's own)."""
    return [t for t, h in zip(reading.tables, reading.headers, strict=True) if h in headers]


def _mermaid(md: str) -> list[str]:
    """The Mermaid block's lines, labels blanked: its shape."""
    match = re.search(r"^```mermaid\n(.*?)\n```$", md, flags=re.M | re.S)
    assert match, md
    block = match.group(1)
    shape = []
    for line in block.split("\n"):
        match = re.fullmatch(r'    (n\d+)\["[^"`\n]*"\]', line)
        shape.append(f"{match.group(1)} label" if match else line)
    return shape


def _outside_code(md: str) -> list[str]:
    """The lines of `md` that are not in a block of code (as markdown-it reads it)."""
    code: set[int] = set()
    for tok in MarkdownIt("commonmark").enable("table").parse(md):
        if tok.type in ("code_block", "fence") and tok.map:
            code.update(range(*tok.map))
    return [line for i, line in enumerate(md.split("\n")) if i not in code]


# The raw HTML our Markdown writer makes itself (writers/inert.py): a block of code or a
# code span, with no ASCII punctuation but as character references.
_INERT = r"[^<>!-%'-/:-@\[-`{-~]*(?:&#[0-9]+;[^<>!-%'-/:-@\[-`{-~]*)*"
# Inline tags the writer makes: a code span's, and emphasis where `*` would pair
# differently in some reader (writers/marks.py).
OUR_TAGS = {f"<{s}{t}>" for s in ("", "/") for t in ("code", "em", "strong", "del")}
# A list's structure, as tags on one line (writers/markdown_out.py `_list`).
LIST_TAG = re.compile(
    r"</?(?:ul|ol|li|p|blockquote|pre|table|thead|tbody|tr|th|td)>|<hr>|<ol start=\"[0-9]+\">"
    r"|<t[hd] style=\"text-align:(?:left|center|right)\">"
)
OUR_HTML = re.compile(rf"<pre><code>{_INERT}</code></pre>\n?|<code>{_INERT}</code>")


def _raw_html(md: str) -> list[str]:
    """Each raw HTML block of `md`, each inline tag, and each `<code>…</code>` of its source."""
    found = []
    for tok in MarkdownIt("commonmark", {"html": True}).enable("table").parse(md):
        if tok.type == "html_block":
            found.append(tok.content)
        tags = [c.content for c in tok.children or () if c.type == "html_inline"]
        found += [t for t in tags if t not in OUR_TAGS and not LIST_TAG.fullmatch(t)]
        if tags:
            found += re.findall(r"<code>.*?</code>", tok.content)
    return found


def assert_only_our_html(md: str, twin_md: str) -> None:
    """Raw HTML in `md` is the template's own (the twin has it too) or our inert code."""
    template = set(_raw_html(twin_md))
    for piece in _raw_html(md):
        # markdown-it keeps the indentation of a block inside a list item in its content.
        assert piece in template or OUR_HTML.fullmatch(piece.lstrip(" ")), piece


def assert_same_structure(md: str, twin_md: str, pictures: set[str]) -> None:
    """`md` reads, in both parsers, as the template laid out `twin_md`: nothing more."""
    assert_only_our_html(md, twin_md)
    # The template's cells read the same in both, spacing aside (Python-Markdown trims
    # code spans): GitHub drops a cell's text after a stray `|` and keeps the count.
    twin_headers = _read(_as_github(twin_md)).headers
    github, mkdocs = _read(_as_github(md)), _read(_as_mkdocs(md))
    assert [t for t, h in zip(github.texts, github.headers, strict=True) if h in twin_headers] == [
        t for t, h in zip(mkdocs.texts, mkdocs.headers, strict=True) if h in twin_headers
    ]
    # No character that some splitter takes for a line break, but in code blocks (where
    # only \n parts lines and none is read as Markdown).
    for line in _outside_code(md):
        assert not any(ch in line for ch in BREAKS[1:]), repr(line)
    for name, parse in PARSERS.items():
        got, want = _read(parse(md)), _read(parse(twin_md))
        # Headings: the same levels in the same order; the template's own by their text.
        assert [h for h, _ in got.headings] == [h for h, _ in want.headings], name
        for (_, text), (_, twin_text) in zip(got.headings, want.headings, strict=True):
            if "Zq" not in twin_text:
                assert text == twin_text, name
        # Every template table whole: the same rows, each with the same cells.
        assert _template_tables(got, want.headers) == want.tables, (name, got.tables)
        for tag, attrs in got.tags:
            assert tag in ELEMENTS, (name, tag)
            for attr, value in attrs:
                assert attr in ATTRIBUTES, (name, tag, attr)
                if attr == "src":
                    assert value in pictures, (name, value)
                if attr == "href":
                    assert value is not None and link_allowed(value), (name, value)
                if attr == "style":
                    assert re.fullmatch(r"text-align: ?(left|right|center);?", value or ""), name
        assert got.mermaid == want.mermaid, name
    if "```mermaid" in twin_md:
        assert _mermaid(md) == _mermaid(twin_md)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("records")
    (path / "x.png").write_bytes(png())  # the pieces' image, beside the record
    return path


def _check(data: dict[str, Any], folder: Path, originals: dict[str, Any] | None = None) -> None:
    twin = _twin(data, data if originals is None else originals)
    page, index = _render(data, folder)
    twin_page, twin_index = _render(twin, folder)
    ident = data["id"]
    pictures = {"x.png", f"{ident}.timeline.svg", "index-months.svg"}
    assert_same_structure(page, twin_page, pictures)
    assert_same_structure(index, twin_index, pictures)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile_records())
def test_no_record_text_changes_the_markdown_structure(folder: Path, data: dict[str, Any]) -> None:
    _check(data, folder)


# The MkDocs plugin's other cascade: our SVG, inline, as one raw HTML block (issue 16).
SVG_OPTIONS = Options(formats=("md",), cascade="svg")
SVG_BLOCK = re.compile(
    r'^<figure class="pm-figure pm-figure-cascade" style="[^"\n]*">\n'
    r'<div style="min-width: \d+px">(<svg [^\n]*</svg>)</div>\n</figure>\n',
    flags=re.M,
)
SVG_ELEMENTS = {"svg", "title", "desc", "style", "defs", "marker", "path", "g", "rect", "text"}


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile_records())
def test_the_inline_svg_cascade_passes_through_whole_and_alone(
    folder: Path, data: dict[str, Any]
) -> None:
    page, _ = _render(data, folder, SVG_OPTIONS)
    twin_page, _ = _render(_twin(data, data), folder, SVG_OPTIONS)
    assert len(SVG_BLOCK.findall(page)) == 1, page
    svg = SVG_BLOCK.search(page).group(1)  # type: ignore[union-attr]
    for name, parse in PARSERS.items():
        assert svg in parse(page), name  # passed through whole, untouched
    # Inside it, only what our SVG writer makes: record text stayed text.
    for tag, attrs in _read(svg).tags:
        assert tag in SVG_ELEMENTS, tag
        assert not [a for a, _ in attrs if a.startswith("on") or a.endswith("href")], tag
    # Around it, the page reads as the template laid it out.
    pictures = {"x.png", f"{data['id']}.timeline.svg", "index-months.svg"}
    assert_same_structure(SVG_BLOCK.sub("", page), SVG_BLOCK.sub("", twin_page), pictures)


# --- The reproduced findings (issue 19), one each ----------------------------------------


def _with(**changes: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for change in changes.values():
        change(data)
    return data


IMG = "<img src=x onerror=alert(1)>"
FENCE = "Paged.\n```\n| x\n<img src=x onerror=alert(1)>\n<script>alert(1)</script>\n```"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["timeline"][0].update(event=FENCE),
        lambda d: d["impact"]["services"][0].update(description=FENCE),
    ],
    ids=["timeline-event", "service-description"],
)
def test_a_fenced_block_in_a_table_cell_stays_in_its_cell(
    folder: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    data = _with(change=change)
    _check(data, folder)
    page, _ = _render(data, folder)
    for parse in PARSERS.values():
        html = parse(page)
        assert "<script" not in html and "<img src=x" not in html


def test_image_alt_text_is_one_line(folder: Path) -> None:
    data = _with(alt=lambda d: d.update(summary="Before.\n![\n=\n](x.png) after."))
    _check(data, folder)
    page, _ = _render(data, folder)
    assert "![ = ](x.png)" in page or "![= ](x.png)" in page or "![ =](x.png)" in page


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x1c", "\x0b", "\x0c"])
def test_a_unicode_line_separator_makes_no_heading(folder: Path, separator: str) -> None:
    text = f"text{separator}==="
    data = _with(
        factor=lambda d: d["contributing_factors"].__setitem__(0, text),
        step=lambda d: d["cascade"][0].update(description=text),
    )
    _check(data, folder)
    # One-line fields refuse it outright (and a URL its final line break): check says so.
    for key, value in (("owner", f"team{separator}==="), ("link", "https://t.example/1\n")):
        item = {**BASE["action_items"][0], key: value}
        path = folder / "one-line.yaml"
        path.write_text(yaml.safe_dump({**BASE, "action_items": [item]}, allow_unicode=False))
        result = check_file(path)
        assert result.incident is None and result.issues, (key, value)


def test_a_setext_underline_after_a_soft_break_stays_text(folder: Path) -> None:
    data = _with(factor=lambda d: d.update(summary="text\n===\nmore\n--"))
    _check(data, folder)


def test_a_pipe_in_a_code_span_keeps_its_cell_whole(folder: Path) -> None:
    data = _with(event=lambda d: d["timeline"][0].update(event="Set `a|b` and `|` then **c**."))
    _check(data, folder)
    page, _ = _render(data, folder)
    for parse in PARSERS.values():
        cells = re.findall(r"<td>(.*?)</td>", parse(page))
        event = next(c for c in cells if "Set" in c)
        assert re.sub(r"<[^>]+>", "", event).replace("&#124;", "|") == "Set a|b and | then c."


# --- Found by the property on the way --------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        # Python-Markdown finds fences only at a line's start: in a list item, a fence's
        # lines were Markdown to it, raw HTML and all (after a blank line in the code).
        lambda d: d["contributing_factors"].__setitem__(0, f"```\na\n\n{IMG}\n```"),
        lambda d: d["cascade"][1].update(description=f"Text.\n\n```\na\n\n{IMG}\n```"),
        lambda d: d.update(summary=f"- item\n\n  ```\n  a\n\n  {IMG}\n  ```"),
        # "```{.a``b```}" at a line's start opened a Python-Markdown fence to the next "```".
        lambda d: d.update(summary="```{.a``b```}"),
        # A hard break first left "- " alone on its line: a setext underline to Python-Markdown.
        lambda d: d["contributing_factors"].__setitem__(1, "\\\nx"),
        # Guards of how code is written now (indented): not after the template's list, where
        # it would continue the last item, and never an empty item.
        lambda d: d["resolution"].update(description="\t[l](javascript:alert(1))"),
        lambda d: d["contributing_factors"].__setitem__(1, "```"),
        lambda d: d.update(summary=f"- a\n\n```\n{IMG}\n```"),
    ],
    ids=[
        *("fence-in-item", "fence-in-step", "fence-in-own-list", "pm-fence", "hard-break-first"),
        *("code-after-list", "empty-item", "code-after-own-list"),
    ],
)
def test_code_and_links_keep_the_structure_in_every_position(
    folder: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    _check(_with(change=change), folder)


def test_joined_values_are_escaped_once(folder: Path) -> None:
    data = _with(authors=lambda d: d.update(authors=["R&D", "Ops # 1"]))
    page, _ = _render(data, folder)
    assert "| Authors | R&amp;D, Ops \\# 1 |" in page
