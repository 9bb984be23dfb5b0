"""Layered (Sugiyama-style) drawing of a DAG: layers, dummy vertices, crossing reduction, x.

Vertices 0..n-1 are the graph's nodes; vertices n.. are dummies that carry an edge through
each layer it skips, so every edge of the "proper" graph joins adjacent layers.

Every pass is linear in the proper graph (up to a sort), runs a bounded number of times,
and the proper graph is at most `dummy_budget` larger than the input: the work, counted
in `Layered.work`, is O((V + E) log) whatever the shape (tests/test_layout_cost.py).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise

from postmortem.diagrams.order import (  # noqa: F401 (count_crossings, EXACT_*: part of the API)
    EXACT_BUDGET,
    EXACT_MAX_LAYER,
    EXACT_MAX_LAYERS,
    Tally,
    count_crossings,
    reduce_crossings,
)

# Dummy vertices per node, beyond a floor that small graphs never reach: an edge spanning
# k layers needs k - 1 dummies, so E edges across the drawing could need E * V of them.
# Past the budget the longest edges go round the side in lanes instead (`Layered.side`).
DUMMIES_PER_NODE = 8
DUMMY_FLOOR = 400


@dataclass
class Layered:
    """A layered drawing: which layer, in what order, at what x centre."""

    layer_of: list[int]  # per vertex (nodes then dummies)
    layers: list[list[int]]  # vertices per layer, left to right
    chains: list[list[int]]  # per edge: [cause, dummies..., effect]
    x: list[float]  # centre of every vertex
    crossings: int
    # Edges (by index) drawn round the side, without dummies: the lane of each, 0 innermost.
    # Lanes are per cause (an edge shares its cause's lane) and reused down the drawing.
    side: dict[int, int] = field(default_factory=dict)
    work: int = 0  # elementary steps taken: what tests bound by the graph's size


def dummy_budget(n: int) -> int:
    """The most dummy vertices a graph of n nodes is given."""
    return DUMMY_FLOOR + DUMMIES_PER_NODE * n


def layout(
    n: int,
    edges: list[tuple[int, int]],
    widths: list[float],
    *,
    dummy_width: float,
    gap: float,
    per_layer: int | None = None,
    max_width: float | None = None,
) -> Layered:
    """Lay out nodes 0..n-1 (with `widths`) and edges (cause, effect); ValueError on a cycle.

    `per_layer` boxes side by side at most (default MAX_PER_LAYER). With `max_width`, no
    vertex reaches past it: an edge whose dummies would not fit beside a layer's boxes goes
    round the side instead (so `max_width` must hold `per_layer` of the widest box).
    """
    tally = Tally()
    layer_of = _longest_path_layers(n, edges, tally, per_layer or MAX_PER_LAYER)
    room = None
    if max_width is not None:
        room = _dummy_room(n, layer_of, widths, max_width, dummy_width, gap, tally)
    side = _side_edges(edges, layer_of, dummy_budget(n), tally, room)
    chains: list[list[int]] = []
    for k, (u, v) in enumerate(edges):
        chain = [u]
        for layer in range(layer_of[u] + 1, layer_of[v]) if k not in side else ():
            chain.append(len(layer_of))
            layer_of.append(layer)
        chains.append([*chain, v])
    size = len(layer_of)
    tally.steps += size + len(edges)
    pred: list[list[int]] = [[] for _ in range(size)]
    succ: list[list[int]] = [[] for _ in range(size)]
    for k, chain in enumerate(chains):
        if k in side:
            continue
        for a, b in pairwise(chain):
            succ[a].append(b)
            pred[b].append(a)
    layers = _initial_order(n, layer_of, succ)
    layers, crossings = reduce_crossings(layers, pred, succ, tally)
    vertex_width = [*widths, *[dummy_width] * (size - n)]
    x = _assign_x(layers, pred, succ, vertex_width, n, gap, tally, max_width)
    lanes = _lanes(edges, layer_of, side, tally)
    return Layered(layer_of, layers, chains, x, crossings, lanes, tally.steps)


def widest_layer(n: int, edges: list[tuple[int, int]]) -> int:
    """The most boxes side by side in the layout `layout` makes (linear; ValueError on a cycle)."""
    counts: dict[int, int] = {}
    for layer in _longest_path_layers(n, edges, Tally()):
        counts[layer] = counts.get(layer, 0) + 1
    return max(counts.values(), default=0)


def _dummy_room(
    n: int,
    layer_of: list[int],
    widths: list[float],
    max_width: float,
    dummy_width: float,
    gap: float,
    tally: Tally,
) -> list[int]:
    """How many dummies fit beside each layer's boxes within `max_width`."""
    used: dict[int, float] = {}
    for v in range(n):
        # Boxes side by side: their widths and a gap between each two.
        used[layer_of[v]] = used.get(layer_of[v], -gap) + widths[v] + gap
    layers = max(layer_of, default=-1) + 1
    tally.steps += n + layers
    # A dummy costs its width and at most one full gap (half a gap beside another dummy).
    each = dummy_width + gap
    return [max(0, int((max_width - used.get(i, 0.0)) // each)) for i in range(layers)]


def _side_edges(
    edges: list[tuple[int, int]],
    layer_of: list[int],
    budget: int,
    tally: Tally,
    room: list[int] | None = None,
) -> set[int]:
    """Edges left without dummies: the longest, once the shorter ones used up the budget.

    With `room` (dummies that fit per layer) an edge also goes round the side when a layer
    it passes is full: the drawing then never grows wider than the boxes allow.
    """
    spans = [layer_of[v] - layer_of[u] - 1 for u, v in edges]
    if sum(spans) <= budget and room is None:
        return set()
    tally.steps += len(edges)
    side = set()
    for k in sorted(range(len(edges)), key=lambda k: (spans[k], k)):
        if spans[k] > budget:
            side.add(k)
            continue
        if room is not None:
            passed = range(layer_of[edges[k][0]] + 1, layer_of[edges[k][1]])
            # Each accepted edge's layers are counted once here and once below: the work
            # stays within twice the dummy budget, plus one failed look per edge.
            full = next((i for i in passed if room[i] <= 0), None)
            tally.steps += 1 + (len(passed) if full is None else full - passed.start)
            if full is not None:
                side.add(k)
                continue
            for i in passed:
                room[i] -= 1
        budget -= spans[k]
    return side


def _lanes(
    edges: list[tuple[int, int]], layer_of: list[int], side: set[int], tally: Tally
) -> dict[int, int]:
    """A lane per side edge: one per cause, reused once the lane's last edge has ended."""
    ends: dict[int, int] = {}  # cause -> deepest layer its side edges reach
    for k in side:
        u, v = edges[k]
        ends[u] = max(ends.get(u, 0), layer_of[v])
    busy: list[tuple[int, int]] = []  # (last layer, lane)
    free: list[int] = []
    lane_of: dict[int, int] = {}
    opened = 0
    for u in sorted(ends, key=lambda u: (layer_of[u], u)):
        tally.steps += 1
        # A lane is free again below the layer where its last edge ended.
        while busy and busy[0][0] <= layer_of[u]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane, opened = opened, opened + 1
        lane_of[u] = lane
        heapq.heappush(busy, (ends[u], lane))
    return {k: lane_of[edges[k][0]] for k in sorted(side)}


# At most this many boxes side by side: a wider layer continues on the next row, so a
# cascade that fans out to a dozen parts stays legible at page width (PDF, phone). A node
# only ever moves down, so it stays below everything that caused it.
MAX_PER_LAYER = 3


def _longest_path_layers(
    n: int, edges: list[tuple[int, int]], tally: Tally, per_layer: int = MAX_PER_LAYER
) -> list[int]:
    """Layer = longest path from a source (Kahn's order, stable by index), `per_layer` wide."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for u, v in edges:
        succ[u].append(v)
        indegree[v] += 1
    layer = [0] * n
    used: dict[int, int] = {}
    # The first layer at or below a layer that still has room (path-halving pointers), so
    # that a node never walks down a long run of full layers one by one.
    room: dict[int, int] = {}

    def first_free(at: int) -> int:
        while room.get(at, at) != at:
            room[at] = room.get(room[at], room[at])
            at = room[at]
            tally.steps += 1
        return at

    ready = deque(v for v in range(n) if indegree[v] == 0)
    done = 0
    while ready:
        u = ready.popleft()
        done += 1
        layer[u] = first_free(layer[u])
        used[layer[u]] = used.get(layer[u], 0) + 1
        if used[layer[u]] >= per_layer:
            room[layer[u]] = layer[u] + 1
        tally.steps += 1 + len(succ[u])
        for v in succ[u]:
            layer[v] = max(layer[v], layer[u] + 1)
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    if done != n:
        raise ValueError("the cascade has a cycle")
    return layer


def _initial_order(n: int, layer_of: list[int], succ: list[list[int]]) -> list[list[int]]:
    """Depth-first order from the nodes in input order: trees come out without crossings."""
    layers: list[list[int]] = [[] for _ in range(max(layer_of, default=-1) + 1)]
    seen = [False] * len(layer_of)
    for start in range(n):
        stack = [start]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            layers[layer_of[v]].append(v)
            stack.extend(reversed(succ[v]))
    return layers


def _fit_row(
    desired: list[float], weights: list[float], seps: list[float], lo: float, hi: float
) -> list[float]:
    """Least-squares x closest to `desired` keeping x[i+1] - x[i] >= seps[i] (pool adjacent).

    The first x stays at or right of `lo` and the last at or left of `hi` (when the row
    fits between them): clamping the pooled values solves the bounded problem too.
    """
    offsets = [0.0]
    for sep in seps:
        offsets.append(offsets[-1] + sep)
    blocks: list[list[float]] = []  # [weight, weighted sum, count]
    for d, w, o in zip(desired, weights, offsets, strict=True):
        blocks.append([w, w * (d - o), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, c2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += c2
    fitted: list[float] = []
    top = max(lo, hi - offsets[-1])
    for w, s, c in blocks:
        fitted.extend([min(top, max(lo, s / w))] * int(c))
    return [f + o for f, o in zip(fitted, offsets, strict=True)]


def _assign_x(
    layers: list[list[int]],
    pred: list[list[int]],
    succ: list[list[int]],
    width: list[float],
    n: int,
    gap: float,
    tally: Tally,
    max_width: float | None = None,
) -> list[float]:
    """Centre each vertex over its neighbours, layer by layer, down and up, without overlaps."""
    x = [0.0] * len(width)
    inf = float("inf")

    def seps(layer: list[int]) -> list[float]:
        return [
            (width[a] + width[b]) / 2 + (gap if a < n or b < n else gap / 2)
            for a, b in pairwise(layer)
        ]

    def fit(layer: list[int], nbrs: list[list[int]]) -> None:
        tally.steps += 2 * len(layer) + sum(len(nbrs[v]) for v in layer)
        desired = [sum(x[u] for u in nbrs[v]) / len(nbrs[v]) if nbrs[v] else x[v] for v in layer]
        # Dummies weigh more: long edges stay straight, boxes move instead.
        weights = [1.0 if v < n else 4.0 for v in layer]
        if max_width is None:
            lo, hi = -inf, inf
        else:
            lo, hi = width[layer[0]] / 2, max_width - width[layer[-1]] / 2
        for v, value in zip(layer, _fit_row(desired, weights, seps(layer), lo, hi), strict=True):
            x[v] = value

    alone: list[list[int]] = [[] for _ in width]
    for layer in layers:
        fit(layer, alone)
    both = [p + s for p, s in zip(pred, succ, strict=True)]
    for _ in range(6):
        before = x[:]
        for layer in layers[1:]:
            fit(layer, pred)
        for layer in reversed(layers[:-1]):
            fit(layer, succ)
        if x == before:
            break  # a round that moves nothing: every further round would be the same
    for layer in layers:
        fit(layer, both)
    left = min((x[v] - width[v] / 2 for layer in layers for v in layer), default=0.0)
    return [value - left for value in x]
