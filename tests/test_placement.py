"""The placement probe is a faster path: it must decide as the whole document would.

`writers/placement.py` measures a probe, the document cut after the cascade's first graph
parts and steps (`probe_html`), instead of the whole document, to decide where the graph
goes. Cutting must not change a measure the decision reads: for every example and stress
record, the probe and a layout of the whole document (the graph under its heading) give
the same decision and the same places for the heading, the graph and the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import stress
from pdfpages import INCIDENTS, record_paths

import postmortem
from postmortem.writers import pdf
from postmortem.writers.placement import (
    FIGURE,
    HEADING,
    PROBE_STEPS,
    cascade_after,
    placement_ids,
    read_layout,
)


@pytest.fixture(scope="module")
def lay_outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Callable[..., Any], int]]:
    """Each record's own `lay_out(after, probe)`, as the PDF writer hands it to `place`."""
    seen: dict[str, tuple[Callable[..., Any], int]] = {}
    real = pdf.place
    folder = tmp_path_factory.mktemp("records")
    for path in record_paths(folder):

        def spy(lay_out: Callable[..., Any], steps: int, ident: str = path.stem) -> Any:
            seen[ident] = (lay_out, steps)
            return real(lay_out, steps)

        pdf.place = spy
        try:
            postmortem.render(path, formats=("pdf",), today=date(2026, 11, 30))
        finally:
            pdf.place = real
    return seen


RECORDS = sorted(p.stem for p in INCIDENTS.glob("*.yaml")) + sorted(stress.stress_set())


@pytest.mark.parametrize("ident", RECORDS)
def test_the_probe_decides_as_the_whole_document_would(
    lay_outs: dict[str, tuple[Callable[..., Any], int]], ident: str
) -> None:
    lay_out, steps = lay_outs[ident]
    counted = min(steps, PROBE_STEPS)
    wanted = placement_ids(counted)
    probe = read_layout(lay_out(0, True, frozenset()), wanted)
    whole = read_layout(lay_out(0, False, frozenset()), wanted)
    assert cascade_after(probe, counted) == cascade_after(whole, counted)
    # What the decision reads: where the section starts and what is before it, the
    # heading, where the graph starts and its first parts, and each step's height.
    start = whole.extents[HEADING].first_page
    assert probe.extents[HEADING] == whole.extents[HEADING]
    assert probe.body_top[: start + 1] == whole.body_top[: start + 1]
    assert probe.ink_before[: start + 1] == whole.ink_before[: start + 1]
    graph_p, graph_w = probe.extents[FIGURE], whole.extents[FIGURE]
    assert (graph_p.first_page, graph_p.top) == (graph_w.first_page, graph_w.top)
    if probe.graph == whole.graph:  # the whole graph is in the probe
        assert graph_p == graph_w
        # A page the graph goes on from ends where its part there ends.
        cut = range(graph_w.first_page, graph_w.last_page)
        assert [probe.ink[p] for p in cut] == [whole.ink[p] for p in cut]
    for number in range(1, counted + 1):
        step_p, step_w = probe.extents[f"step-{number}"], whole.extents[f"step-{number}"]
        if step_p.first_page == step_p.last_page and step_w.first_page == step_w.last_page:
            # Laid out at another place on the page: the same up to float rounding.
            assert step_p.height == pytest.approx(step_w.height, abs=0.01), number
