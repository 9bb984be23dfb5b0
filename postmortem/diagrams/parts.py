"""A drawing cut into parts a page can hold: whole layers each, "continued" where cut."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from postmortem.diagrams import svg
from postmortem.diagrams.text import text_width

ARROW = 8.0
EPSILON = 1e-6  # px: layer edges are sums of floats
NOTE_INSET = 16.0  # from the left edge to a "continued" note (lanes run down the right)


@dataclass(frozen=True)
class Item:
    """A drawn element and the vertical extent it occupies (for cutting into parts)."""

    top: float
    bottom: float
    markup: str
    arrow: str = ""  # an edge: the id of the arrowhead it names (each part has its own)


@dataclass(frozen=True)
class Drawing:
    """Everything drawn, before it is cut into parts."""

    width: float
    height: float
    items: list[Item]
    cuts: list[float]  # where a part may end: the middle of each gap between two layers


def arrow_defs(prefix: str) -> str:
    """The arrowhead the edges of one part name, `{prefix}-cascade-arrow`."""
    arrowhead = svg.painted("path", "pm-arrowhead", {"d": "M0 0L10 5L0 10z"})
    return svg.el(
        "marker",
        {
            "id": f"{prefix}-cascade-arrow",
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerUnits": "userSpaceOnUse",
            "markerWidth": ARROW,
            "markerHeight": ARROW,
            "orient": "auto",
        },
        arrowhead,
    )


def spans(drawing: Drawing, height: float) -> list[tuple[float, float]]:
    """(top, bottom) of each part: whole layers, at most `height` (one layer at least).

    As few parts as that allows, cut where they come out most even: the tallest part as
    short as it can be, then the shortest as tall, so that no part is a sliver (a lone
    box on a page of its own).
    """
    edges = [0.0, *drawing.cuts, drawing.height]
    count = _fewest(edges, height)
    # A part spans from one edge to another: the best bounds are among those spans.
    sizes = sorted({b - a for i, a in enumerate(edges) for b in edges[i + 1 :]})
    sizes = [s for s in sizes if s <= height] or [height]
    tallest = sizes[_first(len(sizes), lambda k: bool(_cut(edges, 0.0, sizes[k], count, height)))]
    lows = [0.0, *sizes[: sizes.index(tallest) + 1]][::-1]
    # The highest floor that still cuts (a floor of 0 always does).
    floor = lows[_first(len(lows), lambda k: bool(_cut(edges, lows[k], tallest, count, height)))]
    found = _cut(edges, floor, tallest, count, height)
    return [(edges[a], edges[b]) for a, b in itertools.pairwise(found)]


def _fewest(edges: list[float], height: float) -> int:
    """How many parts the layers need: each part as full as it goes."""
    count, top = 1, edges[0]
    for before, edge in itertools.pairwise(edges):
        if edge - top > height + EPSILON and before > top:
            count, top = count + 1, before
    return count


def _first(n: int, ok: Callable[[int], bool]) -> int:
    """The first of 0..n-1 for which `ok` holds, `ok` holding from some index on (n-1 does)."""
    low, high = 0, n - 1
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _cut(edges: list[float], low: float, high: float, count: int, height: float) -> list[int]:
    """Indexes of the edges that cut the layers into `count` parts from `low` to `high`
    tall (a layer taller than `height` alone: any), the first and last edge included;
    empty when there are none."""
    last = len(edges) - 1

    def starts(j: int) -> tuple[int, int, bool]:
        """The edges i < j a part ending at edge j may start from: a range, and j - 1 when
        the layer above j is too tall for any part but its own."""
        first = bisect.bisect_left(edges, edges[j] - high - EPSILON)
        stop = bisect.bisect_right(edges, edges[j] - low + EPSILON, 0, j)
        layer = edges[j] - edges[j - 1]
        return first, stop, layer > height and layer >= low - EPSILON

    # reach[k][j]: whether k parts can end at edge j.
    reach = [[j == 0 for j in range(last + 1)]]
    for _ in range(count):
        before = reach[-1]
        sums = [0, *itertools.accumulate(before)]
        now = [False]
        for j in range(1, last + 1):
            first, stop, alone = starts(j)
            now.append(sums[stop] > sums[first] or (alone and before[j - 1]))
        reach.append(now)
    if not reach[count][last]:
        return []
    found = [last]
    for k in range(count, 0, -1):
        j = found[-1]
        first, stop, alone = starts(j)
        options = [*range(first, stop), *([j - 1] if alone else [])]
        found.append(max(i for i in options if reach[k - 1][i]))
    return found[::-1]


CONTINUED = 11.0  # font size of the notes where a part ends and the next begins


def _note(base: float, text: str, cut: int) -> str:
    """A muted note on a patch of background (arrows that cross the cut pass behind it).

    `cut` numbers the cut it notes, the one after part `cut` (from 1), for `drop_notes`.
    """
    width = text_width(text, CONTINUED)
    patch = {"x": NOTE_INSET - 3, "y": base - CONTINUED, "width": width + 6, "height": 15}
    halo = svg.painted("rect", "pm-halo", patch)
    note = svg.text(NOTE_INSET, base, text, CONTINUED, cls="pm-text-muted")
    return svg.el("g", {"class": "pm-continued", "data-cut": str(cut)}, halo + note)


# A note as `_note` writes it: a group of a patch and a text, with no group inside.
_NOTE = re.compile(r'<g class="pm-continued" data-cut="([0-9]+)">.*?</g>', re.S)


def drop_notes(markup: str, cuts: set[int]) -> str:
    """`markup` without the "continued" notes of `cuts`, where the page does not break.

    On paper two parts on one page read as one picture: a note between them would tell
    of a cut the reader does not see. Only the pages can tell where that happens (the
    PDF writer lays them out); dropping a note changes no part's size.
    """
    return _NOTE.sub(lambda m: "" if int(m[1]) in cuts else m[0], markup) if cuts else markup


def part(
    drawing: Drawing,
    i: int,
    spans: list[tuple[float, float]],
    *,
    title: str,
    desc: str,
    prefix: str,
) -> str:
    """Part i of the drawing: the elements that reach into its span, shifted to its top."""
    top, bottom = spans[i]
    # Each part its own ids (and arrowhead): parts sit in one page.
    own = prefix if i == 0 else f"{prefix}-{i + 1}"
    arrow = f"url(#{own}-cascade-arrow)"
    body = []
    for item in drawing.items:
        if item.top >= bottom or item.bottom <= top:
            continue
        markup = item.markup
        if item.arrow:
            markup = markup.replace(f"url(#{item.arrow})", arrow, 1)
            if item.top < top:
                # Its part above names it: here it is the same edge continued.
                markup = markup.replace(' data-edge="', ' data-edge-continued="', 1)
        body.append(markup)
    if len(spans) > 1:
        title = f"{title} (part {i + 1} of {len(spans)})"
        desc = desc if i == 0 else "Continued from the part above."
        if i:
            body.append(_note(top + 15, "continued from above", i))
        if i + 1 < len(spans):
            body.append(_note(bottom - 5, "continued below", i + 1))
    inner = "".join(body)
    if top:
        inner = svg.el("g", {"transform": f"translate(0 {svg.num(-top)})"}, inner)
    return svg.document(
        "cascade",
        drawing.width,
        bottom - top,
        title_text=title,
        desc_text=desc,
        id_prefix=own,
        defs=arrow_defs(own),
        body=inner,
    )
