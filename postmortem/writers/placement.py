"""Where the PDF puts the cascade graph: after the steps that fill the page it would leave empty.

WeasyPrint moves a picture that does not fit the rest of a page to the next page whole, and
it has no page floats to let the text after the picture fill the space left behind. A
graph taller than a page comes in parts (diagrams/parts.py) and the page may break between
them, so only its first part has to fit. The writer first lays out a probe, the document
up to the cascade section; the graph is moved when even its first part does not fit under
the heading and that leaves more than `GAP` of the page empty, or when the first part
fits but the next does not, and the whole graph would fit a page of its own (or the page
would stay more than half empty). Then the writer counts how many of the section's steps fit in
that space and lays the document out with the graph after them (the template's
`cascade_after`; the section then opens with a note that gives the graph's page). The
probe costs the pages before the graph and a page or two more.

The measures come from WeasyPrint's laid-out boxes (`Document.pages[i]._page_box`, the tree
its own drawing code walks), in CSS px from the top of each page.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from weasyprint.formatting_structure import boxes

# A gap smaller than this share of the page body is left alone: a step or two would fill it.
GAP = 0.2
# Under the first part of a graph too tall for any page, a gap up to this share is left
# alone: the next part could not have filled it either.
PARTS_GAP = 0.5
# Room for the graph's caption under it (px): two lines and the space above them.
CAPTION = 60.0
# The probe keeps this many parts of the graph: enough to tell where the first part lies
# and whether the graph fits a page (three parts never do).
PROBE_PARTS = 2
# Room kept spare when counting the steps that fit: the list's margin above its first step
# (about 19 px), borders, rounding.
SLACK = 24.0
# The probe lays out this many steps at most: more than a page holds.
PROBE_STEPS = 40
# Ends a probe's HTML, so that a reader of what WeasyPrint was handed can tell it apart.
PROBE_END = "</main></body></html><!-- postmortem: placement probe -->"
SECTION = "cascade"
HEADING = "h-cascade"
FIGURE = "figure-cascade"


# `lay_out(after, probe, quiet)`: the record laid out by WeasyPrint with the graph after
# `after` steps (0: under its heading); with `probe`, only the part that decides (see
# `probe_html`); without the "continued" notes of the cuts in `quiet`.
LayOut = Callable[[int, bool, frozenset[int]], Any]
NOTHING: frozenset[int] = frozenset()


def place(lay_out: LayOut, steps: int) -> Any:
    """The document laid out with the cascade graph where it leaves no page half empty.

    The probe is measured, the number of steps that fill the gap the graph would leave is
    counted from it, and the document is laid out once more, for good. A "continued" note
    is for a cut the page breaks at (diagrams/parts.py): when two parts of the graph share
    a page, the document is laid out again without the note between them (every part
    keeps its size, so the pages do not change).
    """
    document, after = _placed(lay_out, steps)
    shared = shared_cuts(document)
    return lay_out(after, False, frozenset(shared)) if shared else document


def _placed(lay_out: LayOut, steps: int) -> tuple[Any, int]:
    """The document with the graph placed, and the number of steps before the graph."""
    if not steps:
        return lay_out(0, False, NOTHING), 0
    first = read_layout(lay_out(0, True, NOTHING), placement_ids(min(steps, PROBE_STEPS)))
    after = cascade_after(first, min(steps, PROBE_STEPS))
    document = lay_out(after, False, NOTHING)
    figure = first.extents.get(FIGURE)
    if after and figure is not None and _cut_but_fits(first, figure):
        # Moved so as not to be cut, as the probe measured; the margins around it can still
        # make it too tall for its new page: cut either way, it stays under its heading.
        moved = read_layout(document, {FIGURE}).extents.get(FIGURE)
        if moved is not None and moved.last_page > moved.first_page:
            return lay_out(0, False, NOTHING), 0
    return document, after


def probe_html(html: str) -> str:
    """The document up to the cascade section, the graph's first `PROBE_PARTS` parts and
    the first `PROBE_STEPS` steps.

    That is all the placement reads: where the section starts, the graph's height and the
    steps that fill a page. Laying out the rest would cost as much again.
    """
    html = _first_parts(html)
    cut = html.find(f'<li id="step-{PROBE_STEPS + 1}"')
    if cut >= 0:
        return html[:cut] + "</ol></section>" + PROBE_END
    start = html.find('<section id="cascade"')
    end = html.find("</section>", start)
    if start < 0 or end < 0:
        return html
    return html[: end + len("</section>")] + PROBE_END


def _first_parts(html: str) -> str:
    """`html` with the cascade graph cut to its first `PROBE_PARTS` parts (each an <svg>)."""
    figure = html.find(f'<figure id="{FIGURE}"')
    caption = html.find("<figcaption>", figure)
    if figure < 0 or caption < 0:
        return html
    part = figure
    for _ in range(PROBE_PARTS + 1):
        part = html.find("<svg ", part + 1, caption)
        if part < 0:
            return html
    return html[:part] + html[caption:]


def placement_ids(steps: int) -> set[str]:
    """The ids of the elements the placement measures, for a cascade of `steps` steps."""
    return {HEADING, FIGURE, *(f"step-{n}" for n in range(1, steps + 1))}


@dataclass(frozen=True)
class Extent:
    """Where an element's boxes lie: first page and top, last page and bottom (CSS px)."""

    first_page: int
    top: float
    last_page: int
    bottom: float
    height: float
    # The first fragment alone: its border box and its margins as styled (WeasyPrint drops
    # the top margin of a box at the top of a page).
    border: float
    margin_top: float
    margin_bottom: float


def _id(box: Any) -> str | None:
    """The id of the element that generated `box`, if the box is the element's own."""
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) != element.tag:
        return None
    ident: str | None = element.get("id")
    return ident


@dataclass
class Layout:
    """What the placement needs to know of one laid-out document."""

    body_top: list[float]
    body_bottom: list[float]
    # Per page, the bottom of the last line or picture: before the cascade section (in the
    # document's order), and all.
    ink_before: list[float | None]
    ink: list[float | None]
    extents: dict[str, Extent]
    # The height of the graph's pictures (its parts), without the caption and the space
    # WeasyPrint adds to a figure that continues on the next page.
    graph: float = 0.0


def read_layout(document: Any, wanted: set[str]) -> Layout:
    """Measure the pages of a WeasyPrint `Document` for the elements named in `wanted`."""
    layout = Layout([], [], [], [], {})
    # Past the section once a box of it was seen: what follows it is not "before".
    seen = False
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        top = page_box.content_box_y()
        layout.body_top.append(top)
        layout.body_bottom.append(top + page_box.height)
        before: float | None = None
        every: float | None = None
        for box, inside in _walk(page_box, False):
            seen = seen or inside
            ident = _id(box)
            if ident in wanted and isinstance(box, boxes.BlockLevelBox):
                _extend(layout.extents, ident, number, box)
            if ident == FIGURE:
                layout.graph += sum(
                    part.margin_height()
                    for part, _ in _walk(box, inside)
                    if isinstance(part, boxes.ReplacedBox)
                )
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
                bottom = box.position_y + box.margin_height()
                every = bottom if every is None else max(every, bottom)
                if not seen:
                    before = bottom if before is None else max(before, bottom)
        layout.ink_before.append(before)
        layout.ink.append(every)
    return layout


def shared_cuts(document: Any) -> set[int]:
    """The cuts of the cascade graph no page breaks at: k where parts k and k+1 (from 1)
    lie on one page. A part is a picture, never cut: one box on one page."""
    pages = [
        number
        for number, page in enumerate(document.pages)
        for figure, _ in _walk(page._page_box, False)
        if _id(figure) == FIGURE
        for part, _ in _walk(figure, False)
        if isinstance(part, boxes.ReplacedBox)
    ]
    return {k for k, (a, b) in enumerate(itertools.pairwise(pages), start=1) if a == b}


def _walk(box: Any, inside: bool) -> Iterator[tuple[Any, bool]]:
    """Every box of the page body under `box`, each with whether it is in the cascade section."""
    inside = inside or _id(box) == SECTION
    yield box, inside
    for child in getattr(box, "children", ()):
        # The running header and footer are not the body.
        if isinstance(child, boxes.Box) and not isinstance(child, boxes.MarginBox):
            yield from _walk(child, inside)


def _extend(extents: dict[str, Extent], ident: str, page: int, box: Any) -> None:
    """Add one fragment of an element's box to its extent.

    A fragment counts its border box and the larger of its margins, as margins collapse
    between blocks stacked one after the other.
    """
    top = box.position_y
    bottom = top + box.margin_height()
    height = box.border_height() + max(box.margin_top or 0, box.margin_bottom or 0)
    seen = extents.get(ident)
    if seen is None:
        margins = [_styled(box, side) for side in ("margin_top", "margin_bottom")]
        extents[ident] = Extent(page, top, page, bottom, height, box.border_height(), *margins)
    else:
        extents[ident] = replace(seen, last_page=page, bottom=bottom, height=seen.height + height)


def _styled(box: Any, side: str) -> float:
    """A margin of `box` as its style gives it, in px."""
    value = box.style[side]
    return float(value.value) if value.unit == "px" else float(getattr(box, side) or 0)


def cascade_after(layout: Layout, steps: int) -> int:
    """How many steps to put before the cascade graph: 0 to leave it under its heading.

    The graph is moved when it leaves the page where the section could have started too
    empty (see `_leaves_gap`), and more than `GAP` of it is there to fill; it then follows
    the steps that fill it.
    """
    figure = layout.extents.get(FIGURE)
    heading = layout.extents.get(HEADING)
    if figure is None or heading is None or steps == 0:
        return 0
    start = _section_start(layout, heading.first_page)
    if start is None or not _leaves_gap(layout, figure, start):
        return 0
    end = layout.ink_before[start]
    room = layout.body_bottom[start] - (layout.body_top[start] if end is None else end)
    if room < GAP * _body(layout, start):
        return 0
    used = heading.border + heading.margin_top + heading.margin_bottom + SLACK
    fit = 0
    for number in range(1, steps + 1):
        step = layout.extents.get(f"step-{number}")
        if step is None or used + step.height > room:
            break
        used += step.height
        fit = number
    return fit


def _leaves_gap(layout: Layout, figure: Extent, start: int) -> bool:
    """Whether the graph, placed under its heading, leaves page `start` too empty.

    Moved whole to a later page, it leaves the space before it (measured by the caller).
    Its first part on `start` but the next part on the page after: a graph that would fit
    a page of its own is cut only because of where it starts, so it goes after the steps;
    a taller one stays unless its first part leaves more than `PARTS_GAP` of the page.
    """
    if figure.first_page != start:
        return True
    # Its box reaches down the page it breaks on: the ink on the page ends the first part.
    end = layout.ink[start]
    if figure.last_page == start or end is None:
        return False
    body = _body(layout, start)
    return _cut_but_fits(layout, figure) or layout.body_bottom[start] - end > PARTS_GAP * body


def _cut_but_fits(layout: Layout, figure: Extent) -> bool:
    """Whether the graph is on more than one page though it would fit one."""
    body = _body(layout, figure.first_page)
    return figure.last_page > figure.first_page and layout.graph + CAPTION <= body


def _body(layout: Layout, page: int) -> float:
    return layout.body_bottom[page] - layout.body_top[page]


def _section_start(layout: Layout, heading_page: int) -> int | None:
    """The page the section could have started on: the heading's, or the one before it when
    nothing but the section is on the heading's page (the heading was carried over)."""
    if layout.ink_before[heading_page] is not None:
        return heading_page
    return heading_page - 1 if heading_page > 0 else None
