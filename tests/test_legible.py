"""Pictures legible on paper (issue 16): no text under 7 pt, rows told apart, nothing scaled.

The PDFs of the examples and of the stress set (tests/stress.py) are measured as printed:
pypdfium2's character boxes, so that any scaling of a picture counts. The pictures are
also checked as SVG for what the page cannot show: a row label's `<title>` does not print.
"""

from __future__ import annotations

import itertools
import random
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import stress
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from test_layout_cost import EXACT_WORK, WORK_PER_ITEM, dags
from test_layout_cost import _check_drawing as check_drawing

import postmortem
from postmortem.diagrams import Cascade, Node, cascade_parts, cascade_svg, layout, page, timeline
from postmortem.diagrams.labels import row_labels
from postmortem.diagrams.text import text_width
from postmortem.index import month_chart_svg

from conftest import INCIDENTS, ROOT

NS = "{http://www.w3.org/2000/svg}"
SMALLEST_PT = 7.0
RECORDS = [p.stem for p in sorted(INCIDENTS.glob("*.yaml"))] + sorted(stress.stress_set())


def _em_height() -> float:
    """Ascent plus descent of the bundled fonts, in em: a loose character box is this tall."""
    heights = set()
    for path in (ROOT / "templates" / "fonts").glob("*.ttf"):
        font = TTFont(path)
        heights.add((font["hhea"].ascent - font["hhea"].descent) / font["head"].unitsPerEm)
    [height] = heights  # every bundled face has the same
    return height


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples and the stress set rendered (HTML and PDF) into one folder."""
    records = tmp_path_factory.mktemp("records")
    for path in INCIDENTS.glob("*.yaml"):
        (records / path.name).write_bytes(path.read_bytes())
    stress.write(records)
    out = tmp_path_factory.mktemp("site")
    summary = postmortem.build(
        [records], out, formats=("html", "pdf"), today=date(2024, 3, 20), jobs=2
    )
    assert not summary.failed, summary.issues
    return out


def _measure(pdf_path: Path) -> tuple[tuple[float, int, str], list[tuple[int, str]]]:
    """The smallest character printed (size in pt, page, character), and those off the page."""
    em = _em_height()
    smallest = (float("inf"), 0, "")
    off: list[tuple[int, str]] = []
    pdf = pdfium.PdfDocument(str(pdf_path))
    for number, page_ in enumerate(pdf, start=1):
        page_width, page_height = page_.get_size()
        text = page_.get_textpage()
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = text.get_charbox(i, loose=True)
            smallest = min(smallest, ((top - bottom) / em, number, char))
            if left < 0 or bottom < 0 or right > page_width or top > page_height:
                off.append((number, char))
    return smallest, off


@pytest.mark.parametrize("ident", RECORDS)
def test_no_text_in_any_pdf_is_smaller_than_7pt_or_off_the_page(site: Path, ident: str) -> None:
    (size, number, char), off = _measure(site / f"{ident}.pdf")
    assert size >= SMALLEST_PT, f"{char!r} on page {number} is {size:.2f} pt"
    # A picture taller than a page would run off it, its text cut away: none does.
    assert not off, f"{len(off)} characters off the page, first on page {off[0][0]}"


def _row_labels_of(chart: ET.Element) -> list[str]:
    """The label shown for each bar's row (its lines joined), top to bottom; then "Events"."""
    # A bar is the rectangle of a span (a legend's swatch is not); a level's bar is `pm-level`.
    spans = [g for g in chart.iter(f"{NS}g") if g.get("class") == "pm-span"]
    bars = [r for g in spans for r in g.iter(f"{NS}rect")]
    mids = [float(r.get("y")) + float(r.get("height")) / 2 for r in bars]
    dots = [float(c.get("cy")) for c in chart.iter(f"{NS}circle")][:1]
    rows: dict[float, list[str]] = {mid: [] for mid in [*mids, *dots]}
    for t in chart.iter(f"{NS}text"):
        if t.get("x") != str(int(timeline.MARGIN)) or t.get("class") != "pm-text":
            continue
        y = float(t.get("y"))
        mid = min(rows, key=lambda m: abs(m - y))
        assert abs(mid - y) <= timeline.ROW + timeline.LINE, f"{t.text!r} belongs to no row"
        rows[mid].append(t.text or "")
    return [" / ".join(lines) for _, lines in sorted(rows.items())]


@pytest.mark.parametrize("ident", RECORDS)
def test_every_timeline_row_shows_a_label_no_other_row_shows(site: Path, ident: str) -> None:
    html = (site / f"{ident}.html").read_text(encoding="utf-8")
    found = re.search(r"<svg[^>]*pm-timeline.*?</svg>", html, re.S)
    if found is None:
        assert ident == "stress-one-step-no-timeline"
        return
    labels = _row_labels_of(ET.fromstring(found[0]))
    assert all(labels), labels
    assert len(set(labels)) == len(labels), labels


def test_the_slack_rows_are_told_apart_on_paper(site: Path) -> None:
    text = "".join(
        pdfium.PdfDocument(str(site / "stress-long-labels.pdf"))[i].get_textpage().get_text_range()
        for i in range(2)
    )
    assert "clients (degraded)" in text


# Labels that share long beginnings (and ends): the hard case for a cut label.
_STEMS = st.sampled_from(
    [
        "Slack web and desktop clients",
        "Customer-facing authentication and session management service",
        "x" * 300,
        "db",
        "",
    ]
)
_LABELS = st.lists(
    st.tuples(_STEMS, st.text(" ()EUS12x", max_size=12), _STEMS).map("".join),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_LABELS, st.sampled_from([60.0, 120.0, 170.0]))
def test_row_labels_are_distinct_fit_and_whole_when_they_can_be(
    labels: list[str], width: float
) -> None:
    shown = row_labels(labels, width, 11.0)
    assert len(shown) == len(labels)
    joined = ["\n".join(lines) for lines in shown]
    assert len(set(joined)) == len(joined), shown
    for label, lines in zip(labels, shown, strict=True):
        assert 1 <= len(lines) <= 2
        assert all(text_width(line, 11.0) <= width + 1e-6 for line in lines), lines
        if labels.count(label) == 1 and " ".join(lines) == " ".join(label.split()):
            continue  # shown whole
        assert any("…" in line or re.search(r" \(\d+\)$", line) for line in lines), lines


@st.composite
def _cascades(draw: st.DrawFn) -> Cascade:
    """Cascades like a record's: up to the 200-step limit, branching, spanning far."""
    steps = draw(st.sampled_from([1, 5, 14, 50, 200]))
    reach = draw(st.sampled_from([1, 3, 1_000]))
    most = draw(st.sampled_from([1, 2, 3]))
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    nodes = [Node("trigger", "Trigger · config", "07:30 PST", "A change went out.", "trigger")]
    edges = []
    for i in range(steps):
        nodes.append(
            Node(f"s{i}", f"Component {i}", None, "It failed " * rnd.randint(1, 9), "step")
        )
        earlier = ["trigger", *(f"s{j}" for j in range(max(0, i - reach), i))]
        edges += [
            (c, f"s{i}") for c in rnd.sample(earlier, rnd.randint(1, min(most, len(earlier))))
        ]
    return Cascade(tuple(nodes), tuple(edges))


def _font_sizes(svg_text: str) -> list[float]:
    return [float(s) for s in re.findall(r' font-size="([0-9.]+)"', svg_text)]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(_cascades())
def test_cascade_parts_fit_the_page_and_show_every_cause(c: Cascade) -> None:
    parts = cascade_parts(c, title="t", desc="d")
    index = {node.id: f"n{i}" for i, node in enumerate(c.nodes)}
    wanted = {f"{index[a]} {index[b]}" for a, b in c.edges}
    named: list[str] = []
    for k, part in enumerate(parts):
        root = ET.fromstring(part)
        assert float(root.get("width")) <= page.WIDTH
        assert float(root.get("height")) <= page.HEIGHT
        assert min(_font_sizes(part)) >= page.MIN_TEXT
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
        named += [p.get("data-edge") for p in root.iter(f"{NS}path") if p.get("data-edge")]
        if len(parts) > 1:
            assert ("continued below" in part) == (k + 1 < len(parts))
            assert ("continued from above" in part) == (k > 0)
    # Every cause link once across the parts: drawn, or a stub into a box that names it.
    assert sorted(named) == sorted(wanted)


def test_small_cascades_keep_their_layout() -> None:
    # The examples' S3 and Cloudflare graphs fit the page as drawn: same picture as unbounded.
    nodes = [Node("trigger", "Trigger", None, "A change.", "trigger")]
    nodes += [Node(f"s{i}", f"Step {i}", None, "It failed.", "step") for i in range(4)]
    edges = (("trigger", "s0"), ("trigger", "s1"), ("s0", "s2"), ("s1", "s3"))
    c = Cascade(tuple(nodes), edges)
    assert cascade_svg(c, title="t", desc="d") == cascade_svg(
        c, title="t", desc="d", width=float("inf")
    )


def test_the_index_chart_labels_are_80_percent_of_the_body_text() -> None:
    months = [(f"{2020 + m // 12}-{m % 12 + 1:02d}", m % 7) for m in range(60)]
    chart = month_chart_svg(months)
    root = ET.fromstring(chart)
    width = float(root.get("width"))
    assert width <= page.WIDTH  # shown at its own size in the index's column
    size = float(root.get("font-size"))
    assert size >= 0.8 * 16  # the HTML body text is 16 px
    labels = [t for t in root.iter(f"{NS}text") if "-" in (t.text or "")]
    xs = [float(t.get("x")) for t in labels]
    room = text_width("0000-00", size)
    assert all(b - a >= room for a, b in itertools.pairwise(xs))
    assert all(room / 2 <= x <= width - room / 2 for x in xs)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(dags())
def test_the_page_layout_costs_what_the_natural_one_does(
    graph: tuple[int, list[tuple[int, int]]],
) -> None:
    # The same bound as tests/test_layout_cost.py, for the layout made for the page.
    n, edges = graph
    lay = layout.layout(
        n, edges, [200.0] * n, dummy_width=10.0, gap=28.0, per_layer=2, max_width=536.0
    )
    check_drawing(n, edges, lay)
    assert max(x + (100.0 if v < n else 5.0) for v, x in enumerate(lay.x)) <= 536.0 + 1e-6
    bound = WORK_PER_ITEM * (n + len(edges))
    if len(lay.layers) <= layout.EXACT_MAX_LAYERS:
        bound += EXACT_WORK
    assert lay.work <= bound
