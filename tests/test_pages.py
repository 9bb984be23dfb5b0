"""Pagination a typesetter would accept (issue 16): measured on the rendered pages.

Every example incident and every record of the stress set (tests/stress.py) is rendered to
PDF once per session; every page is read back (tests/pdfpages.py) and measured.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import stress
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pdfpages import INCIDENTS, Page, measure, notes, page_margins, record_paths, render_set

import postmortem

RECORDS = sorted(p.stem for p in INCIDENTS.glob("*.yaml")) + sorted(stress.stress_set())
# Every page but the last is filled at least this far down its body (see pdfpages.fill).
MIN_FILL = 0.45
CAPTION = "How the failure spread"
# A page may be left this much empty under a graph before it moves (writers/placement.py).
GAP = 0.2
# Room for a graph's caption under it, in CSS px: two lines and the space above them.
CAPTION_ROOM = 60
# A part of a graph that a page break cuts from the one before begins with this note, the
# one before ends with "continued below" (diagrams/parts.py).
CONTINUED_FROM_ABOVE = "continued from above"
CONTINUED_BELOW = "continued below"
COLOPHON = re.compile(r"Rendered by postmortem \S+ from \S+\.yaml\s*\.")


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The PDF of every example and stress record, rendered once."""
    return render_set(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="session")
def pages(pdfs: dict[str, bytes]) -> dict[str, list[Page]]:
    """Every page of every PDF, measured once."""
    return {ident: measure(pdf) for ident, pdf in pdfs.items()}


@pytest.fixture(scope="session")
def graph_heights(
    pdfs: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
    """The height of every record's cascade graph, all its parts, in CSS px (from the HTML)."""
    folder = tmp_path_factory.mktemp("html")
    heights = {}
    for path in record_paths(folder):
        html = postmortem.render(path, formats=("html",), today=date(2026, 11, 30))
        svgs = re.findall(
            r'<svg [^>]*class="pm-diagram pm-cascade"[^>]* height="([\d.]+)"',
            html[f"{path.stem}.html"].decode(),
        )
        heights[path.stem] = sum(map(float, svgs))
    return heights


@pytest.mark.parametrize("ident", RECORDS)
def test_every_page_but_the_last_is_mostly_filled(pages: dict[str, list[Page]], ident: str) -> None:
    thin = [(p.number, round(p.fill, 2)) for p in pages[ident][:-1] if p.fill < MIN_FILL]
    assert not thin, f"{ident}: pages filled less than {MIN_FILL:.0%} (page, fill): {thin}"


@pytest.mark.parametrize("ident", RECORDS)
def test_the_last_page_holds_more_than_the_colophon(
    pages: dict[str, list[Page]], ident: str
) -> None:
    last = pages[ident][-1]
    assert COLOPHON.search(last.body_text), f"{ident}: no colophon on the last page"
    assert COLOPHON.sub("", last.body_text).strip(), f"{ident}: the colophon stands alone"


@pytest.mark.parametrize("ident", RECORDS)
def test_no_page_ends_with_a_heading(pages: dict[str, list[Page]], ident: str) -> None:
    ending = [(p.number, p.ends_with_heading) for p in pages[ident] if p.ends_with_heading]
    assert not ending, f"{ident}: pages that end with a heading: {ending}"


@pytest.mark.parametrize("ident", RECORDS)
def test_a_figure_away_from_its_heading_says_where_it_is(
    pages: dict[str, list[Page]], ident: str
) -> None:
    """When the cascade graph is not on the page of its heading, that page names its page.

    The graph is where it begins: its first part, when it comes in parts.
    """
    heading = next(p for p in pages[ident] if re.search(r"\bCascade\b", p.body_text))
    figure = _graph_pages(pages[ident])[0]
    if figure.number != heading.number:
        assert f"page {figure.number}" in heading.body_text, heading.body_text[:400]


@pytest.mark.parametrize("ident", [*RECORDS, "format-1.1"])
def test_the_steps_after_a_graph_go_on_counting(
    pdfs: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory, ident: str
) -> None:
    """A graph placed after step N splits the numbered list: the next item shows N+1.

    WeasyPrint does not read `<ol start>`; a list restarting at 1 gives two steps one
    number on paper. (pypdfium2 gives a list marker as a line of its own, `N. `.)
    """
    if ident == "format-1.1":  # a short cascade whose graph follows step 2 of 3
        folder = tmp_path_factory.mktemp("counting")
        path = folder / "format-1.1.yaml"
        path.write_bytes((INCIDENTS.parent / "tests/fixtures/valid/format-1.1.yaml").read_bytes())
        pdf = postmortem.render(path, formats=("pdf",), today=date(2026, 11, 30))
        data = next(iter(pdf.values()))
    else:
        data = pdfs[ident]
    raw = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))
    moved = re.search(r"follows step (\d+)", raw)
    caption = raw.find("the others below")
    if moved and caption != -1:
        following = re.search(r"^(\d+)\. \r?$", raw[caption:], flags=re.M)
        assert following is not None and int(following.group(1)) == int(moved.group(1)) + 1


@pytest.mark.parametrize("ident", RECORDS)
def test_a_graph_says_continued_only_where_the_page_breaks(
    pdfs: dict[str, bytes], ident: str
) -> None:
    """Two parts of a graph on one page are one picture to the reader: no note between them.

    Each cut the page breaks at has both notes, "continued below" at the foot of one page
    and "continued from above" at the head of the next.
    """
    doc = pdfium.PdfDocument(pdfs[ident])
    shown = [notes(page, (CONTINUED_BELOW, CONTINUED_FROM_ABOVE)) for page in doc]
    for number, words in enumerate(shown, start=1):
        # "continued from above" only at the head of a page, "continued below" at its foot.
        assert words in (
            [],
            [CONTINUED_FROM_ABOVE],
            [CONTINUED_BELOW],
            [CONTINUED_FROM_ABOVE, CONTINUED_BELOW],
        ), f"{ident}: page {number} notes a cut it does not break at: {words}"
    for number, (here, after) in enumerate(itertools.pairwise(shown), start=1):
        ends, opens = here[-1:] == [CONTINUED_BELOW], after[:1] == [CONTINUED_FROM_ABOVE]
        assert ends == opens, f"{ident}: pages {number} and {number + 1}: {here} / {after}"


def _graph_pages(pages: list[Page]) -> list[Page]:
    """The pages the cascade graph is on: those of its parts, up to the one of its caption."""
    last = next(i for i, p in enumerate(pages) if CAPTION in p.body_text)
    first = last
    while first > 0 and _continues(pages[first], first == last):
        first -= 1
    return pages[first : last + 1]


def _continues(page: Page, last: bool) -> bool:
    """Whether the first part of the graph on `page` continues one on the page before.

    Every part but the first says "continued from above", every part but the last
    "continued below" (diagrams/parts.py): a page that holds the first part has fewer.
    """
    above = page.body_text.count(CONTINUED_FROM_ABOVE)
    below = page.body_text.count("continued below")
    return above > 0 and above >= below + last


@pytest.mark.parametrize("ident", RECORDS)
def test_a_graph_that_fits_a_page_is_not_cut(
    pdfs: dict[str, bytes],
    pages: dict[str, list[Page]],
    graph_heights: dict[str, float],
    ident: str,
) -> None:
    """A graph cut over pages leaves no page empty under its first part: the steps fill it."""
    on = _graph_pages(pages[ident])
    if len(on) == 1:
        return
    _width, height = pdfium.PdfDocument(pdfs[ident])[0].get_size()
    top, bottom = page_margins()
    # In CSS px, as the parts' heights are: a point is 4/3 px.
    body = (height - top - bottom) * 4 / 3
    tall = graph_heights[ident]
    # Cut, a graph that fits a page fills the page of its first part; a taller one at
    # least half of it (its next part could not fill more).
    least = 1 - GAP if tall + CAPTION_ROOM <= body else 0.5
    assert on[0].fill >= least, f"{ident}: {tall:.0f} px cut, page {on[0].number} {on[0].fill:.0%}"


def _figure_band(page: pdfium.PdfPage, caption: str) -> tuple[int, int, int, int]:
    """The ink box (left, top, right, bottom) of the picture just above `caption` on `page`."""
    text = page.get_textpage()
    found = text.search(caption).get_next()
    assert found, f"no {caption!r} on the page"
    height = page.get_size()[1]
    caption_top = round(height - text.get_charbox(found[0])[3])
    top_margin, _ = page_margins()
    grey = page.render(scale=1).to_pil().convert("L")
    ink = grey.crop((0, 0, grey.width, caption_top - 1)).point(lambda v: 255 if v < 245 else 0)
    rows = [ink.crop((0, y, ink.width, y + 1)).getbbox() is not None for y in range(ink.height)]
    # Up from the caption: skip the gap above it, then take ink rows up to a blank band
    # taller than any gap inside a picture (or to the top of the body).
    y = len(rows) - 1
    while y > 0 and not rows[y]:
        y -= 1
    bottom, blank = y, 0
    while y > top_margin and blank < 12:
        blank = 0 if rows[y] else blank + 1
        y -= 1
    box = ink.crop((0, y + blank, ink.width, bottom + 1)).getbbox()
    assert box
    return box[0], y + blank + box[1], box[2], y + blank + box[3]


@pytest.mark.parametrize("ident", RECORDS)
def test_the_cascade_graph_is_centred(
    pdfs: dict[str, bytes], pages: dict[str, list[Page]], ident: str
) -> None:
    """The graph's ink, all its parts together, is as far from both edges of the page."""
    doc = pdfium.PdfDocument(pdfs[ident])
    on = _graph_pages(pages[ident])
    bands = [
        # Every part but the last ends with the note "continued below" (diagrams/parts.py).
        _figure_band(doc[p.number - 1], CAPTION if p is on[-1] else "continued below")
        for p in on
    ]
    left, right = min(b[0] for b in bands), max(b[2] for b in bands)
    width = doc[0].get_size()[0]
    assert abs(left - (width - right)) <= 2, f"{ident}: ink from {left} to {right} of {width}"


def _one_line_words(pdf: bytes) -> str:
    """The document's text with line breaks kept (pdfium writes one as CR LF)."""
    doc = pdfium.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in doc)


@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    # A render takes a second: shrinking a failure would take minutes, and the pad says enough.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pad=st.integers(min_value=0, max_value=60))
def test_statuses_and_identifiers_never_break(tmp_path: Path, pad: int) -> None:
    """Statuses, kinds and inline code stay whole wherever a line happens to end."""
    ident = "us-east-1-control-plane-2"
    record = stress.base("stress-no-break", stress.chain(1))
    record["summary"] = "x" * pad + " " + " ".join(["word"] * pad) + f" then `{ident}` ends."
    record["action_items"] = [
        {
            "title": stress._text(i, 30),
            "kind": kind,
            "status": status,
            "owner": "sre-team",
            "priority": "P1",
        }
        for i, (kind, status) in enumerate(
            (("mitigate", "in-progress"), ("prevent", "wont-do"), ("process", "in-progress"))
        )
    ]
    path = tmp_path / "stress-no-break.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    pdf = postmortem.render(path, formats=("pdf",), today=date(2026, 11, 30))["stress-no-break.pdf"]
    text = _one_line_words(pdf)
    # pdfium reads a hyphen that ends a line as U+FFFE: "in\ufffeprogress".
    for word in ("in-progress", "wont-do", "mitigate", ident):
        assert word in text, f"{word!r} is broken across lines: {text.count(chr(0xFFFE))} hyphens"
