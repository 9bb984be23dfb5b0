"""Every value a record shows reads back as written, in every output and every reader.

The rule, per kind of field (the kinds of tests/test_markdown_structure.py):

- A line field (title, services, tags, component, owner, names) is plain text: what a
  reader sees is exactly the value.
- A Markdown field (summary, descriptions, events, lessons) is Markdown, so what a reader
  sees is what Markdown makes of it. The reference is our own HTML of the field
  (`to_html`): its text is what the value shows. The Markdown document must show that same
  text in every Markdown reader, and the HTML and PDF documents too. The values drawn
  here are plain text full of the characters Markdown, HTML, tables, Mermaid and SVG give
  a meaning to (`& < > | * _ ` # [ ] \\ " '`, a leading `#`, `-` or `1.`), non-ASCII,
  right-to-left words, emoji and long words.

How it is checked, without knowing the templates: a twin record holds a marker word in
place of each drawn value (markers sort as the values do, since the index sorts names).
The hostile record's document, read back as text, must equal the twin's read back as text
with each marker replaced by what its value shows. Readers: markdown-it (CommonMark with
GFM tables and strikethrough, as GitHub reads it), Python-Markdown with MkDocs' own
extensions (`toc`, `tables`, `fenced_code`) and with the `pymdownx.superfences` Mermaid
fence the README recommends, the HTML's text (an HTML parser), the PDF's extracted text
(pypdfium2), the SVG pictures' text (an XML parser) and the Mermaid labels as Mermaid's
own parser reads them. Both indexes (index.md, index.html) are read the same way.

Whitespace is compared where the format keeps it: runs are collapsed to one space in
HTML and Markdown text; in pictures and PDF, where lines wrap, all whitespace is removed.
A picture label may be cut with `…`: what stands before the `…` is then a prefix of the
value. Pictures and Mermaid labels show a Markdown field's words (no structure).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import markdown as python_markdown
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_markdown_structure import (
    BASE,
    LINE_FIELDS,
    MARKDOWN_FIELDS,
    URL_FIELDS,
    URL_PIECES,
    _places,
)

from postmortem.checker import check_bytes
from postmortem.manifest import digest
from postmortem.summary import RecordSummary
from postmortem.workers import Task, render_task
from postmortem.writers import Options
from postmortem.writers.index import render_index
from postmortem.writers.text import to_html

from conftest import ROOT, png

TECHDOCS = Path(os.environ.get("POSTMORTEM_TECHDOCS_VENV") or ROOT / ".venv-techdocs")

# --- Values full of the characters that mean something somewhere -------------------------

SYNTAX = list("&<>|*_`#[]\\\"'~!(){}:;=+-.")
RIGHT_TO_LEFT = ["שלום", "مرحبا"]
PIECES = [
    *SYNTAX,
    *("# ", "- ", "1. ", "> ", "&amp;", "&#124;", "&lt;b&gt;", "<b>", "</b>", "#58;"),
    *("word", "a", "Zz", " ", "  ", "é", "日本語", "😀", "👩\u200d💻", *RIGHT_TO_LEFT),
    *("x" * 45, "Donaudampfschifffahrtsgesellschaftskapitänsmütze"),
    # Markup a Markdown field may mean (plain text in a line field), and odd spaces.
    *("~~", "*a*", "[a](x.png)", "<https://x.example>", "![i](x.png)"),
    *("&nbsp;", "&copy;", "\u00a0", "e\u0301"),
]
# pdfium gives a line's text in visual order: a right-to-left word comes out elsewhere in
# the line. The PDF is the HTML document printed, whose text is read in logical order.
LEFT_TO_RIGHT = [p for p in PIECES if p not in RIGHT_TO_LEFT]


def _joined(pieces: list[str], *, lines: bool) -> st.SearchStrategy[str]:
    # A Markdown field may hold line breaks too (paragraphs, soft breaks), and text that
    # would start a list or underline a heading if written back at a line's start.
    pieces = [*pieces, "\n", "\n\n", "\n=", "\n+ ", "\\- ", "2\\) "] if lines else pieces
    return st.lists(st.sampled_from(pieces), min_size=1, max_size=10).map("".join)


@st.composite
def hostile_records(draw: st.DrawFn, pieces: list[str] = PIECES) -> dict[str, Any]:
    """The full example record with every line and Markdown field drawn from `pieces`."""
    # Line fields are one line, stripped by the model: drawn as the model keeps them.
    line = _joined(pieces, lines=False).map(str.strip).filter(bool)
    # A Markdown field that shows no words (`-`, an empty list item) would take the
    # separators around it away in pictures: each shows some.
    markdown = _joined(pieces, lines=True).filter(lambda s: words("markdown", s) != "")
    # A URL (a reference's is shown as text) holds no whitespace and no line break.
    url = st.lists(st.sampled_from([*URL_PIECES, "x"]), min_size=1, max_size=6).map("".join)
    texts = {"line": line, "markdown": markdown, "url": url.map(HOST.__add__)}
    data = copy.deepcopy(BASE)
    for kind, paths in KINDS:
        for path in paths:
            for parent, key in _places(data, path):
                parent[key] = draw(texts[kind])
    # Two values equal but for case would sort apart from their markers.
    values = {parent[key] for _, parent, key in _values(data)}
    assume(len(values) == len({value.casefold() for value in values}))
    return data


# --- Twin records: a marker in place of each value ---------------------------------------


Markers = dict[str, tuple[str, str]]  # marker → (kind of field, value)


KINDS = (("line", LINE_FIELDS), ("markdown", MARKDOWN_FIELDS), ("url", URL_FIELDS))
HOST = "https://h.example/"  # every URL's start: the twin's URLs are HOST + marker


def _values(data: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for kind, paths in KINDS:
        for path in paths:
            for parent, key in _places(data, path):
                yield kind, parent, key


def twin(data: dict[str, Any]) -> tuple[dict[str, Any], Markers]:
    """`data` with markers for values, and marker → (kind, value).

    The index sorts names by `casefold`: markers are numbered in that order, so the twin's
    index lists them as the hostile one lists the values.
    """
    pairs = sorted({(kind, parent[key]) for kind, parent, key in _values(data)})
    ranked = sorted(pairs, key=lambda kv: (kv[1].casefold(), kv[0]))
    markers = {pair: f"Zq{n:04d}q" for n, pair in enumerate(ranked)}
    copy_ = copy.deepcopy(data)
    for (kind, parent, key), (_, twin_parent, twin_key) in zip(
        _values(data), _values(copy_), strict=True
    ):
        marker = markers[(kind, parent[key])]
        twin_parent[twin_key] = HOST + marker if kind == "url" else marker
    return copy_, {marker: pair for pair, marker in markers.items()}


# A marker, with HOST before it where it stands for a URL.
MARKER = re.compile(rf"(?:{re.escape(HOST)})?(Zq\d{{4}}q)")


# --- Rendering -------------------------------------------------------------------------


def render(data: dict[str, Any], folder: Path, formats: tuple[str, ...]) -> dict[str, str]:
    """Output name → text (PDF as its extracted text) of one record, and its indexes."""
    path = folder / "record.yaml"
    source = yaml.safe_dump(data, allow_unicode=False).encode()
    path.write_bytes(source)
    result = check_bytes(str(path), source)
    assert result.incident is not None, [str(i) for i in result.issues]
    options = Options(formats=formats)
    rendered = render_task(Task(str(path), digest(source), options, {}), result)
    assert not rendered.issues, rendered.issues
    ident = result.incident.id
    out: dict[str, str] = {}
    for name, body in rendered.outputs.items():
        if name.endswith(".pdf"):
            out["pdf"] = pdf_text(body)
        elif name.endswith((".md", ".html", ".svg")):
            out[name.removeprefix(ident + ".")] = body.decode()
    summary = RecordSummary.of(result.incident)
    for name, body in render_index([summary], options):
        out[name] = body.decode()
    return out


def pdf_text(pdf: bytes) -> str:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


# --- Reading back ----------------------------------------------------------------------

# Elements whose text runs on with the text around it; every other element parts words.
# A code span parts words too: Python-Markdown trims the spaces at a span's ends.
INLINE = {"a", "em", "strong", "span", "s", "del", "b", "i", "small", "time", "abbr"}
INLINE |= {"sup", "sub", "mark", "img", "br", "kbd", "q", "cite", "bdi", "bdo", "wbr"}


class _Text(HTMLParser):
    """The text a reader sees: no style, no pictures (read apart), no Mermaid source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0  # depth inside an element whose text is not page text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = tag in ("style", "script", "svg") or any(
            k == "class" and v and ("mermaid" in v.split() or "language-mermaid" in v.split())
            for k, v in attrs
        )
        if self._hidden:
            self._hidden += tag not in VOID
        elif hidden:
            self._hidden = 1
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            self._hidden -= 1
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


def text_of(page: str) -> str:
    """A page's visible text, runs of whitespace as one space."""
    reader = _Text()
    reader.feed(page)
    reader.close()
    return " ".join("".join(reader.parts).split())


def as_github(md: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(md)


def as_mkdocs(md: str) -> str:
    return python_markdown.markdown(md, extensions=["toc", "tables", "fenced_code"])


_MERMAID_FENCE = {
    "custom_fences": [
        {
            "name": "mermaid",
            "class": "mermaid",
            "format": __import__("pymdownx.superfences").superfences.fence_code_format,
        }
    ]
}


def as_material(md: str) -> str:
    return python_markdown.markdown(
        md,
        extensions=["toc", "tables", "pymdownx.superfences"],
        extension_configs={"pymdownx.superfences": _MERMAID_FENCE},
    )


Reader = Callable[[str], str]
MARKDOWN_READERS: dict[str, Reader] = {
    "markdown-it": as_github,
    "Python-Markdown": as_mkdocs,
    "Python-Markdown+superfences": as_material,
}


def shown(kind: str, value: str) -> str:
    """What a value shows as page text: a line as written, a Markdown field as our HTML.

    A URL is shown as written too.
    """
    return text_of(to_html(value)) if kind == "markdown" else " ".join(value.split())


def expected_text(twin_text: str, markers: Markers) -> str:
    """The twin's page text with each marker replaced by what its value shows."""
    text = MARKER.sub(lambda m: shown(*markers[m.group(1)]), twin_text)
    return " ".join(text.split())


def assert_same_text(got: str, want: str, where: str) -> None:
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), 0)
        at = min(at, len(got), len(want))
        pytest.fail(
            f"{where}: the text differs at {at}:\n  shown:    {got[max(0, at - 60) : at + 60]!r}"
            f"\n  expected: {want[max(0, at - 60) : at + 60]!r}"
        )


# --- Pictures ----------------------------------------------------------------------------


def squeeze(text: str) -> str:
    return "".join(text.split())


def svg_texts(svg: str) -> list[str]:
    """The text of every `text`, `title` and `desc` element, in document order; but the time
    axis's ticks (`10:30`), which depend on the width the row labels leave, not on a value."""
    root = ElementTree.fromstring(svg)
    names = {"text", "title", "desc"}
    texts = ["".join(el.itertext()) for el in root.iter() if el.tag.split("}")[-1] in names]
    return [t for t in texts if not TICK.fullmatch(t)]


TICK = re.compile(r"[0-9]{2}:[0-9]{2}")


def cut_match(got: str, segments: list[str]) -> bool:
    """`got` is the segments in order, each whole or cut short with `…` (the rest may go)."""
    if not segments:
        return got == ""
    head, rest = segments[0], segments[1:]
    if got.startswith(head) and cut_match(got[len(head) :], rest):
        return True
    at = got.find("…")
    while at != -1:
        if head.startswith(got[:at]) and (at + 1 == len(got) or cut_match(got[at + 1 :], rest)):
            return True
        at = got.find("…", at + 1)
    return False


def words(kind: str, value: str) -> str:
    """What a picture or a Mermaid label shows of a value: its words."""
    return squeeze(shown(kind, value))


def segments(twin_text: str, markers: Markers) -> list[str]:
    """The twin's text, whitespace removed, cut at markers; each marker as its value's words."""
    out: list[str] = []
    at = 0
    for m in MARKER.finditer(twin_text):
        out += [squeeze(twin_text[at : m.start()]), words(*markers[m.group(1)])]
        at = m.end()
    out.append(squeeze(twin_text[at:]))
    return [s for s in out if s]


def assert_same_picture(got: str, twin_svg: str, markers: Markers) -> None:
    """The picture's texts read as the twin's with values for markers (cuts allowed)."""
    want = segments("".join(svg_texts(twin_svg)), markers)
    text = squeeze("".join(svg_texts(got)))
    assert cut_match(text, want), f"picture shows {text!r}, expected {want!r}"


def inline_svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


@contextmanager
def json_lines(
    command: list[str], name: str, cwd: Path | None = None
) -> Iterator[Callable[[Any], Any]]:
    """A reader process that answers each JSON line on stdin with one on stdout (one process)."""
    proc = subprocess.Popen(
        command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def ask(value: Any) -> Any:
        stdin.write(json.dumps(value) + "\n")
        stdin.flush()
        answer = stdout.readline()
        assert answer, f"{name} stopped (see stderr)"
        return json.loads(answer)

    try:
        yield ask
    finally:
        stdin.close()
        proc.wait(timeout=60)


# --- Mermaid, read by Mermaid's own parser ----------------------------------------------

MERMAID_DIR = Path(__file__).parent / "mermaid"


@pytest.fixture(scope="module")
def mermaid() -> Iterator[Callable[[str], dict[str, str]]]:
    """Node id → label shown, of the Mermaid block of a Markdown page (one Node process)."""
    assert (MERMAID_DIR / "node_modules" / "mermaid").is_dir(), "run `make test` (npm ci)"
    with json_lines(["node", str(MERMAID_DIR / "labels.mjs")], "Mermaid's parser") as ask:

        def labels(page: str) -> dict[str, str]:
            block = re.search(r"^```mermaid\n(.*?)^```$", page, flags=re.M | re.S)
            assert block, page
            parsed = ask(block.group(1))
            assert "error" not in parsed, f"Mermaid refuses the chart: {parsed['error']}"
            found: dict[str, str] = parsed["labels"]
            return found

        yield labels


def assert_same_labels(got: dict[str, str], want: dict[str, str], markers: Markers) -> None:
    """Each Mermaid label reads as the twin's with values for markers (cuts allowed)."""
    assert got.keys() == want.keys()
    for node, twin_label in want.items():
        expected = segments(twin_label, markers)
        label = squeeze(got[node])
        assert cut_match(label, expected), f"Mermaid shows {label!r}, expected {expected!r}"


# --- The properties ----------------------------------------------------------------------


def check_markdown(
    got: dict[str, str], want: dict[str, str], markers: Markers, readers: dict[str, Reader]
) -> None:
    """The Markdown document and index show every value, in every reader of `readers`."""
    for name in ("md", "index.md"):
        for reader, parse in readers.items():
            expected = expected_text(text_of(parse(want[name])), markers)
            assert_same_text(text_of(parse(got[name])), expected, f"{name} in {reader}")


def check_documents(data: dict[str, Any], folder: Path) -> None:
    """The Markdown and HTML documents, their pictures and both indexes show every value."""
    twin_data, markers = twin(data)
    got = render(data, folder, ("md", "html"))
    want = render(twin_data, folder, ("md", "html"))
    check_markdown(got, want, markers, MARKDOWN_READERS)
    for name in ("html", "index.html"):
        expected = expected_text(text_of(want[name]), markers)
        assert_same_text(text_of(got[name]), expected, name)
    pictures = [*zip(inline_svgs(got["html"]), inline_svgs(want["html"]), strict=True)]
    pictures.append((got["timeline.svg"], want["timeline.svg"]))
    for svg, twin_svg in pictures:
        assert_same_picture(svg, twin_svg, markers)


def check_pdf(data: dict[str, Any], folder: Path) -> None:
    """The PDF's text holds every value as shown, in the order the HTML shows them.

    Page furniture (the title on every page, page numbers) and wrapped lines leave no
    whole text to compare: each value must be found, whitespace removed, after the last.
    """
    twin_data, markers = twin(data)
    text = _as_pdfium(squeeze(render(data, folder, ("pdf",))["pdf"]))
    page = render(twin_data, folder, ("html",))["html"]
    # The body's order: the PDF shows the head's <title> only in page furniture.
    order = MARKER.findall(text_of(page[page.index("<body") :]))
    at = 0
    for marker in order:
        value = _as_pdfium(words(*markers[marker]))
        found = text.find(value, at)
        assert found != -1, (
            f"the PDF does not show {value!r} in {text[at : at + 80]!r} (after the last value)"
        )
        at = found + len(value)


def _as_pdfium(text: str) -> str:
    """Text as pdfium gives it back: composed (`e` + U+0301 as `é`), no zero-width joiner.

    A shaped cluster comes back as its glyph's characters; the joiner of an emoji
    sequence has no glyph. Neither changes what the page shows.
    """
    return unicodedata.normalize("NFC", text).replace("\u200d", "")


def bounded(examples: int) -> settings:
    """Few examples, always the same ones: CI stays fast and stable."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faithful")
    (path / "x.png").write_bytes(png())  # the image a field may show, beside the record
    return path


@bounded(100)
@given(data=hostile_records())
def test_every_value_reads_back_as_written(folder: Path, data: dict[str, Any]) -> None:
    check_documents(data, folder)


@pytest.mark.node
@bounded(40)
@given(data=hostile_records())
def test_mermaid_reads_every_label_as_written(
    folder: Path, mermaid: Callable[[str], dict[str, str]], data: dict[str, Any]
) -> None:
    twin_data, markers = twin(data)
    got = render(data, folder, ("md",))["md"]
    want = render(twin_data, folder, ("md",))["md"]
    assert_same_labels(mermaid(got), mermaid(want), markers)


@bounded(5)
@given(data=hostile_records(LEFT_TO_RIGHT))
def test_the_pdf_shows_every_value(folder: Path, data: dict[str, Any]) -> None:
    check_pdf(data, folder)


# --- What a Markdown preprocessor of a techdocs site acts on (issue 16) --------------------

# Marks that pymdownx.snippets, pymdownx.critic, plantuml_markdown and
# markdown_inline_graphviz act on before Python-Markdown knows what is code or text.
TRIGGERS = [
    *('--8<-- "secret.txt"', "--8<--", "-8<- 'secret.txt'", ";--8<--"),
    *("{++", "++}", "{--", "--}", "{~~", "~>", "~~}", "{==", "==}", "{>>", "<<}"),
    *("::uml::", "::end-uml::", "{% dot a.svg", "%}", "```uml", "    "),
    # What its inline extensions act on: magiclink, emoji, smartsymbols, mark, caret.
    *("https://x.example/p", "www.x.org", "a@b.co", ":a:", "(c)", "1/2", "+/-", "c/o"),
    *("==", "^", "  - ", "    1. ", ": ", "!!! note", "??? a"),
]
SECRET = "Canary-file-content"


@contextmanager
def techdocs_reader(cwd: Path, *settings: str) -> Iterator[Reader]:
    """Python-Markdown with techdocs-core's extensions, in its own venv (one process).

    `settings`: a JSON object of extension settings a site's mkdocs.yml may add.
    """
    python = TECHDOCS / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no {python}: `make test` makes that venv (mkdocs-techdocs-core)")
    (cwd / "secret.txt").write_text(SECRET + "\n", "utf-8")  # what a snippet would paste
    command = [str(python), str(Path(__file__).parent / "techdocs_markdown.py"), *settings]
    with json_lines(command, "the techdocs reader", cwd) as ask:

        def read(md: str) -> str:
            # techdocs-core has no Mermaid fence: it shows the chart's source as code, in
            # Mermaid's own escapes. Mermaid's parser reads the labels (test above).
            md = re.sub(r"^```mermaid\n.*?^```$", "", md, flags=re.M | re.S)
            html: str = ask(md)
            return html

        yield read


@pytest.fixture(scope="module")
def techdocs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    """Python-Markdown as a techdocs-core site reads a page."""
    with techdocs_reader(tmp_path_factory.mktemp("techdocs")) as read:
        yield read


@pytest.mark.techdocs
@bounded(60)
@given(data=hostile_records([*PIECES, *TRIGGERS]))
def test_a_techdocs_site_shows_every_value(
    folder: Path, techdocs: Reader, data: dict[str, Any]
) -> None:
    twin_data, markers = twin(data)
    got = render(data, folder, ("md",))
    want = render(twin_data, folder, ("md",))
    check_markdown(got, want, markers, {"techdocs-core": techdocs})


# --- Issue 15, finding 1 --------------------------------------------------------------------


def test_names_with_markdown_and_html_characters_show_as_written(folder: Path) -> None:
    """`Auth & Login`, `R&D`, `svc | with pipe`, `<b>bold</b>` in the page and the index."""
    data = copy.deepcopy(BASE)
    data["services"] = ["Auth & Login", "svc | with pipe", "<b>bold</b>"]
    data["tags"] = ["R&D"]
    check_documents(data, folder)
    page = render(data, folder, ("md",))
    for name in ("md", "index.md"):
        for parse in MARKDOWN_READERS.values():
            assert "Auth &amp; Login" in parse(page[name]), name  # one escape, read as `&`


# --- Found by the property on the way ------------------------------------------------------


def test_an_item_of_several_paragraphs_keeps_the_next_item(folder: Path) -> None:
    """Python-Markdown took the next `- ` of a tight list into the item's last paragraph."""
    data = copy.deepcopy(BASE)
    data["contributing_factors"] = ["First.\n\nSecond paragraph.", "- Next", "1. Last"]
    data["lessons"]["went_well"] = ["One.\n\nTwo.", "Three."]
    check_documents(data, folder)


def test_a_quote_in_a_url_starts_no_link_title(folder: Path) -> None:
    """Python-Markdown took `"` or `'` in a link's URL for a title, and the text after it."""
    data = copy.deepcopy(BASE)
    data["references"] = [
        {"title": "Status", "url": "https://h.example/[\"')#_"},
        {"title": "Quote", "url": "https://h.example/it's"},
    ]
    check_documents(data, folder)


def test_struck_text_shows_without_its_marks(folder: Path) -> None:
    """Python-Markdown (MkDocs) has no `~~`: it showed the marks around the words."""
    data = copy.deepcopy(BASE)
    data["summary"] = "The ~~old~~ new limit."
    data["timeline"][0]["event"] = "Limit ~~200~~ 20."
    check_documents(data, folder)


def test_a_bang_before_a_link_makes_no_image(folder: Path) -> None:
    """`!<http://x>` was written back as `![http://x](http://x)`: an image, fetched."""
    data = copy.deepcopy(BASE)
    data["impact"]["users"] = "Wow!<https://x.example/pixel.png> and ![real](x.png)"
    data["timeline"][0]["event"] = "Read!<https://x.example/a.png>"
    check_documents(data, folder)


def test_emphasis_next_to_other_marks_keeps_its_words(folder: Path) -> None:
    """`*` written back beside an escaped `*` paired differently: marks shown, words lost."""
    data = copy.deepcopy(BASE)
    data["summary"] = "word `**\\&-*a**"
    data["lessons"]["lucky"] = ["x*y*z and ***both*** and [*in a link*](https://x.example)"]
    data["timeline"][0]["event"] = "**Done.** and *(aside)*, then **a**b"
    check_documents(data, folder)
