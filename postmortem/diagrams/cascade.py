"""The cascade picture: trigger and steps as boxes in causal layers, arrows from cause to effect."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from postmortem.diagrams import layout, page, parts, svg
from postmortem.diagrams.text import clean, ellipsize, wrap
from postmortem.diagrams.types import Cascade, Node

BOX_WIDTH = 200.0
PAD_X = 10.0
PAD_Y = 8.0
HEADING = (13.0, 17.0, 2)  # font size, line height, max lines
TIME = (11.0, 15.0, 1)
GIST = (12.0, 16.0, 3)
GIST_GAP = 3.0  # between the heading/time block and the gist
LAYER_GAP = 44.0
NODE_GAP = 28.0
DUMMY_WIDTH = 10.0
MARGIN = 16.0
PORT_SPACING = 14.0
ARROW = 8.0
# Edges the layout sends round the side (graphs too big for a dummy per layer crossed):
# vertical lanes right of the boxes, one per cause, this far apart.
LANE_GAP = 6.0
# Lanes a drawing for the page keeps (inside its width); further long edges are named in
# their effect's box ("Also caused by 12, 37") instead of drawn.
PAGE_LANES = 6
STUB = 14.0  # the arrow into a box from a cause it names


@dataclass(frozen=True)
class _Line:
    text: str
    size: float
    line_height: float
    bold: bool
    cls: str
    gap_before: float = 0.0


def _lines(node: Node) -> list[_Line]:
    """The text lines of one box, top to bottom, each already fitted to the box width."""
    inner = BOX_WIDTH - 2 * PAD_X
    size, lh, most = HEADING
    lines = [
        _Line(t, size, lh, True, "pm-text")
        for t in wrap(node.heading, inner, size, True, max_lines=most)
    ]
    if node.time and clean(node.time):
        size, lh, _ = TIME
        lines.append(_Line(ellipsize(node.time, inner, size), size, lh, False, "pm-text-muted"))
    size, lh, most = GIST
    for i, t in enumerate(wrap(node.gist, inner, size, max_lines=most)):
        gap = GIST_GAP if i == 0 and lines else 0.0
        lines.append(_Line(t, size, lh, False, "pm-text", gap))
    return lines


def _height(lines: list[_Line]) -> float:
    return 2 * PAD_Y + sum(line.gap_before + line.line_height for line in lines)


def index_edges(c: Cascade) -> list[tuple[int, int]]:
    """Edges as (cause, effect) node indexes, duplicates dropped; ValueError on bad ids."""
    index: dict[str, int] = {}
    for i, node in enumerate(c.nodes):
        if node.id in index:
            raise ValueError(f"duplicate node id {node.id!r}")
        index[node.id] = i
    edges: dict[tuple[int, int], None] = {}
    for cause, effect in c.edges:
        if cause not in index or effect not in index:
            raise ValueError(f"edge {cause!r} -> {effect!r} names an unknown node")
        if cause == effect:
            raise ValueError(f"node {cause!r} causes itself")
        edges[index[cause], index[effect]] = None
    return list(edges)


def _ports(
    lay: layout.Layered, lane_x: dict[int, float], hidden: set[int]
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], float]]:
    """Where each edge leaves its cause and enters its effect: spread along the box edge."""
    out: dict[int, list[int]] = {}
    into: dict[int, list[int]] = {}
    for k, chain in enumerate(lay.chains):
        if k not in hidden:  # an edge named in its effect's box comes in as a stub only
            out.setdefault(chain[0], []).append(k)
        into.setdefault(chain[-1], []).append(k)
    out_x: dict[tuple[int, int], float] = {}
    in_x: dict[tuple[int, int], float] = {}
    for table, result, neighbour in ((out, out_x, 1), (into, in_x, -2)):
        for v, ks in table.items():
            # Sorting by where the edge goes avoids crossings right at the box.
            ks.sort(key=lambda k: (lane_x.get(k, lay.x[lay.chains[k][neighbour]]), k))
            spacing = min(PORT_SPACING, (BOX_WIDTH - 2 * PAD_X) / len(ks))
            for rank, k in enumerate(ks):
                result[v, k] = lay.x[v] + (rank - (len(ks) - 1) / 2) * spacing
    return out_x, in_x


def _node_group(
    v: int, node: Node, lines: list[_Line], left: float, top: float, bottom: float
) -> str:
    """One box: tooltip with the full text, rectangle, then its fitted lines."""
    kind = "" if node.kind == "step" else f"-{node.kind}"
    rect: dict[str, svg.Attr] = {
        "x": left,
        "y": top,
        "width": BOX_WIDTH,
        "height": bottom - top,
        "rx": "6",
        "stroke-width": "1.2",
    }
    if node.kind == "condition":
        rect["stroke-dasharray"] = "5 3"  # apart from the trigger in black and white too
    box = svg.painted("rect", f"pm-box{kind}", rect)
    texts = []
    cursor = top + PAD_Y
    for line in lines:
        cursor += line.gap_before
        base = svg.baseline(cursor, line.line_height, line.size)
        texts.append(
            svg.text(left + PAD_X, base, line.text, line.size, bold=line.bold, cls=line.cls)
        )
        cursor += line.line_height
    tooltip = " — ".join(part for part in (node.heading, node.time, node.gist) if part)
    attrs = {"class": f"pm-node pm-node{kind}" if kind else "pm-node", "data-node": f"n{v}"}
    return svg.el("g", attrs, svg.title(tooltip) + box + "".join(texts))


def _edge_path(points: list[tuple[float, float]]) -> str:
    """Curves across the gaps between layers, straight lines through dummy slots."""
    n = svg.num
    d = [f"M{n(points[0][0])} {n(points[0][1])}"]
    for i in range(1, len(points)):
        (x1, y1), (x2, y2) = points[i - 1], points[i]
        if i % 2:  # crossing a gap between two layers
            mid = (y1 + y2) / 2
            d.append(f"C{n(x1)} {n(mid)} {n(x2)} {n(mid)} {n(x2)} {n(y2)}")
        else:
            d.append(f"L{n(x2)} {n(y2)}")
    return "".join(d)


def _lane_path(start: tuple[float, float], end: tuple[float, float], x: float, lane: int) -> str:
    """Down into the gap below the cause, across to its lane, down, across, into the effect."""
    n = svg.num
    # Each lane turns at its own height in a gap, so that two lanes' crossings stay apart.
    turn = LAYER_GAP * (0.3 + 0.4 * (lane % 5) / 4)
    (x1, y1), (x2, y2) = start, end
    return (
        f"M{n(x1)} {n(y1)}L{n(x1)} {n(y1 + turn)}L{n(x)} {n(y1 + turn)}"
        f"L{n(x)} {n(y2 - turn)}L{n(x2)} {n(y2 - turn)}L{n(x2)} {n(y2)}"
    )


def _fit(n: int, edges: list[tuple[int, int]], width: float) -> tuple[layout.Layered, bool]:
    """The layout, and whether it was made for the page (the natural one did not fit)."""
    inner = width - 2 * MARGIN
    fits = max(1, int((inner + NODE_GAP) // (BOX_WIDTH + NODE_GAP))) if inner < math.inf else n
    # A layer of more boxes than fit side by side: the natural layout is too wide for sure
    # (and it is the costly one: its crossing search is made for few wide layers).
    reserve: list[float] = [0.0, _width(0.0, PAGE_LANES) - 2 * MARGIN]
    if layout.widest_layer(n, edges) <= fits:
        natural = layout.layout(n, edges, [BOX_WIDTH] * n, dummy_width=DUMMY_WIDTH, gap=NODE_GAP)
        lanes = max(natural.side.values(), default=-1) + 1
        if _width(_span(natural, n), lanes) <= width:
            return natural, False
        if lanes:
            reserve = reserve[1:]  # a narrower layout needs lanes all the more
    # Too wide: fewer boxes side by side, never reaching past the page; the edges that
    # find no room beside the boxes go round the side, in at most PAGE_LANES lanes.
    for reserved in reserve:
        per_layer = max(1, int((inner - reserved + NODE_GAP) // (BOX_WIDTH + NODE_GAP)))
        lay = layout.layout(
            n,
            edges,
            [BOX_WIDTH] * n,
            dummy_width=DUMMY_WIDTH,
            gap=NODE_GAP,
            per_layer=per_layer,
            max_width=inner - reserved,
        )
        if not lay.side:
            break
    return lay, True


def _width(span: float, lanes: int) -> float:
    """The drawing's width: boxes `span` wide, then `lanes` lanes, and a margin each side.

    The ink reaches the last lane, so the margin right of it is the one left of the boxes:
    the graph is centred in its picture, and so in the page (and the HTML column).
    """
    return span + 2 * MARGIN + ((lanes - 1) * LANE_GAP + MARGIN if lanes else 0)


def _span(lay: layout.Layered, n: int) -> float:
    """The width the boxes and dummies take."""
    return max(
        (lay.x[v] + (BOX_WIDTH if v < n else DUMMY_WIDTH) / 2 for v in range(len(lay.x))),
        default=0.0,
    )


def _numbered(c: Cascade) -> tuple[list[Node], list[str]]:
    """Nodes numbered as the list of steps beside the picture is, and the name of each."""
    number = 0
    nodes, names = [], []
    for node in c.nodes:
        if node.kind == "step":
            number += 1
            node = replace(node, heading=f"{number}. {node.heading}")
        nodes.append(node)
        names.append(
            str(number)
            if node.kind == "step"
            else "the trigger"
            if node.kind == "trigger"
            else node.heading  # "Latent condition · BoltDB freelist"
        )
    return nodes, names


def _referred(edges: list[tuple[int, int]], lay: layout.Layered) -> dict[int, list[int]]:
    """Causes past the page's lanes, per effect: named in the effect's box, not drawn."""
    refs: dict[int, list[int]] = {}
    for k, lane in lay.side.items():
        if lane >= PAGE_LANES:
            refs.setdefault(edges[k][1], []).append(edges[k][0])
    return refs


def _draw(c: Cascade, prefix: str, width: float) -> parts.Drawing:
    """Every box and arrow of the cascade, laid out to fit `width` when it can."""
    edges = index_edges(c)
    n = len(c.nodes)
    lay, for_page = _fit(n, edges, width)
    nodes, names = _numbered(c) if for_page else (list(c.nodes), [])
    lines = [_lines(node) for node in nodes]
    refs = _referred(edges, lay) if for_page else {}
    for v, causes in refs.items():
        # Too many long edges to draw legibly: the box names its other causes instead.
        named = ", ".join(names[u] for u in sorted(causes))
        inner = BOX_WIDTH - 2 * PAD_X
        size, lh, _ = TIME
        for i, t in enumerate(wrap(f"Also caused by {named}", inner, size)):
            lines[v].append(_Line(t, size, lh, False, "pm-text-muted", GIST_GAP if not i else 0))
    heights = [_height(ls) for ls in lines]
    side = {k: lane for k, lane in lay.side.items() if lane < PAGE_LANES or not for_page}

    band_height = [0.0] * len(lay.layers)
    for v in range(n):
        band_height[lay.layer_of[v]] = max(band_height[lay.layer_of[v]], heights[v])
    band_top = []
    y = MARGIN
    for h in band_height:
        band_top.append(y)
        y += h + LAYER_GAP
    height = max(y - LAYER_GAP + MARGIN, 2 * MARGIN)
    span = _span(lay, n)
    lanes_left = span + MARGIN
    lane_x = {k: lanes_left + lane * LANE_GAP for k, lane in side.items()}
    lanes = max(side.values(), default=-1) + 1
    width = _width(span, lanes)
    shift = MARGIN

    def top(v: int) -> float:
        return band_top[lay.layer_of[v]]

    def bottom(v: int) -> float:
        return band_top[lay.layer_of[v]] + band_height[lay.layer_of[v]]

    items = [
        parts.Item(
            top(v),
            bottom(v),
            _node_group(v, node, lines[v], lay.x[v] - BOX_WIDTH / 2 + shift, top(v), bottom(v)),
        )
        for v, node in enumerate(nodes)
    ]
    out_x, in_x = _ports(lay, lane_x, set(lay.side) - set(side))
    marker_id = f"{prefix}-cascade-arrow"
    for k, chain in enumerate(lay.chains):
        u, v = chain[0], chain[-1]
        end = (in_x[v, k] + shift, top(v))
        reach = bottom(u)  # the top of what the edge's path covers
        if k in lay.side and k not in side:
            reach, num = end[1] - STUB, svg.num
            d = f"M{num(end[0])} {num(reach)}L{num(end[0])} {num(end[1])}"
        elif k in lane_x:
            start = (out_x[u, k] + shift, bottom(u))
            d = _lane_path(start, end, lane_x[k] + shift, side[k])
        else:
            points = [(out_x[u, k] + shift, bottom(u))]
            for w in chain[1:-1]:
                points += [(lay.x[w] + shift, top(w)), (lay.x[w] + shift, bottom(w))]
            d = _edge_path([*points, end])
        path = svg.painted(
            "path",
            "pm-edge",
            {
                "data-edge": f"n{u} n{v}",
                "d": d,
                "fill": "none",
                "stroke-width": "1.5",
                "marker-end": f"url(#{marker_id})",
            },
        )
        items.append(parts.Item(reach, top(v), path, marker_id))
    cuts = [t - LAYER_GAP / 2 for t in band_top[1:]]
    return parts.Drawing(width, height, items, cuts)


def cascade_svg(
    c: Cascade, *, title: str, desc: str, id_prefix: str = "pm", width: float = page.WIDTH
) -> str:
    """Draw the cascade as an inline `<svg>`: a layered graph read from top (trigger) to bottom.

    Every node sits in a layer below all of its causes; nodes within a layer are ordered
    to avoid edge crossings. A graph wider than `width` is laid out again for it (fewer
    boxes side by side; long edges round the side) rather than scaled down. `title` and
    `desc` become the accessible name and description; `id_prefix` keeps the ids of two
    diagrams in one page apart. ValueError on unknown ids, duplicate ids or a cycle.
    """
    prefix = svg.check_prefix(id_prefix)
    drawing = _draw(c, prefix, width)
    return parts.part(drawing, 0, [(0.0, drawing.height)], title=title, desc=desc, prefix=prefix)


def cascade_parts(
    c: Cascade,
    *,
    title: str,
    desc: str,
    id_prefix: str = "pm",
    width: float = page.WIDTH,
    height: float = page.HEIGHT,
) -> list[str]:
    """The cascade as `cascade_svg` draws it, cut between layers into parts of at most `height`.

    Each part is an `<svg>` of its own (so that a page can break between them); an arrow
    that crosses a cut runs off the bottom of one part and on at the top of the next,
    with a note "continued" at both ends (the PDF keeps the notes only where its page
    breaks: `parts.drop_notes`). Parts as even as whole layers allow. One part when the
    drawing fits.
    """
    prefix = svg.check_prefix(id_prefix)
    drawing = _draw(c, prefix, width)
    spans = parts.spans(drawing, height)
    return [
        parts.part(drawing, i, spans, title=title, desc=desc, prefix=prefix)
        for i in range(len(spans))
    ]
