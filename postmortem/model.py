"""The incident record, format version 1: the one source of truth.

Validation (`validate.py`) and the JSON Schema (`postmortem schema`) both come from these
models; the scalar field types they are built of, and the limits, are in `scalars.py`.
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ModelWrapValidatorHandler, model_validator

from postmortem.scalars import (
    MAX_EVENTS,
    MAX_ITEMS,
    MAX_STEPS,
    ActionKind,
    ActionStatus,
    CausedBy,
    Date,
    DetectionMethod,
    Line,
    Markdown,
    Priority,
    Slug,
    Status,
    Time,
    TriggerKind,
    Url,
    Zone,
    fail,
)
from postmortem.zones import read_in

FORMAT_VERSION = 1


class Strict(BaseModel):
    """Base for every part of a record: unknown keys are errors."""

    # Parts are only ever validated inside an Incident, whose validator includes theirs:
    # building one of their own for each at import would double the import's cost.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False, defer_build=True)


class Trigger(Strict):
    time: Time | None = None
    kind: TriggerKind = "unknown"
    description: Markdown


class Step(Strict):
    id: Slug | None = None
    time: Time | None = None
    component: Line
    description: Markdown
    caused_by: CausedBy | None = None


class ServiceImpact(Strict):
    name: Line
    description: Markdown | None = None
    start: Time | None = None
    end: Time | None = None


class Impact(Strict):
    start: Time
    end: Time | None = None
    description: Markdown
    users: Markdown | None = None
    services: list[ServiceImpact] = Field([], max_length=MAX_ITEMS)


class Detection(Strict):
    time: Time | None = None
    method: DetectionMethod | None = None
    description: Markdown | None = None


class Resolution(Strict):
    mitigated: Time | None = None
    resolved: Time | None = None
    description: Markdown


class Event(Strict):
    time: Time
    event: Markdown


class Lessons(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [k], "properties": {k: {"type": "array", "minItems": 1}}}
                for k in ("went_well", "went_wrong", "lucky")
            ]
        }
    )

    went_well: list[Markdown] = Field([], max_length=MAX_ITEMS)
    went_wrong: list[Markdown] = Field([], max_length=MAX_ITEMS)
    lucky: list[Markdown] = Field([], max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _not_empty(self) -> Lessons:
        if not (self.went_well or self.went_wrong or self.lucky):
            raise fail(
                "lessons-empty", "at least one of went_well, went_wrong and lucky needs an entry"
            )
        return self


class ActionItem(Strict):
    title: Line
    kind: ActionKind = "other"
    owner: Line | None = None
    priority: Priority | None = None
    status: ActionStatus = "open"
    due: Date | None = None
    link: Url | None = None


class Reference(Strict):
    title: Line
    url: Url


class Incident(Strict):
    """One incident record (format version 1)."""

    model_config = ConfigDict(
        defer_build=False,
        title="postmortem incident record",
        json_schema_extra={"description": "An incident record for postmortem, format version 1."},
    )

    format: Literal[1] = 1
    id: Slug
    title: Line
    date: Date
    status: Status = "draft"
    severity: Line | None = None
    authors: list[Line] = Field([], max_length=MAX_ITEMS)
    timezone: Zone = "UTC"
    summary: Markdown
    services: list[Line] = Field([], max_length=MAX_ITEMS)
    tags: list[Line] = Field([], max_length=MAX_ITEMS)
    trigger: Trigger
    cascade: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    contributing_factors: list[Markdown] = Field([], max_length=MAX_ITEMS)
    impact: Impact
    detection: Detection | None = None
    resolution: Resolution
    timeline: list[Event] = Field([], max_length=MAX_EVENTS)
    lessons: Lessons
    action_items: list[ActionItem] = Field([], max_length=MAX_ITEMS)
    references: list[Reference] = Field([], max_length=MAX_ITEMS)
    related: list[Slug] = Field([], max_length=MAX_ITEMS)

    @model_validator(mode="wrap")
    @classmethod
    def _localise(cls, data: Any, handler: ModelWrapValidatorHandler[Incident]) -> Incident:
        # A time written without an offset is read in the record's timezone, by the time
        # field's own validator (so that a time the zone skips has its own position).
        zone = data.get("timezone", "UTC") if isinstance(data, dict) else None
        with read_in(zone if isinstance(zone, str) else None):
            return handler(data)

    @property
    def zone(self) -> ZoneInfo:
        """The record's display zone."""
        return ZoneInfo(self.timezone)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of format version 1, generated from the models."""
    from postmortem.audience import with_marks  # the marks are read before validation

    schema = with_marks(Incident.model_json_schema(mode="validation"))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def fields_of(model: type[BaseModel]) -> list[str]:
    """The keys a mapping of this model accepts, in declaration order."""
    return list(model.model_fields)


def step_key(step: Step, index: int) -> str:
    """A step's id, or `#N` (1-based; never a valid id) for a step written without one."""
    return step.id or f"#{index + 1}"


def causes(cascade: list[Step]) -> list[list[str]]:
    """Each step's causes as keys; by default a step is caused by the one before it."""
    result = []
    for i, step in enumerate(cascade):
        if step.caused_by is not None:
            result.append(list(step.caused_by))
        else:
            result.append(["trigger"] if i == 0 else [step_key(cascade[i - 1], i - 1)])
    return result
