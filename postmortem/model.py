"""The incident record, format version 1: the one source of truth.

Validation (`validate.py`) and the JSON Schema (`postmortem schema`) both come from these
models. Text-like fields use small validators of our own instead of pydantic's built-in
constraints so that every message says what to write, and each carries the JSON Schema
that states the same rule (`WithJsonSchema`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

FORMAT_VERSION = 1

# Limits of this implementation (README, "Limits"), so that no record within 1 MiB can make
# a render take minutes: text lengths in characters, list lengths in entries.
MAX_LINE = 1_000
MAX_TEXT = 100_000
MAX_STEPS = 200
MAX_EVENTS = 1_000
MAX_ITEMS = 500
# Times are shown in UTC and in the record's zone, up to a day away from what was written:
# a year's margin below 10000 (and far above year 1) keeps every conversion representable.
MIN_YEAR = 1900
MAX_YEAR = 9998
# Cause links of the whole cascade, written or implied (validate.py counts them): each is an
# arrow of the cascade picture, and a link can span every layer of it. The examples have 15.
MAX_CAUSES = 400
# `[` in all the Markdown of a record: each may open a link or an image, which markdown-it
# reads at 15-60 µs apiece, so a 1 MiB flood of `![` took 19 s to check and more to render.
# A long real record has a few hundred links; at the limit a parse costs about 0.3 s.
MAX_BRACKETS = 5_000

# Each pattern is both the JSON Schema's `pattern` (ECMA-262, for editors and
# check-jsonschema; python-jsonschema runs it with `re.search`) and what `check` matches,
# so it must mean the same in both dialects:
# - `$` alone also matches before a final "\n" in Python, not in ECMA-262: `(?!\n)` after
#   it ends both at the end of the string ("evil\n" is no id).
# - `\s` and `.` are different sets in the two: the classes are spelled out instead.
_END = r"$(?!\n)"
# Control characters and line separators: none belongs in a one-line value or a URL.
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
# White space as Python's str.isspace() (and str.strip()) knows it.
_BLANK = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Where a URL ends (as it would in running text); brackets only in IPv6 hosts, which
# records do not need and urlsplit would refuse unbalanced.
_URL_STOP = _CONTROL + r" \xa0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff"
_HOST = rf"[^{_URL_STOP}/?#\[\]]"

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}" + _END
# Windows device names cannot be file names, whatever follows the first dot.
DEVICE_PATTERN = r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.[a-z0-9._-]*)?" + _END
TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?" + _END
)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + _END
# The host (after any user@) starts with a character that makes it a host name, not a port.
URL_PATTERN = (
    rf"^https?://(?:{_HOST}*@)?(?!{_HOST}*@)[^{_URL_STOP}/?#\[\]:@]{_HOST}*"
    rf"(?:[/?#][^{_URL_STOP}]*)?" + _END
)
LINE_PATTERN = rf"^[^{_CONTROL}]*[^{_CONTROL}{_BLANK}][^{_CONTROL}]*" + _END
TEXT_PATTERN = rf"[^{_BLANK}]"

_SLUG = re.compile(SLUG_PATTERN)
_DEVICE = re.compile(DEVICE_PATTERN)
_TIME = re.compile(TIME_PATTERN)
_DATE = re.compile(DATE_PATTERN)
_URL = re.compile(URL_PATTERN)
_LINE = re.compile(LINE_PATTERN)
_TEXT = re.compile(TEXT_PATTERN)
_CONTROL_CHAR = re.compile(f"[{_CONTROL}]")


def describe(value: object) -> str:
    """Name a loaded YAML value's type the way a record author thinks of it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"


def _fail(rule: str, message: str) -> PydanticCustomError:
    """An error whose type is our rule name; the message goes in as data, never as a template."""
    return PydanticCustomError(rule, "{message}", {"message": message})


def _expect_str(value: object, kind: str) -> str:
    if not isinstance(value, str):
        raise _fail("type", f"expected {kind}, got {describe(value)}")
    return value


def _validator(check: Callable[[Any], Any], schema: dict[str, Any]) -> Any:
    return (PlainValidator(check), WithJsonSchema(schema))


def _markdown(value: object, limit: int = MAX_TEXT) -> str:
    value = _expect_str(value, "text")
    if not _TEXT.search(value):
        raise _fail("empty", "must not be empty")
    if len(value) > limit:
        raise _fail("limit-length", f"is {len(value):,} characters long; the limit is {limit:,}")
    return value


def _line(value: object) -> str:
    value = _markdown(value, MAX_LINE)
    if not _LINE.match(value):
        char = _CONTROL_CHAR.search(value)
        if char is None or char.group() in "\r\n":
            raise _fail("single-line", "must be a single line")
        raise _fail(
            "single-line",
            f"must be a single line of plain text: U+{ord(char.group()):04X} at character "
            f"{char.start() + 1} is a control character or line separator",
        )
    return value.strip()


def _slug(value: object) -> str:
    value = _expect_str(value, "an id")
    if not _SLUG.match(value):
        raise _fail(
            "id",
            f"{value!r} is not a valid id: use 1-100 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    if _DEVICE.match(value):
        raise _fail("id", f"{value!r} is a reserved device name on Windows; choose another id")
    return value


def is_valid_id(value: str) -> bool:
    """True for an id that may name a record and its output files."""
    return bool(_SLUG.match(value)) and not _DEVICE.match(value)


def _time(value: object) -> datetime:
    return _in_range(_parse_time(value))


def _in_range(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise _fail(
            "time",
            f"{value.isoformat()} is out of range: times must be in the years "
            f"{MIN_YEAR} to {MAX_YEAR}",
        )
    return value


def _parse_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise _fail(
            "time", "a bare date is not a time: add the time of day, e.g. 2021-12-07T07:30:00-08:00"
        )
    value = _expect_str(value, "a date-time such as 2021-12-07T07:30:00-08:00")
    if _TIME.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    if _DATE.match(value):
        raise _fail(
            "time", "a bare date is not a time: add the time of day, e.g. 2021-12-07T07:30:00-08:00"
        )
    raise _fail("time", f"{value!r} is not a date-time such as 2021-12-07T07:30:00-08:00")


def _date(value: object) -> date:
    if isinstance(value, datetime):
        raise _fail("date", "expected a date (YYYY-MM-DD), got a date-time")
    if isinstance(value, date):
        return value
    value = _expect_str(value, "a date (YYYY-MM-DD)")
    if _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail("date", f"{value!r} is not a date (YYYY-MM-DD)")


def _url(value: object) -> str:
    value = _expect_str(value, "a URL")
    if not _URL.match(value):
        raise _fail("url", f"{value!r} is not an http:// or https:// URL")
    return value


@cache
def zones() -> frozenset[str]:
    """IANA zone names from the tzdata package: the same list on every machine."""
    import tzdata

    try:
        # Beside the package's __init__; importlib.resources would cost `check` 10 ms.
        text = Path(tzdata.__file__).with_name("zones").read_text(encoding="utf-8")
    except (OSError, TypeError):  # a zipped installation
        from importlib import resources

        text = (resources.files("tzdata") / "zones").read_text(encoding="utf-8")
    return frozenset(text.split())


def _zone(value: object) -> str:
    value = _expect_str(value, "an IANA time zone name")
    if value not in zones():
        close = difflib.get_close_matches(value, sorted(zones()), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else " (e.g. 'UTC', 'America/Los_Angeles')"
        raise _fail("timezone", f"{value!r} is not an IANA time zone name{hint}")
    return value


def _choice(*values: str) -> Any:
    """The validator and JSON Schema of a text field that takes one of `values`."""

    def check(value: object) -> str:
        value = _expect_str(value, "one of: " + ", ".join(values))
        if value not in values:
            close = difflib.get_close_matches(value, values, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _fail("enum", f"{value!r} is not one of: {', '.join(values)}{hint}")
        return value

    return _validator(check, {"type": "string", "enum": list(values)})


def _caused_by(value: object) -> list[str]:
    if value == "trigger":
        return ["trigger"]
    if isinstance(value, str) and 0 < len(value) <= 64:
        raise _fail(
            "type",
            f"expected a list of step ids, or 'trigger'; write one step as a list: [{value}]",
        )
    if not isinstance(value, list) or not value:
        raise _fail("type", f"expected a list of step ids, or 'trigger'; got {describe(value)}")
    return [_slug(v) for v in value]


Markdown = Annotated[
    str,
    *_validator(
        _markdown,
        {"type": "string", "pattern": TEXT_PATTERN, "maxLength": MAX_TEXT, "x-markdown": True},
    ),
]
Line = Annotated[
    str, *_validator(_line, {"type": "string", "pattern": LINE_PATTERN, "maxLength": MAX_LINE})
]
_SLUG_SCHEMA = {"type": "string", "pattern": SLUG_PATTERN, "not": {"pattern": DEVICE_PATTERN}}
Slug = Annotated[str, *_validator(_slug, _SLUG_SCHEMA)]
Time = Annotated[
    datetime,
    *_validator(
        _time,
        {
            "type": "string",
            "pattern": TIME_PATTERN,
            "description": f"ISO 8601 date-time in the years {MIN_YEAR} to {MAX_YEAR}; "
            "without a UTC offset it is read in the record's timezone",
        },
    ),
]
Date = Annotated[
    date, *_validator(_date, {"type": "string", "format": "date", "pattern": DATE_PATTERN})
]
Url = Annotated[str, *_validator(_url, {"type": "string", "pattern": URL_PATTERN})]
Zone = Annotated[
    str, *_validator(_zone, {"type": "string", "enum": sorted(zones()) if zones() else []})
]
CausedBy = Annotated[
    list[str],
    *_validator(
        _caused_by,
        {
            "oneOf": [
                {"const": "trigger"},
                # The limit is on all lists together; a schema can only say it of each.
                {"type": "array", "minItems": 1, "maxItems": MAX_CAUSES, "items": _SLUG_SCHEMA},
            ]
        },
    ),
]

Status = Annotated[str, *_choice("draft", "review", "final")]
TriggerKind = Annotated[
    str,
    *_choice(
        "change",
        "deploy",
        "config",
        "operation",
        "capacity",
        "load",
        "software",
        "hardware",
        "power",
        "network",
        "dependency",
        "security",
        "unknown",
    ),
]
DetectionMethod = Annotated[
    str, *_choice("alert", "monitoring", "customer-report", "staff-report", "external", "other")
]
ActionKind = Annotated[str, *_choice("prevent", "mitigate", "detect", "process", "other")]
Priority = Annotated[str, *_choice("P0", "P1", "P2", "P3")]
ActionStatus = Annotated[str, *_choice("open", "in-progress", "done", "wont-do")]


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
            raise _fail(
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

    @model_validator(mode="after")
    def _localise(self) -> Incident:
        # A time written without an offset is read in the record's timezone.
        _localise_times(self, ZoneInfo(self.timezone))
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The record's display zone."""
        return ZoneInfo(self.timezone)


def _localise_times(model: BaseModel, zone: tzinfo) -> None:
    for name in _field_names(type(model)):
        value = getattr(model, name)
        if isinstance(value, datetime) and value.tzinfo is None:
            object.__setattr__(model, name, value.replace(tzinfo=zone))
        elif isinstance(value, BaseModel):
            _localise_times(value, zone)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    _localise_times(item, zone)


@cache
def _field_names(cls: type[BaseModel]) -> tuple[str, ...]:
    # Pydantic builds the mapping again at every access of `model_fields`.
    return tuple(cls.model_fields)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of format version 1, generated from the models."""
    schema = Incident.model_json_schema(mode="validation")
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
