"""A drawing cut into parts a page can hold: whole layers each, "continued" where cut."""

from __future__ import annotations

import math
from dataclasses import dataclass

from postmortem.diagrams import svg
from postmortem.diagrams.text import text_width

ARROW = 8.0
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

    Parts are about equal, so that no last part holds a lone box.
    """
    count = math.ceil(drawing.height / height)
    # A little over the mean, so that uneven layers do not add a part; never over `height`.
    most = min(height, drawing.height / count * 1.15)
    found = []
    top = 0.0
    cuts = [*drawing.cuts, drawing.height]
    for i, cut in enumerate(cuts):
        following = cuts[i + 1] if i + 1 < len(cuts) else None
        if following is None or following - top > most:
            found.append((top, cut))
            top = cut
    return found


CONTINUED = 11.0  # font size of the notes where a part ends and the next begins


def _note(base: float, text: str) -> str:
    """A muted note on a patch of background (arrows that cross the cut pass behind it)."""
    width = text_width(text, CONTINUED)
    patch = {"x": NOTE_INSET - 3, "y": base - CONTINUED, "width": width + 6, "height": 15}
    halo = svg.painted("rect", "pm-halo", patch)
    note = svg.text(NOTE_INSET, base, text, CONTINUED, cls="pm-text-muted")
    return svg.el("g", {"class": "pm-continued"}, halo + note)


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
            body.append(_note(top + 15, "continued from above"))
        if i + 1 < len(spans):
            body.append(_note(bottom - 5, "continued below"))
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
