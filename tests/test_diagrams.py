"""The diagrams: structure, geometry (no overlaps, no overflow), escaping, determinism."""

from __future__ import annotations

import html
import itertools
import json
import random
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postmortem.diagrams import (
    Cascade,
    Marker,
    Node,
    Span,
    Tick,
    Timeline,
    axis,
    cascade_mermaid,
    cascade_svg,
    layout,
    metrics,
    palette,
    timeline_svg,
    wrap,
)
from postmortem.diagrams.text import FALLBACK_SLACK, clean, text_width

NS = "{http://www.w3.org/2000/svg}"
LA = ZoneInfo("America/Los_Angeles")
NASTY = [
    "<script>alert(1)</script>",
    '" onload="x',
    "a & b < c > d",
    "quote \" and ' apostrophe",
    "brackets [x] {y} (z) |pipe| `tick` #hash #quot; #35;",
    "style:x#y; classDef a fill:#f00;",
    "line\nbreak\r\nand\ttab\x00\x07 control",
    "end --> n0",
    "名前の長いサービス 🚀 Łódź café",
]


# --- helpers -------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def text_box(el: ET.Element) -> tuple[float, float, float, float]:
    """Ink box of a <text> from its attributes and our font metrics: (left, top, right, bottom)."""
    x, y, size = float(el.get("x")), float(el.get("y")), float(el.get("font-size"))
    width = text_width(el.text or "", size, el.get("font-weight") == "bold")
    anchor = el.get("text-anchor", "start")
    left = x - {"start": 0, "middle": width / 2, "end": width}[anchor]
    return (left, y - metrics.ASCENT * size, left + width, y + metrics.DESCENT * size)


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    eps = 0.01
    return a[0] < b[2] - eps and b[0] < a[2] - eps and a[1] < b[3] - eps and b[1] < a[3] - eps


def inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    eps = 0.01
    return (
        inner[0] >= outer[0] - eps
        and inner[1] >= outer[1] - eps
        and inner[2] <= outer[2] + eps
        and inner[3] <= outer[3] + eps
    )


def rect_box(el: ET.Element) -> tuple[float, float, float, float]:
    x, y = float(el.get("x")), float(el.get("y"))
    return (x, y, x + float(el.get("width")), y + float(el.get("height")))


def assert_text_clean(svg: str) -> None:
    """No two texts overlap; every text lies inside the canvas (and inside its node box)."""
    root = parse(svg)
    _, _, width, height = map(float, root.get("viewBox").split())
    canvas = (0.0, 0.0, width, height)
    boxes = []
    for group in root.iter(f"{NS}g"):
        if "pm-node" in group.get("class", "").split():
            rect = rect_box(group.find(f"{NS}rect"))
            for t in group.iter(f"{NS}text"):
                assert inside(text_box(t), rect), f"{t.text!r} leaves its box"
    for t in root.iter(f"{NS}text"):
        box = text_box(t)
        assert inside(box, canvas), f"{t.text!r} leaves the picture"
        boxes.append((box, t.text))
    for (a, ta), (b, tb) in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), f"{ta!r} overlaps {tb!r}"


def node(id_: str, heading: str = "svc", gist: str = "Something broke.", time: str | None = None):
    return Node(id=id_, heading=heading, time=time, gist=gist, kind="step")


def trigger(gist: str = "A config flag flipped.") -> Node:
    return Node("trigger", "Trigger · config", "07:30 PST", gist, "trigger")


def chain(n: int = 5) -> Cascade:
    nodes = [trigger()] + [node(f"s{i}", f"service-{i}", "Latency rose.") for i in range(1, n)]
    ids = [x.id for x in nodes]
    return Cascade(tuple(nodes), tuple(itertools.pairwise(ids)))


def branching(n: int = 50) -> Cascade:
    """A tree with fan-out, plus merges and edges that skip layers; gists of every length."""
    nodes = [trigger()]
    edges = []
    for i in range(1, n):
        gist = "dependency timeouts cascaded " * (i % 6) + ("x" * 300 if i % 11 == 0 else "")
        nodes.append(node(f"s{i}", f"service-{i} " * (1 + i % 3), gist, "07:4{i % 10} PST"))
        parent = "trigger" if i < 3 else f"s{(i - 1) // 2}"
        edges.append((parent, f"s{i}"))
        if i % 7 == 0 and i > 8:
            edges.append((f"s{i - 8}", f"s{i}"))
    return Cascade(tuple(nodes), tuple(edges))


def node_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-node"): g for g in root.iter(f"{NS}g") if g.get("data-node")}


def five_days(n_events: int = 200) -> Timeline:
    t0 = datetime(2024, 12, 7, 7, 30, tzinfo=LA)
    rnd = random.Random(3)
    times = sorted(t0 + timedelta(minutes=rnd.randint(0, 5 * 24 * 60)) for _ in range(n_events))
    times[:50] = [t0 + timedelta(minutes=m) for m in range(50)]  # a burst at the start
    return Timeline(
        tz=LA,
        impact=Span("Customer impact", t0, t0 + timedelta(days=4)),
        services=tuple(
            Span(f"service-{i}", t0 + timedelta(hours=9 * i), t0 + timedelta(hours=9 * i + 30))
            for i in range(8)
        ),
        markers=(
            Marker("Trigger", t0),
            Marker("Detected", t0 + timedelta(minutes=20)),
            Marker("Mitigated", t0 + timedelta(days=3)),
            Marker("Resolved", t0 + timedelta(days=4, minutes=5)),
        ),
        events=tuple(Tick(i + 1, t) for i, t in enumerate(sorted(times))),
        until=t0 + timedelta(days=5),
    )


def five_minutes() -> Timeline:
    t0 = datetime(2024, 12, 7, 7, 30, tzinfo=LA)
    return Timeline(
        tz=LA,
        impact=Span("Customer impact", t0 + timedelta(minutes=1), t0 + timedelta(minutes=4)),
        services=(Span("checkout", t0 + timedelta(minutes=1), None),),
        markers=(
            Marker("Trigger", t0),
            Marker("Detected", t0 + timedelta(seconds=30)),
            Marker("Mitigated", t0 + timedelta(seconds=50)),
            Marker("Resolved", t0 + timedelta(minutes=5)),
        ),
        events=(Tick(1, t0 + timedelta(minutes=2)),),
        until=t0 + timedelta(minutes=5),
    )


# --- text ----------------------------------------------------------------------------------


def test_wrap_hard_breaks_a_huge_word_and_keeps_every_line_inside():
    lines = wrap("x" * 10_000, 180, 12)
    assert len(lines) > 100
    assert "".join(lines) == "x" * 10_000
    assert all(text_width(line, 12) <= 180 for line in lines)


def test_wrap_cuts_to_max_lines_with_an_ellipsis():
    text = "word " * 200 + "W" * 5000
    lines = wrap(text, 150, 12, True, max_lines=3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(text_width(line, 12, True) <= 150 for line in lines)
    assert wrap("short text", 150, 12, max_lines=3) == ["short text"]
    assert wrap("  \n ", 150, 12) == []


def test_measurement_uses_font_widths_and_a_wide_fallback():
    assert text_width("W", 10) > text_width("i", 10) > 0
    assert text_width("M", 10, bold=True) > text_width("M", 10)
    # Not in the table: a CJK character counts double the conservative fallback.
    slack = FALLBACK_SLACK  # room for a wider fallback font in the browser
    assert text_width("名", 10) == pytest.approx(2 * metrics.FALLBACK_REGULAR / 100 * slack)
    assert text_width("e\u0301", 10) == text_width("e", 10)  # combining accent adds nothing


# --- cascade -------------------------------------------------------------------------------


def test_cascade_structure_and_layers():
    c = branching(20)
    root = parse(cascade_svg(c, title="Cascade", desc="Steps"))
    groups = node_groups(root)
    assert len(groups) == len(c.nodes)
    edges = [p for p in root.iter(f"{NS}path") if "pm-edge" in p.get("class", "")]
    assert len(edges) == len(set(c.edges))
    index = {n.id: f"n{i}" for i, n in enumerate(c.nodes)}
    assert sorted(e.get("data-edge") for e in edges) == sorted(
        f"{index[a]} {index[b]}" for a, b in set(c.edges)
    )
    top = {k: rect_box(g.find(f"{NS}rect")) for k, g in groups.items()}
    for cause, effect in c.edges:
        assert top[index[effect]][1] > top[index[cause]][3], f"{effect} not below {cause}"


def test_chain_reads_top_to_bottom_in_one_column():
    root = parse(cascade_svg(chain(5), title="t", desc="d"))
    boxes = [rect_box(g.find(f"{NS}rect")) for g in node_groups(root).values()]
    assert len({b[0] for b in boxes}) == 1
    assert [b[1] for b in boxes] == sorted(b[1] for b in boxes)


@pytest.mark.parametrize("cascade", [chain(5), branching(8), branching(50)], ids=["5", "8", "50"])
def test_cascade_text_stays_in_boxes_and_never_overlaps(cascade):
    assert_text_clean(cascade_svg(cascade, title="t", desc="d"))


def test_cascade_long_and_hostile_text_stays_in_boxes():
    nodes = [trigger("y" * 10_000)] + [
        node(f"s{i}", label * 5, label * 20, label) for i, label in enumerate(NASTY)
    ]
    c = Cascade(tuple(nodes), tuple(("trigger", x.id) for x in nodes[1:]))
    assert_text_clean(cascade_svg(c, title="t", desc="d"))


def test_empty_cascade_is_a_small_valid_picture():
    root = parse(cascade_svg(Cascade((), ()), title="t", desc="d"))
    assert not node_groups(root)
    assert cascade_mermaid(Cascade((), ())) == "flowchart TD\n"


def test_cascade_rejects_broken_graphs():
    with pytest.raises(ValueError, match="unknown"):
        cascade_svg(Cascade((trigger(),), (("trigger", "nope"),)), title="t", desc="d")
    with pytest.raises(ValueError, match="cycle"):
        c = Cascade((trigger(), node("a"), node("b")), (("a", "b"), ("b", "a")))
        cascade_svg(c, title="t", desc="d")


def _brute_force_min_crossings(lay: layout.Layered, pred: list[list[int]]) -> int:
    return min(
        layout.count_crossings([list(p) for p in combo], pred)
        for combo in itertools.product(*(itertools.permutations(layer) for layer in lay.layers))
    )


def test_crossing_reduction_finds_a_crossing_free_order_when_one_exists():
    rnd = random.Random(11)
    checked = 0
    for _ in range(300):
        n = rnd.randint(4, 8)
        edges = sorted(
            {(u, v) for v in range(1, n) for u in rnd.sample(range(v), rnd.randint(1, min(2, v)))}
        )
        lay = layout.layout(n, edges, [10.0] * n, dummy_width=2, gap=1)
        pred: list[list[int]] = [[] for _ in lay.layer_of]
        for ch in lay.chains:
            for a, b in itertools.pairwise(ch):
                pred[b].append(a)
        space = 1
        for layer in lay.layers:
            space *= len(list(itertools.permutations(layer)))
        if space > 5_000:
            continue
        assert lay.crossings == layout.count_crossings(lay.layers, pred)
        assert lay.crossings == _brute_force_min_crossings(lay, pred), edges
        checked += 1
    assert checked > 80


def test_crossing_reduction_untangles_a_bad_input_order():
    # Input order puts b's children in the wrong order relative to a's: naive drawing crosses.
    nodes = (trigger(), node("a"), node("b"), node("a1"), node("b1"), node("ab"))
    edges = (("trigger", "a"), ("trigger", "b"), ("b", "b1"), ("a", "a1"), ("a", "ab"))
    edges += (("b", "ab"), ("b1", "ab"))
    idx = {x.id: i for i, x in enumerate(nodes)}
    lay = layout.layout(
        len(nodes), [(idx[a], idx[b]) for a, b in edges], [100.0] * 6, dummy_width=8, gap=10
    )
    assert lay.crossings == 0


# --- timeline ------------------------------------------------------------------------------


def markers_x(root: ET.Element) -> dict[int, float]:
    return {
        int(line.get("data-marker")): float(line.get("x1"))
        for line in root.iter(f"{NS}line")
        if line.get("data-marker")
    }


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


@pytest.mark.parametrize("make", [five_minutes, five_days], ids=["5min", "5days"])
def test_timeline_markers_ticks_and_zone(make):
    t = make()
    root = parse(timeline_svg(t, title="Timeline", desc="d"))
    xs = markers_x(root)
    order = sorted(range(len(t.markers)), key=lambda i: t.markers[i].time)
    assert [xs[i] for i in order] == sorted(xs.values())
    assert len(set(xs.values())) == len(xs)
    axis_line = next(
        ln
        for ln in root.iter(f"{NS}line")
        if ln.get("class") == "pm-axis" and ln.get("y2") == ln.get("y1")
    )
    lo, hi = float(axis_line.get("x1")), float(axis_line.get("x2"))
    ticks = [
        ln for ln in root.iter(f"{NS}line") if ln.get("class") == "pm-axis" and ln is not axis_line
    ]
    assert 4 <= len(ticks) <= 10
    assert all(lo <= float(ln.get("x1")) <= hi for ln in ticks)
    assert "PST" in texts(root)
    assert all(lo <= x <= hi for x in xs.values())


@pytest.mark.parametrize("make", [five_minutes, five_days], ids=["5min", "5days"])
def test_timeline_text_never_overlaps(make):
    assert_text_clean(timeline_svg(make(), title="t", desc="d"))


def one_day() -> Timeline:
    t0 = datetime(2024, 12, 7, 7, 30, tzinfo=LA)
    hours = [("api-gateway", 1, 3), ("auth-service", 1.5, 7), ("search", 4, 12)]
    return Timeline(
        tz=LA,
        impact=Span("Customer impact", t0 + timedelta(hours=1), t0 + timedelta(hours=9)),
        services=tuple(
            Span(n, t0 + timedelta(hours=h), t0 + timedelta(hours=h + d)) for n, h, d in hours
        ),
        markers=(
            Marker("Trigger", t0),
            Marker("Detected", t0 + timedelta(minutes=50)),
            Marker("Mitigated", t0 + timedelta(hours=8)),
            Marker("Resolved", t0 + timedelta(hours=16)),
        ),
        events=tuple(Tick(i + 1, t0 + timedelta(minutes=17 * i)) for i in range(40)),
        until=t0 + timedelta(hours=16),
    )


@pytest.mark.parametrize("make", [five_minutes, one_day, five_days], ids=["5min", "1day", "5days"])
def test_marker_lines_do_not_cross_marker_labels(make):
    root = parse(timeline_svg(make(), title="t", desc="d"))
    bars_top = min(
        float(r.get("y")) for r in root.iter(f"{NS}rect") if r.get("class") == "pm-impact"
    )
    flags = [text_box(t) for t in root.iter(f"{NS}text") if text_box(t)[3] < bars_top]
    assert len(flags) == len(make().markers)
    for line in root.iter(f"{NS}line"):
        if line.get("data-marker"):
            x, top = float(line.get("x1")), float(line.get("y1"))
            for box in flags:
                assert not (box[0] <= x <= box[2] and box[3] > top), "a marker line crosses a label"


def test_timeline_numbers_events_like_the_table():
    t = five_days()
    root = parse(timeline_svg(t, title="t", desc="d"))
    dots = [c for c in root.iter(f"{NS}circle") if c.get("class") == "pm-event"]
    assert sorted(int(c.get("data-event")) for c in dots) == [e.number for e in t.events]
    shown = {int(s) for s in texts(root) if s.isdigit()}
    assert shown <= {e.number for e in t.events}
    assert len(shown) >= 35  # dense, yet plenty stay numbered (in 640 px, page.WIDTH)
    assert {100, 200} <= shown  # round numbers win where crowded
    assert "some left unnumbered" in texts(root)
    few = parse(timeline_svg(five_minutes(), title="t", desc="d"))
    assert "1" in texts(few)


def test_timeline_ongoing_and_dst():
    t0 = datetime(2024, 11, 2, 18, 0, tzinfo=LA)  # PDT; the clocks go back at 02:00 on Nov 3
    t = Timeline(
        tz=LA,
        impact=Span("Customer impact", t0, None),
        services=(Span("payments", t0 + timedelta(hours=1), None),),
        markers=(Marker("Trigger", t0),),
        events=tuple(Tick(i, t0 + timedelta(minutes=40 * i)) for i in range(1, 15)),
        until=t0 + timedelta(hours=12),
    )
    svg_text = timeline_svg(t, title="t", desc="d")
    root = parse(svg_text)
    assert texts(root).count("ongoing") == 2
    assert "PDT → PST" in texts(root)
    assert any("PST" in s for s in texts(root) if s != "PDT → PST")
    assert_text_clean(svg_text)


def test_axis_steps_and_fall_back_hour():
    for minutes, lo, hi in ((5, 4, 10), (60, 4, 10), (24 * 60, 4, 10), (5 * 24 * 60, 4, 10)):
        start = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
        ticks = axis.ticks(start, start + timedelta(minutes=minutes), LA, 10)
        assert lo <= len(ticks) <= hi, minutes
    start = datetime(2024, 11, 3, 7, 30, tzinfo=UTC)  # 00:30 PDT
    ticks = axis.ticks(start, start + timedelta(hours=4), LA, 10)
    instants = [t.at for t in ticks]
    assert instants == sorted(set(instants))
    assert [t.label for t in ticks].count("01:00") == 2  # once in PDT, once in PST
    assert any(t.sub == "PST" for t in ticks)


def test_naive_times_are_refused():
    naive = datetime(2024, 1, 1, 12, 0)
    t = Timeline(LA, None, (), (Marker("Trigger", naive),), (), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        timeline_svg(t, title="t", desc="d")


# --- safety, determinism, palette ---------------------------------------------------------


def hostile_svgs(prefix: str = "pm") -> list[str]:
    nodes = [trigger(NASTY[0])] + [node(f"s{i}", s, s, s) for i, s in enumerate(NASTY)]
    c = Cascade(tuple(nodes), tuple(("trigger", x.id) for x in nodes[1:]))
    t0 = datetime(2024, 12, 7, 7, 30, tzinfo=LA)
    t = Timeline(
        LA,
        Span(NASTY[1], t0, t0 + timedelta(hours=1)),
        tuple(Span(s, t0, t0 + timedelta(minutes=30)) for s in NASTY),
        tuple(Marker(s, t0 + timedelta(minutes=5 * i)) for i, s in enumerate(NASTY)),
        (),
        t0 + timedelta(hours=2),
    )
    return [
        cascade_svg(c, title=NASTY[0], desc=NASTY[1], id_prefix=prefix),
        timeline_svg(t, title=NASTY[1], desc=NASTY[0], id_prefix=prefix),
    ]


def test_hostile_labels_come_out_as_inert_text():
    for out in hostile_svgs():
        root = parse(out)  # well-formed despite control characters
        assert "<script" not in out.lower()
        assert "href" not in out.lower()
        assert "foreignobject" not in out.lower()
        ids = {el.get("id") for el in root.iter() if el.get("id")}
        for ref in re.findall(r"url\(([^)]*)\)", out):
            assert ref.startswith("#pm-") and ref[1:] in ids  # only our own marker
        for el in root.iter():
            assert not [a for a in el.attrib if a.lower().startswith("on")]
            assert "style" not in el.attrib
        all_text = " ".join(el.text or "" for el in root.iter())
        assert "<script>alert(1)</script>" in all_text  # shown, as text
        assert_text_clean(out)


def test_ids_are_prefixed_and_the_prefix_is_checked():
    a, b = hostile_svgs("one"), hostile_svgs("two")
    ids_a = {el.get("id") for s in a for el in parse(s).iter() if el.get("id")}
    ids_b = {el.get("id") for s in b for el in parse(s).iter() if el.get("id")}
    assert ids_a and not ids_a & ids_b
    root = parse(a[0])
    assert root.get("role") == "img"
    for ref in root.get("aria-labelledby").split():
        assert any(el.get("id") == ref for el in root)
    with pytest.raises(ValueError):
        cascade_svg(chain(2), title="t", desc="d", id_prefix='x"><script>')


def test_output_is_deterministic():
    assert cascade_svg(branching(30), title="t", desc="d") == cascade_svg(
        branching(30), title="t", desc="d"
    )
    assert timeline_svg(five_days(), title="t", desc="d") == timeline_svg(
        five_days(), title="t", desc="d"
    )
    assert cascade_mermaid(branching(30)) == cascade_mermaid(branching(30))
    numbers = re.findall(r'="(-?\d+\.\d+)"', timeline_svg(five_days(), title="t", desc="d"))
    assert numbers and all(len(n.split(".")[1]) <= 2 for n in numbers)


def test_palette_text_contrast_meets_wcag_aa_in_both_modes():
    for colours in (palette.LIGHT, palette.DARK):
        for fg, backgrounds in palette.TEXT_ON.items():
            for bg in backgrounds:
                assert palette.contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)
        marks = ("impact", "service", "edge", "axis", "event", "node_stroke", "condition_stroke")
        for mark in marks:
            assert palette.contrast(colours[mark], colours["bg"]) >= 3, mark
    css = palette.style_sheet(frozenset(palette.WHERE_USED))
    assert css.startswith("@media (prefers-color-scheme: dark)")
    assert all(f".pm-diagram .{cls}" in css for cls in palette.CLASSES)


# --- mermaid -------------------------------------------------------------------------------

# Inside the quotes: no quote, angle bracket, newline, backtick, pipe, bracket, brace,
# parenthesis, colon, semicolon, ampersand or hash, except in an entity code like #34;.
NODE_LINE = re.compile(r'    n(\d+)\["((?:[^"<>\n`|\[\]{}();:#&]|#\d+;)*)"\]')
EDGE_LINE = re.compile(r"    n(\d+) --> n(\d+)")


def hostile_cascade() -> Cascade:
    nodes = [trigger(NASTY[0])] + [node(f"id {s}", s, s, s) for s in NASTY]
    return Cascade(tuple(nodes), tuple(("trigger", x.id) for x in nodes[1:]))


def test_mermaid_output_follows_the_strict_grammar():
    c = hostile_cascade()
    lines = cascade_mermaid(c).splitlines()
    assert lines[0] == "flowchart TD"
    ids = []
    for line in lines[1:]:
        if m := NODE_LINE.fullmatch(line):
            ids.append(int(m.group(1)))
        else:
            m = EDGE_LINE.fullmatch(line)
            assert m, line
            assert int(m.group(1)) < len(c.nodes) and int(m.group(2)) < len(c.nodes)
    assert ids == list(range(len(c.nodes)))
    assert len(lines) == 1 + len(c.nodes) + len(c.edges)


def expected_label(n: Node) -> str:
    """What the reader should see: heading — time — gist, as plain one-line text."""
    return " — ".join(clean(p) for p in (n.heading, n.time or "", n.gist) if clean(p))


def same_label(shown: str, n: Node) -> bool:
    expected = expected_label(n)
    if shown.endswith("…"):  # long labels are cut
        return expected.startswith(shown[:-1].rstrip())
    return shown == expected


def test_mermaid_labels_decode_back_to_the_text():
    c = hostile_cascade()
    for n, line in zip(c.nodes, cascade_mermaid(c).splitlines()[1:], strict=False):
        label = NODE_LINE.fullmatch(line).group(2)
        assert same_label(html.unescape(re.sub(r"#(\d+);", r"&#\1;", label)), n)


MERMAID_JS = r"""
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const dir = process.argv[2];
const require = createRequire(dir + '/');
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window; globalThis.document = dom.window.document;
const entry = pathToFileURL(dir + '/node_modules/mermaid/dist/mermaid.core.mjs').href;
const { default: mermaid } = await import(entry);
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
let input = '';
for await (const chunk of process.stdin) input += chunk;
await mermaid.parse(input);
const db = (await mermaid.mermaidAPI.getDiagramFromText(input)).db;
const nodes = {};
for (const [id, v] of db.getVertices()) nodes[id] = v.text;
console.log(JSON.stringify({ nodes, edges: db.getEdges().map((e) => [e.start, e.end]) }));
"""


# Mermaid 11 and jsdom (both run on Node 18), pinned in tests/mermaid/package-lock.json;
# `make test` runs npm ci.
MERMAID_DIR = Path(__file__).parent / "mermaid"


@pytest.mark.node
def test_mermaid_parser_reads_back_exactly_our_nodes_and_edges(tmp_path: Path):
    assert (MERMAID_DIR / "node_modules" / "mermaid").is_dir(), "run `make test` (npm ci)"
    c = hostile_cascade()
    script = tmp_path / "parse.mjs"
    script.write_text(MERMAID_JS)
    run = subprocess.run(
        ["node", str(script), str(MERMAID_DIR)],
        input=cascade_mermaid(c),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    parsed = json.loads(run.stdout.strip().splitlines()[-1])
    assert sorted(parsed["nodes"]) == sorted(f"n{i}" for i in range(len(c.nodes)))
    assert sorted(map(tuple, parsed["edges"])) == sorted(
        ("n0", f"n{i}") for i in range(1, len(c.nodes))
    )
    for i, n in enumerate(c.nodes):
        # Mermaid's own entity round trip (its renderer turns these back into characters).
        shown = parsed["nodes"][f"n{i}"]
        assert "<" not in shown and '"' not in shown
        shown = shown.replace("ﬂ°°", "&#").replace("ﬂ°", "&").replace("¶ß", ";")
        assert same_label(html.unescape(shown), n)


# --- Fast paths give what the plain definitions give --------------------------------------

_LABEL_CHARS = [*"ab Z9.-_:;#&<>\"'`|[](){}", "\t", "\n", "\r", "\x00", "\x0b", "\x1f", "\x7f"]
_LABEL_CHARS += ["\u00a0", "\u2003", "\u2028", "\ufffe", "é", "日", "—", "\u200b", "😀"]


def _random_labels(count: int) -> list[str]:
    rng = random.Random(1207)
    return ["".join(rng.choices(_LABEL_CHARS, k=rng.randrange(0, 12))) for _ in range(count)]


def test_clean_is_its_definition() -> None:
    """Labels with nothing to clean skip the substitutions; the result is the same."""
    from postmortem.diagrams.text import _NOT_XML, _SPACES

    for text in [*_random_labels(5000), "Plain label", " lead", "trail ", "two  spaces"]:
        assert clean(text) == _SPACES.sub(" ", _NOT_XML.sub("", text)).strip(), repr(text)


def test_mermaid_labels_escape_every_unsafe_character() -> None:
    from postmortem.diagrams.mermaid import _escape_char, label

    for text in _random_labels(3000):
        node = Node(id="n", heading=text, time=None, gist="", kind="step")
        assert label(node) == "".join(_escape_char(ch) for ch in clean(text)), repr(text)


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("America/New_York", "2021-03-13T20:00:00+00:00"),  # spring forward
        ("America/New_York", "2021-11-06T20:00:00+00:00"),  # fall back: 01:xx twice
        ("Australia/Lord_Howe", "2021-04-03T10:00:00+00:00"),  # a 30-minute change
        ("Asia/Kolkata", "2021-12-07T00:00:00+00:00"),  # +05:30 all year
        ("Pacific/Apia", "2011-12-29T00:00:00+00:00"),  # a skipped day
        ("UTC", "2021-12-07T00:00:00+00:00"),
    ],
)
@pytest.mark.parametrize("step", [5 * 60, 15 * 60, 3600, 3 * 3600])
def test_tick_instants_are_the_wall_clock_multiples(zone: str, start: str, step: int) -> None:
    """Every instant of the window, minute by minute, whose local time is a multiple of
    `step` is a tick, and nothing else is (both 01:30s of a fall-back night, none in a gap)."""
    from postmortem.diagrams.axis import _instants

    tz = ZoneInfo(zone)
    first = datetime.fromisoformat(start).astimezone(UTC)
    last = first + timedelta(hours=30)
    expected = []
    instant = first
    while instant <= last:
        local = instant.astimezone(tz)
        if (local.hour * 3600 + local.minute * 60) % step == 0:
            expected.append(instant)
        instant += timedelta(minutes=1)
    assert _instants(first, last, tz, step) == expected


def test_other_whitespace_is_every_space_python_knows_but_space_and_newline() -> None:
    import sys

    from postmortem.diagrams.text import OTHER_WHITESPACE

    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(OTHER_WHITESPACE) == every - {" ", "\n"}
    assert all(re.fullmatch(r"\s", ch) for ch in every)
