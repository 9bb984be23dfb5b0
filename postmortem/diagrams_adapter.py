"""Incident view → the pictures: the cascade graph (SVG and Mermaid) and the timeline chart.

The diagrams package knows nothing of records; this is where a record's steps, windows and
events become its plain inputs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from postmortem.derive import View
from postmortem.diagrams import (
    Cascade,
    Marker,
    Node,
    Span,
    Tick,
    Timeline,
    cascade_mermaid,
    cascade_parts,
    timeline_svg,
)
from postmortem.writers.text import plain_text


def cascade_of(view: View) -> Cascade:
    """The trigger and every step in causal order, with one edge per cause."""
    inc, clock = view.incident, view.clock
    trigger = inc.trigger
    nodes = [
        Node(
            id="trigger",
            heading=f"Trigger · {trigger.kind}",
            time=clock.time(trigger.time) if trigger.time else None,
            gist=plain_text(trigger.description),
            kind="trigger",
        )
    ]
    # Latent conditions (format 1.1) are roots of their own, drawn apart from the trigger.
    nodes += [
        Node(
            id=c.id,
            # The component in bold, as a step's; what it is on the line under it (its
            # `since` is in the list beside the picture: with it the line would be cut).
            heading=c.component,
            time="Latent condition",
            gist=plain_text(c.description),
            kind="condition",
        )
        for c in view.conditions
    ]
    edges = []
    for s in view.steps:
        nodes.append(
            Node(
                id=s.key,
                heading=s.step.component,
                time=clock.time(s.step.time) if s.step.time else None,
                gist=plain_text(s.step.description),
                kind="step",
            )
        )
        edges += [(cause, s.key) for cause in s.causes]
    return Cascade(nodes=tuple(nodes), edges=tuple(edges))


def timeline_of(view: View) -> Timeline:
    """Impact and service windows, key moments, and the numbered timeline events."""
    inc = view.incident
    impact = inc.impact
    markers = [
        Marker(label, when)
        for label, when in (
            ("Trigger", inc.trigger.time),
            ("Detected", inc.detection.time if inc.detection else None),
            ("Mitigated", inc.resolution.mitigated),
            ("Resolved", inc.resolution.resolved),
        )
        if when is not None
    ]
    # A service window without an end closed by the end of the impact at the latest.
    services = tuple(
        Span(svc.name, svc.start or impact.start, svc.end or impact.end, svc.level)
        for svc in impact.services
    )
    events = tuple(Tick(e.number, e.event.time) for e in view.timeline)
    known: list[datetime] = [impact.start, *(m.time for m in markers), *(t.time for t in events)]
    known += [t for s in services for t in (s.start, s.end) if t is not None]
    if impact.end is not None:
        known.append(impact.end)
    until = max(known)
    if until <= min(known):
        until = min(known) + timedelta(minutes=5)
    return Timeline(
        tz=view.clock.zone,
        impact=Span("Impact", impact.start, impact.end),
        services=services,
        markers=tuple(markers),
        events=events,
        until=until,
    )


_WIDTH = re.compile(r'<svg\b[^>]*? width="([0-9.]+)"')


def diagrams_for(view: View) -> dict[str, Any]:
    """The pictures of one incident, for the templates (SVG as markup, Mermaid as text)."""
    inc = view.incident
    cascade = cascade_of(view)
    causes = "; ".join(
        f"{s.step.component}, caused by {', '.join(s.cause_labels)}" for s in view.steps
    )
    timeline = timeline_of(view)
    window = f"from {view.clock.full(inc.impact.start)}" + (
        f" to {view.clock.full(inc.impact.end)}" if inc.impact.end else ", ongoing"
    )
    moments = "; ".join(f"{m.label} {view.clock.full(m.time)}" for m in timeline.markers)
    # A chart of the impact bar alone says nothing the text does not: leave the section out.
    has_chart = bool(timeline.events or timeline.markers or timeline.services)
    # Drawn for the page (see diagrams/page.py): parts a page can break between, each
    # shown at its own size, never scaled down.
    graph = "".join(
        cascade_parts(
            cascade,
            title="How the failure spread, from the trigger to each failing part",
            desc=f"Trigger ({inc.trigger.kind}); {causes}.",
        )
    )
    width = _WIDTH.search(graph)
    return {
        "timeline_file": f"{inc.id}.timeline.svg",
        "cascade": Markup(graph),  # noqa: S704 - built by our SVG writer, every label escaped
        # Its natural width in CSS pixels: a wide one may leave the text column (style.css).
        "cascade_width": float(width.group(1)) if width else 0.0,
        "timeline": Markup(  # noqa: S704 - built by our SVG writer, every label escaped
            timeline_svg(
                timeline,
                title="Timeline of the incident",
                desc=f"Impact {window}. {moments}. {len(timeline.events)} timeline events.",
            )
        )
        if has_chart
        else None,
        "mermaid": Markup(cascade_mermaid(cascade).rstrip("\n")),  # noqa: S704 - escaped
    }
