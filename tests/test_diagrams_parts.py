"""A tall cascade cut into parts (diagrams/parts.py): whole layers, few parts, even ones.

Issue 16: the stress record branching-50 came in parts of 873, 787, 845, 844 and 140 px,
its last a sliver of one box on a page of its own.
"""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from test_legible import _cascades

from postmortem.diagrams import Cascade, cascade_parts, page, parts

# The tallest layer a cascade draws: a box of two heading lines, a time and three gist
# lines (116 px), the gap under it (44 px) and the margin of the first or last (16 px).
LAYER = 176.0


def _drawing(rows: list[float]) -> parts.Drawing:
    """A drawing of layers `rows` px tall, cut between them."""
    edges = [0.0, *itertools.accumulate(rows)]
    return parts.Drawing(page.WIDTH, edges[-1], [], edges[1:-1])


def _fewest(rows: list[float], height: float) -> int:
    """The fewest parts of at most `height` (or one layer) the rows go in: fill each part."""
    count, used = 1, 0.0
    for row in rows:
        if used and used + row > height:
            count, used = count + 1, 0.0
        used += row
    return count


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    rows=st.lists(st.floats(20.0, LAYER), min_size=1, max_size=120)
    | st.lists(st.floats(20.0, 2 * page.HEIGHT), min_size=1, max_size=12),
    height=st.sampled_from([page.HEIGHT, 500.0]),
)
def test_parts_are_whole_layers_few_and_even(rows: list[float], height: float) -> None:
    drawing = _drawing(rows)
    found = parts.spans(drawing, height)
    edges = {0.0, *drawing.cuts, drawing.height}
    # Whole layers, end to end, from the top of the drawing to its bottom.
    assert found[0][0] == 0.0 and found[-1][1] == drawing.height
    assert all(a[1] == b[0] for a, b in itertools.pairwise(found))
    assert all(top in edges and bottom in edges and top < bottom for top, bottom in found)
    # Each fits the page unless it is one layer taller than the page.
    for top, bottom in found:
        assert bottom - top <= height + 1e-6 or not any(top < c < bottom for c in drawing.cuts)
    assert len(found) == _fewest(rows, height)
    sizes = [bottom - top for top, bottom in found]
    if len(sizes) > 1 and max(rows) <= LAYER:
        # Even: two parts differ by at most a layer; and with layers no taller than a
        # cascade's on the page (a fifth of it), no part is a sliver.
        assert max(sizes) - min(sizes) <= max(rows) + 1e-6, sizes
        if max(rows) <= height / 5:
            assert min(sizes) >= max(sizes) / 2, sizes


_HEIGHT = re.compile(r'<svg [^>]*? height="([\d.]+)"')


@settings(max_examples=25, deadline=None, derandomize=True)
@given(_cascades())
def test_a_cascade_in_parts_has_no_sliver(c: Cascade) -> None:
    heights = [float(_HEIGHT.search(p).group(1)) for p in cascade_parts(c, title="t", desc="d")]
    assert all(h <= page.HEIGHT for h in heights)
    if len(heights) > 1:
        assert min(heights) >= max(heights) / 2, heights


@settings(max_examples=10, deadline=None, derandomize=True)
@given(_cascades(), st.data())
def test_dropping_the_notes_of_a_cut_leaves_the_rest(c: Cascade, data: st.DataObject) -> None:
    """`drop_notes` takes out the two notes of the cuts it is given, and nothing else."""
    drawn = cascade_parts(c, title="t", desc="d")
    cuts = set(data.draw(st.lists(st.integers(1, max(1, len(drawn) - 1)), max_size=3)))
    markup = "".join(drawn)
    kept = parts.drop_notes(markup, cuts)
    for cut in range(1, len(drawn)):
        shown = kept.count(f'data-cut="{cut}"')
        assert shown == (0 if cut in cuts else 2), (cut, cuts, shown)
    # Nothing but the notes went: the rest reads the same, the parts the same size.
    assert re.sub(r'<g class="pm-continued".*?</g>', "", kept) == re.sub(
        r'<g class="pm-continued".*?</g>', "", markup
    )
    assert _HEIGHT.findall(kept) == _HEIGHT.findall(markup)
