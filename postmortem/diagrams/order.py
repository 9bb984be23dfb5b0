"""Crossing reduction for a layered drawing: barycentre sweeps, adjacent swaps, exact search.

Each pass is linear in the proper graph (up to a sort) and runs a bounded number of times;
`Tally` counts the elementary steps so that tests can bound them (tests/test_layout_cost.py).
"""

from __future__ import annotations

import contextlib
from itertools import pairwise
from typing import Any

# Exact crossing minimisation runs when no layer is wider than this (8! orders per layer)...
EXACT_MAX_LAYER = 8
# ...and gives up, keeping the heuristic's best, after this many search steps.
EXACT_BUDGET = 30_000
# The search recurses about once per vertex: keep it far from Python's recursion limit.
EXACT_MAX_LAYERS = 40
_SWEEPS = 12


class Tally:
    """A count of elementary steps (loop iterations, sorted items) across the passes."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0


class _OutOfBudget(Exception):
    pass


def count_crossings(
    layers: list[list[int]], pred: list[list[int]], tally: Tally | None = None
) -> int:
    """Edge crossings between all pairs of adjacent layers."""
    total = 0
    for upper, lower in pairwise(layers):
        pos = {v: i for i, v in enumerate(upper)}
        ends = sorted((pos[u], j) for j, v in enumerate(lower) for u in pred[v])
        if tally is not None:
            tally.steps += len(upper) + len(lower) + len(ends)
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


def _pair(sa: list[int], sb: list[int]) -> tuple[int, int]:
    """Crossings of a's and b's edges to one layer: (a left of b, b left of a).

    `sa` and `sb` are the sorted positions of their neighbours there; a merge counts the
    pairs out of order in O(len(sa) + len(sb)) rather than comparing every pair.
    """
    a_left = j = 0
    for p in sa:
        while j < len(sb) and sb[j] < p:
            j += 1
        a_left += j
    b_left = i = 0
    for p in sb:
        while i < len(sa) and sa[i] < p:
            i += 1
        b_left += i
    return a_left, b_left


def _neighbour_positions(
    layer: list[int], ref: list[int], nbrs: list[list[int]], tally: Tally
) -> dict[int, list[int]]:
    """For each vertex of `layer`, the sorted positions of its neighbours in `ref`."""
    pos = {v: p for p, v in enumerate(ref)}
    result = {v: sorted(pos[u] for u in nbrs[v]) for v in layer}
    tally.steps += len(ref) + len(layer) + sum(len(nbrs[v]) for v in layer)
    return result


def reduce_crossings(
    layers: list[list[int]], pred: list[list[int]], succ: list[list[int]], tally: Tally
) -> tuple[list[list[int]], int]:
    """Barycentre sweeps with adjacent swaps; then an exact search when the layers are small."""
    best = [list(layer) for layer in layers]
    best_count = count_crossings(best, pred, tally)
    current = [list(layer) for layer in layers]
    for _ in range(_SWEEPS):
        if best_count == 0:
            break
        for i in range(1, len(current)):
            current[i] = _barycentre(current[i], current[i - 1], pred, tally)
        _transpose(current, pred, succ, tally)
        for i in range(len(current) - 2, -1, -1):
            current[i] = _barycentre(current[i], current[i + 1], succ, tally)
        _transpose(current, pred, succ, tally)
        count = count_crossings(current, pred, tally)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    small = len(best) <= EXACT_MAX_LAYERS and max(map(len, best), default=0) <= EXACT_MAX_LAYER
    if best_count and small:
        best, best_count = _exact(best, pred, succ, best_count, tally)
    return best, best_count


def _barycentre(layer: list[int], ref: list[int], nbrs: list[list[int]], tally: Tally) -> list[int]:
    """Order `layer` by the mean position of each vertex's neighbours in `ref`."""
    pos = {v: i for i, v in enumerate(ref)}
    scale = len(ref) / max(len(layer), 1)
    tally.steps += len(ref) + len(layer) + sum(len(nbrs[v]) for v in layer)

    def key(item: tuple[int, int]) -> tuple[float, int]:
        i, v = item
        # A vertex without neighbours there keeps its relative place.
        if not nbrs[v]:
            return (i * scale, i)
        return (sum(pos[u] for u in nbrs[v]) / len(nbrs[v]), i)

    return [v for _, v in sorted(enumerate(layer), key=key)]


def _transpose(
    layers: list[list[int]], pred: list[list[int]], succ: list[list[int]], tally: Tally
) -> None:
    """Swap neighbours in a layer while that removes crossings (with both adjacent layers)."""
    improved = True
    rounds = 0
    while improved and rounds < 8:
        improved, rounds = False, rounds + 1
        for i, layer in enumerate(layers):
            # Swaps in this layer move none of its neighbours: their positions hold.
            up = _neighbour_positions(layer, layers[i - 1] if i else [], pred, tally)
            below = layers[i + 1] if i + 1 < len(layers) else []
            down = _neighbour_positions(layer, below, succ, tally)
            for j in range(len(layer) - 1):
                a, b = layer[j], layer[j + 1]
                tally.steps += 2 + len(up[a]) + len(up[b]) + len(down[a]) + len(down[b])
                above_now, above_swapped = _pair(up[a], up[b])
                below_now, below_swapped = _pair(down[a], down[b])
                if above_swapped + below_swapped < above_now + below_now:
                    layer[j], layer[j + 1] = b, a
                    improved = True


def _exact(
    start: list[list[int]],
    pred: list[list[int]],
    succ: list[list[int]],
    start_count: int,
    tally: Tally,
) -> tuple[list[list[int]], int]:
    """Branch and bound over all layer orders, top down; within budget it finds the minimum."""
    # [fewest crossings so far, the order that has them]: one cell the closures update.
    best: list[Any] = [start_count, start]
    chosen: list[list[int]] = []
    steps = 0

    def place_layer(i: int, cost: int) -> None:
        if i == len(start):
            best[0], best[1] = cost, [list(layer) for layer in chosen]
            return
        nodes = start[i]
        m = len(nodes)
        up = _neighbour_positions(nodes, chosen[-1] if i else [], pred, tally)
        cross = [[_pair(up[a], up[b])[0] for b in nodes] for a in nodes]
        tally.steps += m * m * (1 + max((len(up[a]) for a in nodes), default=0))
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
            tally.steps += m * m
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
