"""Format 1.1 in the pictures: latent conditions as roots of their own in the cascade (SVG
and Mermaid), impact levels in the timeline chart with a legend that prints in black and
white."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diagrams import MERMAID_DIR, MERMAID_JS

from postmortem.diagrams import Cascade, Node, Span, Timeline, cascade_mermaid, cascade_svg, palette
from postmortem.diagrams.timeline import timeline_svg
from postmortem.diagrams.types import LEVELS

from conftest import FIXTURES

NS = "{http://www.w3.org/2000/svg}"
T0 = datetime(2021, 10, 28, 16, 0, tzinfo=UTC)


def _cascade() -> Cascade:
    nodes = (
        Node("trigger", "Trigger · config", None, "Streaming was enabled.", "trigger"),
        Node("boltdb", "BoltDB freelist", "Latent condition", "Slow writes.", "condition"),
        Node("consul", "Consul cluster", None, "Too slow to serve.", "step"),
    )
    return Cascade(nodes, (("trigger", "consul"), ("boltdb", "consul")))


def test_a_latent_condition_is_a_root_of_its_own_kind_colour_and_label() -> None:
    root = ET.fromstring(cascade_svg(_cascade(), title="t", desc="d"))
    groups = {g.get("data-node"): g for g in root.iter(f"{NS}g") if g.get("data-node")}
    condition, trigger = groups["n1"], groups["n0"]
    assert condition.get("class") == "pm-node pm-node-condition"
    assert trigger.get("class") == "pm-node pm-node-trigger"
    box = condition.find(f"{NS}rect")
    assert box is not None and box.get("class") == "pm-box-condition"
    assert box.get("fill") == palette.LIGHT["condition_fill"]
    assert box.get("stroke") == palette.LIGHT["condition_stroke"]
    assert box.get("stroke-dasharray")  # told from the trigger without colour too
    assert "Latent condition" in "".join(condition.itertext())
    style = "".join(root.find(f"{NS}style").itertext())  # type: ignore[union-attr]
    assert f".pm-box-condition{{fill:{palette.DARK['condition_fill']}" in style
    # Both roots sit in the top layer, apart: two boxes, no edge between them.
    edges = {p.get("data-edge") for p in root.iter(f"{NS}path") if p.get("data-edge")}
    assert edges == {"n0 n2", "n1 n2"}


def test_a_cascade_without_conditions_has_no_condition_style() -> None:
    nodes = _cascade().nodes
    plain = Cascade((nodes[0], nodes[2]), (("trigger", "consul"),))
    assert "pm-box-condition" not in cascade_svg(plain, title="t", desc="d")
    assert "classDef" not in cascade_mermaid(plain)


def test_mermaid_gives_conditions_their_class() -> None:
    lines = cascade_mermaid(_cascade()).splitlines()
    fill, stroke = palette.LIGHT["condition_fill"], palette.LIGHT["condition_stroke"]
    assert any(
        line.startswith(f"    classDef condition fill:{fill},stroke:{stroke}") for line in lines
    )
    assert lines[-1] == "    class n1 condition"


@pytest.mark.node
def test_mermaid_parses_the_condition_class(tmp_path: Path) -> None:
    script = tmp_path / "parse.mjs"
    script.write_text(MERMAID_JS)
    run = subprocess.run(
        ["node", str(script), str(MERMAID_DIR)],
        input=cascade_mermaid(_cascade()),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    parsed = json.loads(run.stdout.strip().splitlines()[-1])
    assert sorted(parsed["nodes"]) == ["n0", "n1", "n2"]
    assert sorted(map(tuple, parsed["edges"])) == [("n0", "n2"), ("n1", "n2")]


def test_the_format_1_1_example_draws_its_condition() -> None:
    from datetime import date

    from postmortem.checker import check_bytes
    from postmortem.derive import build_view
    from postmortem.diagrams_adapter import diagrams_for

    result = check_bytes("r.yaml", (FIXTURES / "valid" / "format-1.1.yaml").read_bytes())
    assert result.incident is not None
    drawn = diagrams_for(build_view(result.incident, today=date(2026, 1, 1)))
    assert 'class="pm-box-condition"' in drawn["cascade"]
    assert ">Latent condition<" in drawn["cascade"]
    assert "class n1 condition" in drawn["mermaid"]
    assert 'data-level="down"' in drawn["timeline"]


# --- impact levels in the timeline -----------------------------------------------------

WINDOW = st.tuples(
    st.sampled_from(["Web", "API", "Mobile app"]),
    st.sampled_from([*LEVELS, None]),
    st.integers(0, 300),
    st.integers(5, 300),
)


def _chart(windows: list[tuple[str, str | None, int, int]]) -> ET.Element:
    services = tuple(
        Span(name, T0 + timedelta(minutes=a), T0 + timedelta(minutes=a + n), level)
        for name, level, a, n in windows
    )
    t = Timeline(
        tz=ZoneInfo("America/Los_Angeles"),
        impact=Span("Impact", T0, T0 + timedelta(minutes=700)),
        services=services,
        markers=(),
        events=(),
        until=T0 + timedelta(minutes=700),
    )
    return ET.fromstring(timeline_svg(t, title="t", desc="d"))


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.lists(WINDOW, min_size=1, max_size=8))
def test_levels_are_shaded_with_a_legend_and_a_service_is_one_row(
    windows: list[tuple[str, str | None, int, int]],
) -> None:
    root = _chart(windows)
    bars = [g.find(f"{NS}rect") for g in root.iter(f"{NS}g") if g.get("class") == "pm-span"]
    assert len(bars) == 1 + len(windows)  # the impact, then one bar per window
    shown = [b.get("data-level") for b in bars[1:]]  # type: ignore[union-attr]
    names = list(dict.fromkeys(name for name, _, _, _ in windows))  # rows, in order
    assert shown == [lv for row in names for name, lv, _, _ in windows if name == row]
    texts = [(t.text or "", float(t.get("font-size", 0))) for t in root.iter(f"{NS}text")]
    assert all(size >= 9.5 for _, size in texts)
    words = [text for text, _ in texts]
    for name in {name for name, _, _, _ in windows}:
        assert words.count(name) == 1  # a service is counted, and shown, once
    used = [level for level in LEVELS if level in shown]
    swatches = [r for r in root.iter(f"{NS}rect") if r.get("data-level") and r not in bars]
    assert [s.get("data-level") for s in swatches] == used
    assert [w for w in words if w in LEVELS] == used
    assert ("Impact level" in words) == bool(used)
    # Shades that differ without colour: one fill opacity per level, each outlined.
    opacity = {s.get("data-level"): s.get("fill-opacity") for s in swatches}
    assert len(set(opacity.values())) == len(opacity)
    assert all(s.get("stroke") == palette.LIGHT["service"] for s in swatches)
    style = "".join(root.find(f"{NS}style").itertext())  # type: ignore[union-attr]
    assert (".pm-level{" in style) == bool(used)


def test_a_chart_without_levels_is_drawn_as_before() -> None:
    root = _chart([("Web", None, 0, 60)])
    assert not [r for r in root.iter(f"{NS}rect") if r.get("data-level")]
    assert not re.search("Impact level", ET.tostring(root, encoding="unicode"))
