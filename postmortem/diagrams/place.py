"""Putting labels in rows so that no two overlap (and marker lines cross as few as possible)."""

from __future__ import annotations

import bisect
import contextlib
from dataclasses import dataclass
from typing import Any

# Search steps for the exhaustive flag placement (a fixed count keeps output deterministic).
FLAG_BUDGET = 50_000


@dataclass(frozen=True)
class Slot:
    """Where a label went: its row (0 nearest the thing labelled) and horizontal extent."""

    row: int
    left: float
    right: float


def _clamp(left: float, width: float, lo: float, hi: float) -> float:
    return max(lo, min(left, hi - width))


def pack(
    items: list[tuple[float, float]], *, rows: int, gap: float, lo: float, hi: float
) -> list[Slot | None]:
    """Centre each (x, width) label on x in the lowest row with room; None when no row has room."""
    ends = [float("-inf")] * rows
    slots: list[Slot | None] = [None] * len(items)
    for i in sorted(range(len(items)), key=lambda i: (items[i][0], i)):
        x, width = items[i]
        left = _clamp(x - width / 2, width, lo, hi)
        for row in range(rows):
            if left >= ends[row] + gap:
                ends[row] = left + width
                slots[i] = Slot(row, left, left + width)
                break
    return slots


def pack_by_priority(
    items: list[tuple[float, float]],
    order: list[int],
    *,
    rows: int,
    gap: float,
    lo: float,
    hi: float,
) -> list[Slot | None]:
    """Like `pack`, but labels claim room in `order` (most important first), wherever it is."""
    taken: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    slots: list[Slot | None] = [None] * len(items)
    for i in order:
        x, width = items[i]
        left = _clamp(x - width / 2, width, lo, hi)
        right = left + width
        for row, spans in enumerate(taken):
            k = bisect.bisect_left(spans, (left,))
            clear_before = k == 0 or spans[k - 1][1] + gap <= left
            clear_after = k == len(spans) or right + gap <= spans[k][0]
            if clear_before and clear_after:
                spans.insert(k, (left, right))
                slots[i] = Slot(row, left, right)
                break
    return slots


def flags(
    items: list[tuple[float, float]], *, gap: float, offset: float, lo: float, hi: float
) -> list[Slot]:
    """Place a flag label beside each (x, width) vertical line, in rows stacked upwards.

    A line runs from row 0 up to its own label, so a label in a lower row should not
    cover it. Labels never overlap (rows are added as needed). Greedy placement left to
    right and right to left gives a first answer; for up to 6 labels an exhaustive search
    then looks for fewer crossings, then fewer rows.
    """
    n = len(items)
    orders = [tuple(range(n)), tuple(reversed(range(n)))]
    best: tuple[tuple[int, int], list[Slot]] | None = None
    for order in orders:
        slots, crossings = _flags_in_order(items, order, gap, offset, lo, hi)
        score = (crossings, max((s.row + 1 for s in slots), default=0))
        if best is None or score < best[0]:
            best = (score, slots)
    if best is None:
        return []
    if n <= 6 and best[0] > (0, 1):
        exact = _flags_exact(items, best[0], gap, offset, lo, hi)
        if exact is not None:
            return exact
    return best[1]


def _options(
    x: float, width: float, offset: float, lo: float, hi: float
) -> list[tuple[int, float]]:
    """Left edges for a flag right of its line (side 0) or left of it (side 1), if in bounds."""
    sides = enumerate((x + offset, x - offset - width))
    return [(side, left) for side, left in sides if lo <= left and left + width <= hi] or [
        (0, _clamp(x + offset, width, lo, hi))
    ]


def _crossings(x: float, slot: Slot, placed: list[tuple[float, Slot]]) -> int:
    """Lines of `placed` that `slot` covers, plus labels of `placed` that the line at x crosses."""
    return sum(
        1
        for px, s in placed
        if (s.row < slot.row and s.left - 2 <= x <= s.right + 2)
        or (s.row > slot.row and slot.left - 2 <= px <= slot.right + 2)
    )


def _collides(slot: Slot, placed: list[tuple[float, Slot]], gap: float) -> bool:
    return any(
        s.row == slot.row and slot.left < s.right + gap and s.left < slot.right + gap
        for _, s in placed
    )


class _Stop(Exception):
    pass


def _flags_exact(
    items: list[tuple[float, float]],
    bound: tuple[int, int],
    gap: float,
    offset: float,
    lo: float,
    hi: float,
) -> list[Slot] | None:
    """Depth-first over every (row, side) per label; the best under `bound`, or None."""
    order = sorted(range(len(items)), key=lambda i: (items[i][0], i))
    # [best (crossings, rows) so far, the slots that have it]: one cell the closures update.
    best: list[Any] = [bound, None]
    placed: list[tuple[float, Slot]] = []
    chosen: dict[int, Slot] = {}
    steps = 0

    def go(k: int, crossings: int, rows: int) -> None:
        nonlocal steps
        steps += 1
        if steps > FLAG_BUDGET:
            raise _Stop
        if (crossings, rows) >= best[0]:
            return
        if k == len(order):
            best[0], best[1] = (crossings, rows), [chosen[i] for i in range(len(items))]
            return
        i = order[k]
        x, width = items[i]
        for row in range(rows + 1):
            for _, left in _options(x, width, offset, lo, hi):
                slot = Slot(row, left, left + width)
                if _collides(slot, placed, gap):
                    continue
                added = _crossings(x, slot, placed)
                placed.append((x, slot))
                chosen[i] = slot
                go(k + 1, crossings + added, max(rows, row + 1))
                placed.pop()
                del chosen[i]

    with contextlib.suppress(_Stop):
        go(0, 0, 0)
    slots: list[Slot] | None = best[1]
    return slots


def _flags_in_order(
    items: list[tuple[float, float]],
    order: tuple[int, ...],
    gap: float,
    offset: float,
    lo: float,
    hi: float,
) -> tuple[list[Slot], int]:
    """Greedy placement in `order`: for each label the (row, side) with fewest crossings."""
    placed: list[tuple[float, Slot]] = []
    slots: list[Slot] = [Slot(0, 0.0, 0.0)] * len(items)
    total = 0
    for i in order:
        x, width = items[i]
        options = _options(x, width, offset, lo, hi)
        best: tuple[int, int, int, Slot] | None = None
        for row in range(len(placed) + 1):
            for side, left in options:
                slot = Slot(row, left, left + width)
                if _collides(slot, placed, gap):
                    continue
                crossings = _crossings(x, slot, placed)
                if best is None or (crossings, row, side) < best[:3]:
                    best = (crossings, row, side, slot)
        assert best is not None  # a new row always has room
        placed.append((x, best[3]))
        slots[i] = best[3]
        total += best[0]
    return slots, total
