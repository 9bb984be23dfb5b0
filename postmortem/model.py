"""The incident record, format versions 1 and 1.1: the one source of truth.

Validation (`validate.py`) and the JSON Schema (`postmortem schema`) both come from these
models; the scalar field types they are built of, and the limits, are in `scalars.py`.
A key that format 1.1 added is declared with `since_1_1(...)`: `FORMAT_1_1_KEYS`, read by
`check`, the JSON Schema and `postmortem new`, is built from those marks.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    Tag,
    model_validator,
)
from pydantic.fields import FieldInfo

from postmortem.scalars import (
    MAX_EVENTS,
    MAX_ITEMS,
    MAX_STEPS,
    ActionKind,
    ActionStatus,
    CausedBy,
    DataState,
    Date,
    DetectionMethod,
    Flag,
    FormatVersion,
    ImpactLevel,
    Line,
    Markdown,
    Number,
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
_SINCE = "x-format"  # the JSON Schema keyword that marks a key format 1.1 added


def since_1_1(default: Any = None, **kwargs: Any) -> Any:
    """A field that format 1.1 added: valid only in a record that says `format: 1.1`."""
    return Field(default, json_schema_extra={_SINCE: "1.1"}, **kwargs)


def is_1_1(info: FieldInfo) -> bool:
    """True for a field declared with `since_1_1`."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get(_SINCE) == "1.1"


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


class Condition(Strict):
    """A latent condition (1.1): present before the incident, a root of the cascade of its own."""

    id: Slug
    component: Line
    description: Markdown
    since: Time | None = None


class Factor(Strict):
    """A contributing factor written with an id (1.1), so that action items can name it."""

    id: Slug
    text: Markdown


def _factor_form(value: Any) -> str:
    # Any other mapping is text that YAML read as a mapping (`- The page: came late`).
    return (
        "(factor)" if isinstance(value, dict) and ("id" in value or "text" in value) else "(text)"
    )


# A factor is Markdown text, or (1.1) a mapping {id, text}: the tags, in parentheses, are
# no keys; validate.py leaves them out of error paths.
ContributingFactor = Annotated[
    Annotated[Markdown, Tag("(text)")] | Annotated[Factor, Tag("(factor)")],
    Discriminator(_factor_form),
]
UNION_TAGS = ("(text)", "(factor)")


class ServiceImpact(Strict):
    name: Line
    description: Markdown | None = None
    start: Time | None = None
    end: Time | None = None
    level: ImpactLevel | None = since_1_1()


class DataImpact(Strict):
    """What happened to data (1.1): what auditors ask first."""

    loss: DataState = "unknown"
    access: DataState = "unknown"
    description: Markdown | None = None


class Impact(Strict):
    start: Time
    end: Time | None = None
    description: Markdown
    users: Markdown | None = None
    services: list[ServiceImpact] = Field([], max_length=MAX_ITEMS)
    first_symptom: Time | None = since_1_1()
    data: DataImpact | None = since_1_1()


class Detection(Strict):
    time: Time | None = None
    method: DetectionMethod | None = None
    description: Markdown | None = None
    declared: Time | None = since_1_1()


class Stage(Strict):
    time: Time
    description: Markdown


class Resolution(Strict):
    mitigated: Time | None = None
    resolved: Time | None = None
    description: Markdown
    stages: list[Stage] = since_1_1([], max_length=MAX_ITEMS)


class Responder(Strict):
    role: Line
    name: Line | None = None
    organization: Line | None = None


class Communication(Strict):
    """What customers were told (1.1): a status-page post, an email, ..."""

    time: Time
    channel: Line
    summary: Markdown
    url: Url | None = None


class NamedNumber(Strict):
    """A figure with a unit that the text would otherwise carry alone (1.1)."""

    label: Line
    value: Number
    unit: Line | None = None
    approximate: Flag = False
    note: Line | None = None


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
    completed: Date | None = since_1_1()
    ticket: Line | None = since_1_1()
    addresses: list[Slug] = since_1_1([], max_length=MAX_ITEMS)


class Reference(Strict):
    title: Line
    url: Url


class Incident(Strict):
    """One incident record (format version 1 or 1.1)."""

    model_config = ConfigDict(
        defer_build=False,
        title="postmortem incident record",
        json_schema_extra={"description": "An incident record for postmortem, format 1 or 1.1."},
    )

    format: FormatVersion = 1
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
    conditions: list[Condition] = since_1_1([], max_length=MAX_STEPS)
    contributing_factors: list[ContributingFactor] = Field([], max_length=MAX_ITEMS)
    impact: Impact
    detection: Detection | None = None
    resolution: Resolution
    timeline: list[Event] = Field([], max_length=MAX_EVENTS)
    lessons: Lessons
    action_items: list[ActionItem] = Field([], max_length=MAX_ITEMS)
    references: list[Reference] = Field([], max_length=MAX_ITEMS)
    related: list[Slug] = Field([], max_length=MAX_ITEMS)
    responders: list[Responder] = since_1_1([], max_length=MAX_ITEMS)
    communications: list[Communication] = since_1_1([], max_length=MAX_EVENTS)
    numbers: list[NamedNumber] = since_1_1([], max_length=MAX_ITEMS)

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


def inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation (list[X], X | None, a tagged union), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = inner_model(arg)
        if found is not None:
            return found
    return None


def field_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    """The model class of `model`'s field `key` (inside list[...], X | None), if any."""
    # Looked up for every key of every record: cached, for the model's own keys only (a
    # record's other keys are not ours to remember).
    return _field_model(model, key) if key in model.model_fields else None


@functools.cache
def _field_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    return inner_model(model.model_fields[key].annotation)


def _keys_1_1(model: type[BaseModel], table: dict[type[BaseModel], tuple[str, ...]]) -> None:
    table[model] = tuple(k for k, info in model.model_fields.items() if is_1_1(info))
    for info in model.model_fields.values():
        inner = inner_model(info.annotation)
        if inner is not None and inner not in table:
            _keys_1_1(inner, table)


# Model class -> the keys of its mappings that format 1.1 added (empty for most classes).
FORMAT_1_1_KEYS: dict[type[BaseModel], tuple[str, ...]] = {}
_keys_1_1(Incident, FORMAT_1_1_KEYS)


def _format_1_gate(model: type[BaseModel], marks: tuple[str, ...]) -> dict[str, Any]:
    """What a format-1 record may not hold below `model`, as a JSON Schema: the keys 1.1
    added, the audience marks (`marks`), and list entries written as mappings."""
    props: dict[str, Any] = dict.fromkeys(marks, False)
    for name, info in model.model_fields.items():
        if is_1_1(info):
            props[name] = False
            continue
        inner = inner_model(info.annotation)
        is_list = getattr(info.annotation, "__origin__", None) is list
        if inner is not None and inner is not Factor:
            sub = _format_1_gate(inner, marks)
            props[name] = {"items": sub} if is_list else sub
        elif is_list:
            # A list of text (contributing factors included): text only, no {text, ...}.
            props[name] = {"items": {"type": "string"}}
    return {"properties": props}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of formats 1 and 1.1, generated from the models.

    A record without `format: 1.1` may not hold the keys 1.1 added nor the audience marks
    (`else` below), so the schema and `check` agree on which records are valid.
    """
    from postmortem.audience import KEYS, with_marks  # marks are read before validation

    schema = with_marks(Incident.model_json_schema(mode="validation"))
    # A factor with an id is a list entry with its marks: {id, text, internal?, public?}.
    factor = schema["$defs"]["Factor"]["properties"]
    factor.update(internal={"type": "boolean"}, public={"type": "string"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "if": {"required": ["format"], "properties": {"format": {"enum": [1.1, "1.1"]}}},
        "else": _format_1_gate(Incident, KEYS),
    }


def fields_of(model: type[BaseModel]) -> list[str]:
    """The keys a mapping of this model accepts, in declaration order."""
    return list(model.model_fields)


def factor_text(factor: str | Factor) -> str:
    """A contributing factor's Markdown, however it was written."""
    return factor if isinstance(factor, str) else factor.text


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
