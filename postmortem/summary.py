"""What the index, its templates and the action lists read of a record: an explicit type.

`RecordSummary` and its parts are the same in a full build, a sharded one, the MkDocs
plugin and `postmortem actions`; README, "Templates", lists every name. A build keeps only
these of each record, so its memory does not grow with the records' prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from sys import intern

from postmortem.model import Incident


@dataclass(frozen=True, slots=True)
class TriggerSummary:
    kind: str


@dataclass(frozen=True, slots=True)
class DataSummary:
    """Format 1.1: what happened to data (none, suspected, confirmed or unknown)."""

    loss: str
    access: str


@dataclass(frozen=True, slots=True)
class ImpactSummary:
    start: datetime
    end: datetime | None
    data: DataSummary | None = None


@dataclass(frozen=True, slots=True)
class DetectionSummary:
    time: datetime | None


@dataclass(frozen=True, slots=True)
class ResolutionSummary:
    mitigated: datetime | None
    resolved: datetime | None


@dataclass(frozen=True, slots=True)
class ActionSummary:
    """An action item as the index lists it."""

    title: str
    kind: str
    owner: str | None
    priority: str | None
    status: str
    due: date | None
    link: str | None
    # Format 1.1 (empty in a format 1 record).
    completed: date | None = None
    ticket: str | None = None
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """One record as the index reads it: a tenth of an Incident, no prose.

    The attribute names are the record's own (`r.incident.trigger.kind` in a template), so
    a template written against the format reads the same keys here.
    """

    id: str
    title: str
    date: date
    status: str
    severity: str | None
    services: list[str]
    tags: list[str]
    trigger: TriggerSummary
    impact: ImpactSummary
    detection: DetectionSummary | None
    resolution: ResolutionSummary
    action_items: list[ActionSummary]
    related: list[str]

    @classmethod
    def of(cls, incident: Incident) -> RecordSummary:
        """The summary of a checked record; words that repeat across records kept once."""
        detection = incident.detection
        data = incident.impact.data
        return cls(
            id=incident.id,
            title=incident.title,
            date=incident.date,
            status=intern(incident.status),
            severity=_interned(incident.severity),
            services=[intern(s) for s in incident.services],
            tags=[intern(t) for t in incident.tags],
            trigger=TriggerSummary(intern(incident.trigger.kind)),
            impact=ImpactSummary(
                incident.impact.start,
                incident.impact.end,
                DataSummary(intern(data.loss), intern(data.access)) if data else None,
            ),
            detection=DetectionSummary(detection.time) if detection else None,
            resolution=ResolutionSummary(
                incident.resolution.mitigated, incident.resolution.resolved
            ),
            action_items=[
                ActionSummary(
                    a.title,
                    intern(a.kind),
                    _interned(a.owner),
                    _interned(a.priority),
                    intern(a.status),
                    a.due,
                    a.link,
                    a.completed,
                    a.ticket,
                    tuple(a.addresses),
                )
                for a in incident.action_items
            ],
            related=list(incident.related),
        )


def _interned(word: str | None) -> str | None:
    return None if word is None else intern(word)
