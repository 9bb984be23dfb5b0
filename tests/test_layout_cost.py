"""The cascade layout's work is bounded by the graph's size; `check` bounds the graph.

No timing here: the layout counts its elementary steps (`Layered.work`), and these tests
bound that count by the size of the graph it was given.
"""

from __future__ import annotations

import importlib.util
import math
import random
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem.diagrams import Cascade, Node, cascade_svg, layout
from postmortem.scalars import MAX_CAUSES, MAX_STEPS

from conftest import ROOT, run_cli

# Work per vertex and edge of the input graph (sorts are counted by their length, so a log
# factor hides in here). Measured: 6,093 for the worst record `check` accepts, 130 for
# the 200-step dense cascade, at most 2,419 for random graphs of more than 40 layers.
WORK_PER_ITEM = 8_000
# The exact crossing search runs only on graphs of at most 40 layers of at most 8: each of
# its steps costs at most ~720 (an 8 x 8 table of pairs of up to 8 neighbours).
EXACT_WORK = 800 * layout.EXACT_BUDGET


def _growth_module() -> ModuleType:
    """benchmarks/layout_growth.py, which lives outside the package."""
    path = ROOT / "benchmarks" / "layout_growth.py"
    spec = importlib.util.spec_from_file_location("benchmarks_layout_growth", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


growth = _growth_module()


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    """DAGs shaped like cascades: chains, fans, dense blocks and edges spanning many layers."""
    n = draw(st.integers(2, 160))
    reach = draw(st.sampled_from([1, 2, 8, 1_000]))  # how far back a cause may be
    most = draw(st.sampled_from([1, 2, 5, 1_000]))  # causes per node at most
    seed = draw(st.integers(0, 2**32 - 1))
    rnd = random.Random(seed)
    edges = []
    for v in range(1, n):
        earlier = range(max(0, v - reach), v)
        k = rnd.randint(1, min(most, len(earlier)))
        edges += [(u, v) for u in sorted(rnd.sample(earlier, k))]
    return n, edges


def _check_drawing(n: int, edges: list[tuple[int, int]], lay: layout.Layered) -> None:
    """Every edge is drawn: down through adjacent layers, or round the side in a lane."""
    assert len(lay.chains) == len(edges)
    for k, (chain, (u, v)) in enumerate(zip(lay.chains, edges, strict=True)):
        assert (chain[0], chain[-1]) == (u, v)
        assert lay.layer_of[u] < lay.layer_of[v]
        if k in lay.side:
            assert chain == [u, v]
        else:
            assert [lay.layer_of[w] for w in chain] == list(
                range(lay.layer_of[u], lay.layer_of[v] + 1)
            )
            assert all(w >= n for w in chain[1:-1])
    dummies = len(lay.layer_of) - n
    assert dummies <= layout.dummy_budget(n)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(dags())
def test_layout_work_is_linear_in_the_graph(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    lay = layout.layout(n, edges, [200.0] * n, dummy_width=10.0, gap=28.0)
    _check_drawing(n, edges, lay)
    bound = WORK_PER_ITEM * (n + len(edges))
    if len(lay.layers) <= layout.EXACT_MAX_LAYERS:
        bound += EXACT_WORK
    assert lay.work <= bound


def test_dense_cascade_work_stays_linear() -> None:
    # The finding: each step caused by every earlier one (20,100 edges at 200 steps).
    works = []
    for steps in (25, 50, 100, 200):
        n, edges = growth.graph("dense", steps)
        lay = layout.layout(n, edges, [200.0] * n, dummy_width=10.0, gap=28.0)
        _check_drawing(n, edges, lay)
        works.append(lay.work / (n + len(edges)))
    assert max(works) <= WORK_PER_ITEM
    # Per item, the work does not grow with the graph (it did as the cube: 15.6 M pair
    # comparisons at 50 steps).
    assert works[-1] <= 2 * works[1]


def _cascade(shape: str, steps: int) -> Cascade:
    nodes = [Node(id="trigger", heading="Trigger", time=None, gist="A change.", kind="trigger")]
    nodes += [
        Node(id=f"s{i}", heading=f"Step {i}", time=None, gist="It failed.", kind="step")
        for i in range(steps)
    ]
    edges = [(c, f"s{i}") for i, cs in enumerate(growth.causes(shape, steps)) for c in cs]
    return Cascade(tuple(nodes), tuple(edges))


@pytest.mark.parametrize(("shape", "steps"), [("worst", 200), ("dense", 40)])
def test_edges_round_the_side_join_their_boxes_inside_the_picture(shape: str, steps: int) -> None:
    c = _cascade(shape, steps)
    # The layout as drawn when nothing limits its width (the page's layout: test_legible.py).
    root = ET.fromstring(cascade_svg(c, title="t", desc="d", width=math.inf))
    ns = "{http://www.w3.org/2000/svg}"
    width, height = (float(root.get(k)) for k in ("width", "height"))
    boxes = {}
    for g in root.iter(f"{ns}g"):
        if g.get("data-node"):
            r = g.find(f"{ns}rect")
            x, y = float(r.get("x")), float(r.get("y"))
            boxes[g.get("data-node")] = (
                x,
                y,
                x + float(r.get("width")),
                y + float(r.get("height")),
            )
    paths = [p for p in root.iter(f"{ns}path") if p.get("data-edge")]
    assert len(paths) == len(c.edges)
    lanes = 0
    for p in paths:
        cause, effect = p.get("data-edge").split()
        numbers = [float(v) for v in re.findall(r"-?[0-9.]+", p.get("d"))]
        (x1, y1), (x2, y2) = numbers[:2], numbers[-2:]
        assert boxes[cause][0] <= x1 <= boxes[cause][2] and y1 == boxes[cause][3]
        assert boxes[effect][0] <= x2 <= boxes[effect][2] and y2 == boxes[effect][1]
        assert all(0 <= x <= width for x in numbers[0::2])
        assert all(0 <= y <= height for y in numbers[1::2])
        lanes += "C" not in p.get("d") and max(numbers[0::2]) > max(b[2] for b in boxes.values())
    assert lanes > 0  # these shapes do send edges round the side


def test_small_graphs_route_every_edge_through_the_layers() -> None:
    # Side lanes are only for graphs past the dummy budget: the examples never get one.
    for n, edges in [growth.graph("sparse", 25), growth.graph("dense", 12)]:
        lay = layout.layout(n, edges, [200.0] * n, dummy_width=10.0, gap=28.0)
        assert lay.side == {}


def _record(counts: list[int | None]) -> tuple[str, list[int], list[int]]:
    """A record whose step i names the last counts[i] of its possible causes (None: no key).

    Also: the line of each step's first line and of each `caused_by` entry, in order.
    """
    lines = growth.record("sparse", len(counts)).splitlines()
    out: list[str] = []
    step_lines: list[int] = []
    entry_lines: list[int] = []
    step = -1
    for line in lines:
        if line.startswith("  - id: s"):
            step += 1
            step_lines.append(len(out) + 1)
        if line.startswith("    caused_by:"):
            count = counts[step]
            if count is None:
                continue
            out.append("    caused_by:")
            for name in ["trigger", *(f"s{j}" for j in range(step))][-count:]:
                out.append(f"      - {name}")
                entry_lines.append(len(out))
            continue
        out.append(line)
    return "\n".join(out) + "\n", step_lines, entry_lines


def _where_the_limit_is_crossed(counts: list[int | None], record: tuple) -> int:
    """The line `check` must name: the entry (or the step, for an implied link) past the limit."""
    _, step_lines, entry_lines = record
    total = 0
    entries = iter(entry_lines)
    for i, count in enumerate(counts):
        for _ in range(1 if count is None else count):
            line = step_lines[i] if count is None else next(entries)
            total += 1
            if total > MAX_CAUSES:
                return line
    raise AssertionError("the record must pass the limit")


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), st.integers(1, 12)), max_size=120))
def test_check_refuses_too_many_cause_links_where_the_limit_is_crossed(
    start: list[int | None],
) -> None:
    # A step can name the trigger and every step before it, no more; then steps of 12
    # links until the record has one link too many, or more.
    counts = [None if c is None else min(c, i + 1) for i, c in enumerate(start)]
    while sum(1 if c is None else c for c in counts) <= MAX_CAUSES:
        counts.append(min(12, len(counts) + 1))
    assert len(counts) <= MAX_STEPS
    record = _record(counts)
    expected = _where_the_limit_is_crossed(counts, record)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "over.yaml")
        path.write_text(record[0], encoding="utf-8")
        result = run_cli("check", str(path))
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stdout
    pattern = rf"{re.escape(str(path))}:(\d+):\d+: error: (.*) \[limit-items\]"
    match = re.fullmatch(pattern, errors[0])
    assert match, errors[0]
    assert int(match[1]) == expected, errors[0]
    assert f"the limit is {MAX_CAUSES:,}" in match[2]


def test_dense_200_step_cascade_is_refused_by_check(tmp_path: Path) -> None:
    path = tmp_path / "dense.yaml"
    path.write_text(growth.record("dense", 200), encoding="utf-8")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert result.stdout.count("[limit-items]") == 1


def test_the_worst_accepted_record_renders_in_every_format(tmp_path: Path) -> None:
    text = growth.record("worst", MAX_STEPS)
    assert sum(len(cs) for cs in growth.causes("worst", MAX_STEPS)) == MAX_CAUSES
    path = tmp_path / "worst.yaml"
    path.write_text(text, encoding="utf-8")
    assert run_cli("check", str(path)).exit_code == 0
    out = tmp_path / "out"
    result = run_cli("render", str(path), "-o", str(out), "-f", "md,html,pdf")
    assert result.exit_code == 0, result.stderr
    html = (out / "worst-200.html").read_text(encoding="utf-8")
    assert html.count("data-edge=") == MAX_CAUSES
    assert "Component number 199" in (out / "worst-200.md").read_text(encoding="utf-8")
    assert (out / "worst-200.pdf").read_bytes().startswith(b"%PDF-")
