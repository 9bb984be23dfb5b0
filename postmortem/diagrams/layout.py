"""Layered (Sugiyama-style) drawing of a DAG: layers, dummy vertices, crossing reduction, x.

Vertices 0..n-1 are the graph's nodes; vertices n.. are dummies that carry an edge through
each layer it skips, so every edge of the "proper" graph joins adjacent layers.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from itertools import pairwise

# Exact crossing minimisation runs when no layer is wider than this (8! orders per layer)...
EXACT_MAX_LAYER = 8
# ...and gives up, keeping the heuristic's best, after this many search steps.
EXACT_BUDGET = 30_000
# The search recurses about once per vertex: keep it far from Python's recursion limit.
EXACT_MAX_LAYERS = 40
_SWEEPS = 12


@dataclass
class Layered:
    """A layered drawing: which layer, in what order, at what x centre."""

    layer_of: list[int]  # per vertex (nodes then dummies)
    layers: list[list[int]]  # vertices per layer, left to right
    chains: list[list[int]]  # per edge: [cause, dummies..., effect]
    x: list[float]  # centre of every vertex
    crossings: int


class _OutOfBudget(Exception):
    pass


def layout(
    n: int, edges: list[tuple[int, int]], widths: list[float], *, dummy_width: float, gap: float
) -> Layered:
    """Lay out nodes 0..n-1 (with `widths`) and edges (cause, effect); ValueError on a cycle."""
    layer_of = _longest_path_layers(n, edges)
    chains: list[list[int]] = []
    for u, v in edges:
        chain = [u]
        for layer in range(layer_of[u] + 1, layer_of[v]):
            chain.append(len(layer_of))
            layer_of.append(layer)
        chains.append([*chain, v])
    size = len(layer_of)
    pred: list[list[int]] = [[] for _ in range(size)]
    succ: list[list[int]] = [[] for _ in range(size)]
    for chain in chains:
        for a, b in pairwise(chain):
            succ[a].append(b)
            pred[b].append(a)
    layers = _initial_order(n, layer_of, succ)
    layers, crossings = _reduce_crossings(layers, pred, succ)
    vertex_width = [*widths, *[dummy_width] * (size - n)]
    x = _assign_x(layers, pred, succ, vertex_width, n, gap)
    return Layered(layer_of, layers, chains, x, crossings)


# At most this many boxes side by side: a wider layer continues on the next row, so a
# cascade that fans out to a dozen parts stays legible at page width (PDF, phone). A node
# only ever moves down, so it stays below everything that caused it.
MAX_PER_LAYER = 3


def _longest_path_layers(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Layer = longest path from a source (Kahn's order, stable by index), MAX_PER_LAYER wide."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for u, v in edges:
        succ[u].append(v)
        indegree[v] += 1
    layer = [0] * n
    used: dict[int, int] = {}
    ready = [v for v in range(n) if indegree[v] == 0]
    done = 0
    while ready:
        u = ready.pop(0)
        done += 1
        while used.get(layer[u], 0) >= MAX_PER_LAYER:
            layer[u] += 1
        used[layer[u]] = used.get(layer[u], 0) + 1
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


def count_crossings(layers: list[list[int]], pred: list[list[int]]) -> int:
    """Edge crossings between all pairs of adjacent layers."""
    total = 0
    for upper, lower in pairwise(layers):
        pos = {v: i for i, v in enumerate(upper)}
        ends = sorted((pos[u], j) for j, v in enumerate(lower) for u in pred[v])
        # Count pairs out of order in the lower layer with a Fenwick tree.
        tree = [0] * (len(lower) + 1)
        for seen, (_, j) in enumerate(ends):
            i, not_greater = j + 1, 0
            while i:
                not_greater += tree[i]
                i -= i & -i
            total += seen - not_greater
            i = j + 1
            while i <= len(lower):
                tree[i] += 1
                i += i & -i
    return total


def _pair(a: int, b: int, pos: dict[int, int], nbrs: list[list[int]]) -> int:
    """Crossings between the edges of a and b (to one neighbour layer) when a is left of b."""
    return sum(1 for pa in nbrs[a] for pb in nbrs[b] if pos[pa] > pos[pb])


def _reduce_crossings(
    layers: list[list[int]], pred: list[list[int]], succ: list[list[int]]
) -> tuple[list[list[int]], int]:
    """Barycentre sweeps with adjacent swaps; then an exact search when the layers are small."""
    best = [list(layer) for layer in layers]
    best_count = count_crossings(best, pred)
    current = [list(layer) for layer in layers]
    for _ in range(_SWEEPS):
        if best_count == 0:
            break
        for i in range(1, len(current)):
            current[i] = _barycentre(current[i], current[i - 1], pred)
        _transpose(current, pred, succ)
        for i in range(len(current) - 2, -1, -1):
            current[i] = _barycentre(current[i], current[i + 1], succ)
        _transpose(current, pred, succ)
        count = count_crossings(current, pred)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    small = len(best) <= EXACT_MAX_LAYERS and max(map(len, best), default=0) <= EXACT_MAX_LAYER
    if best_count and small:
        best, best_count = _exact(best, pred, succ, best_count)
    return best, best_count


def _barycentre(layer: list[int], ref: list[int], nbrs: list[list[int]]) -> list[int]:
    """Order `layer` by the mean position of each vertex's neighbours in `ref`."""
    pos = {v: i for i, v in enumerate(ref)}
    scale = len(ref) / max(len(layer), 1)

    def key(item: tuple[int, int]) -> tuple[float, int]:
        i, v = item
        # A vertex without neighbours there keeps its relative place.
        if not nbrs[v]:
            return (i * scale, i)
        return (sum(pos[u] for u in nbrs[v]) / len(nbrs[v]), i)

    return [v for _, v in sorted(enumerate(layer), key=key)]


def _transpose(layers: list[list[int]], pred: list[list[int]], succ: list[list[int]]) -> None:
    """Swap neighbours in a layer while that removes crossings (with both adjacent layers)."""
    improved = True
    rounds = 0
    while improved and rounds < 8:
        improved, rounds = False, rounds + 1
        for i, layer in enumerate(layers):
            above = {v: p for p, v in enumerate(layers[i - 1])} if i else {}
            below = {v: p for p, v in enumerate(layers[i + 1])} if i + 1 < len(layers) else {}
            for j in range(len(layer) - 1):
                a, b = layer[j], layer[j + 1]
                now = _pair(a, b, above, pred) + _pair(a, b, below, succ)
                swapped = _pair(b, a, above, pred) + _pair(b, a, below, succ)
                if swapped < now:
                    layer[j], layer[j + 1] = b, a
                    improved = True


def _exact(
    start: list[list[int]], pred: list[list[int]], succ: list[list[int]], start_count: int
) -> tuple[list[list[int]], int]:
    """Branch and bound over all layer orders, top down; within budget it finds the minimum."""
    best: list = [start_count, start]
    chosen: list[list[int]] = []
    steps = 0

    def place_layer(i: int, cost: int) -> None:
        if i == len(start):
            best[0], best[1] = cost, [list(layer) for layer in chosen]
            return
        nodes = start[i]
        m = len(nodes)
        pos = {v: p for p, v in enumerate(chosen[-1])} if i else {}
        cross = [[_pair(a, b, pos, pred) if i else 0 for b in nodes] for a in nodes]
        low = [[min(cross[a][b], cross[b][a]) for b in range(m)] for a in range(m)]
        # Twins (same causes, same effects) are interchangeable: try them in one order only.
        keys = [(sorted(pred[v]), sorted(succ[v])) for v in nodes]
        twin = [next((b for b in range(a - 1, -1, -1) if keys[b] == keys[a]), -1) for a in range(m)]
        used = [False] * m
        prefix: list[int] = []

        def place(cost: int, fixed: int, rest_low: int) -> None:
            # fixed: crossings of placed nodes with the rest; rest_low: least among the rest.
            nonlocal steps
            steps += 1
            if steps > EXACT_BUDGET:
                raise _OutOfBudget
            if cost + fixed + rest_low >= best[0]:
                return
            if len(prefix) == m:
                chosen.append([nodes[a] for a in prefix])
                place_layer(i + 1, cost)
                chosen.pop()
                return
            for a in range(m):
                if used[a] or (twin[a] >= 0 and not used[twin[a]]):
                    continue
                added = sum(cross[w][a] for w in prefix)
                rest = [r for r in range(m) if not used[r] and r != a]
                used[a] = True
                prefix.append(a)
                place(
                    cost + added,
                    fixed - added + sum(cross[a][r] for r in rest),
                    rest_low - sum(low[a][r] for r in rest),
                )
                prefix.pop()
                used[a] = False

        place(cost, 0, sum(low[a][b] for a in range(m) for b in range(a + 1, m)))

    with contextlib.suppress(_OutOfBudget):
        place_layer(0, 0)
    return best[1], best[0]


def _fit_row(desired: list[float], weights: list[float], seps: list[float]) -> list[float]:
    """Least-squares x closest to `desired` keeping x[i+1] - x[i] >= seps[i] (pool adjacent)."""
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
    for w, s, c in blocks:
        fitted.extend([s / w] * int(c))
    return [f + o for f, o in zip(fitted, offsets, strict=True)]


def _assign_x(
    layers: list[list[int]],
    pred: list[list[int]],
    succ: list[list[int]],
    width: list[float],
    n: int,
    gap: float,
) -> list[float]:
    """Centre each vertex over its neighbours, layer by layer, down and up, without overlaps."""
    x = [0.0] * len(width)

    def seps(layer: list[int]) -> list[float]:
        return [
            (width[a] + width[b]) / 2 + (gap if a < n or b < n else gap / 2)
            for a, b in pairwise(layer)
        ]

    def fit(layer: list[int], nbrs: list[list[int]]) -> None:
        desired = [sum(x[u] for u in nbrs[v]) / len(nbrs[v]) if nbrs[v] else x[v] for v in layer]
        # Dummies weigh more: long edges stay straight, boxes move instead.
        weights = [1.0 if v < n else 4.0 for v in layer]
        for v, value in zip(layer, _fit_row(desired, weights, seps(layer)), strict=True):
            x[v] = value

    for layer in layers:
        fit(layer, [[] for _ in width])
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
