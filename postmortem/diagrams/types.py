"""The plain values the diagrams are drawn from; the renderer adapts the incident model to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Node:
    """One box of the cascade: the trigger, a latent condition (a root of its own) or a step."""

    id: str  # "trigger" for the trigger, else the condition's or cascade step's id (unique)
    heading: str  # shown bold: the component (for the trigger e.g. "Trigger · config")
    time: str | None  # already formatted, e.g. "07:30 PST"
    gist: str  # one line of plain text; wrapped and cut with an ellipsis in the box
    kind: Literal["trigger", "condition", "step"]


@dataclass(frozen=True)
class Cascade:
    """The causal graph: nodes in causal (topological) order, trigger first."""

    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]  # (cause id, effect id)


@dataclass(frozen=True)
class Span:
    """A stretch of time: the impact window or one service's degradation."""

    label: str
    start: datetime  # tz-aware
    end: datetime | None  # None = ongoing: drawn open-ended up to Timeline.until
    # How bad (format 1.1): one of LEVELS, shaded so that it prints in black and white. The
    # windows of one service (one label) share a row, one bar per window.
    level: str | None = None


# Impact levels, worst first: the shading of each bar and the order of the legend.
LEVELS = ("down", "partial", "degraded")


@dataclass(frozen=True)
class Marker:
    """A moment drawn as a vertical line: "Trigger", "Detected", "Mitigated", "Resolved"."""

    label: str
    time: datetime


@dataclass(frozen=True)
class Tick:
    """A timeline event; `number` matches the row number in the document's timeline table."""

    number: int
    time: datetime


@dataclass(frozen=True)
class Timeline:
    """Everything the timeline picture shows, with `tz` the record's display zone."""

    tz: ZoneInfo
    impact: Span | None
    services: tuple[Span, ...]
    markers: tuple[Marker, ...]
    events: tuple[Tick, ...]
    until: datetime  # last known time: right edge for open-ended spans
