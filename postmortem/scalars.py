"""The record's limits and scalar field types: patterns, validators and JSON Schemas.

Text-like fields use small validators of our own instead of pydantic's built-in
constraints so that every message says what to write, and each carries the JSON Schema
that states the same rule (`WithJsonSchema`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from postmortem.zones import LocalTimeError, local_time, record_zone, zone_problem, zones

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


def fail(rule: str, message: str) -> PydanticCustomError:
    """An error whose type is our rule name; the message goes in as data, never as a template."""
    return PydanticCustomError(rule, "{message}", {"message": message})


def _expect_str(value: object, kind: str) -> str:
    if not isinstance(value, str):
        raise fail("type", f"expected {kind}, got {describe(value)}")
    return value


def _validator(check: Callable[[Any], Any], schema: dict[str, Any]) -> Any:
    return (PlainValidator(check), WithJsonSchema(schema))


def _markdown(value: object, limit: int = MAX_TEXT) -> str:
    value = _expect_str(value, "text")
    if not _TEXT.search(value):
        raise fail("empty", "must not be empty")
    if len(value) > limit:
        raise fail("limit-length", f"is {len(value):,} characters long; the limit is {limit:,}")
    return value


def _line(value: object) -> str:
    value = _markdown(value, MAX_LINE)
    if not _LINE.match(value):
        char = _CONTROL_CHAR.search(value)
        if char is None or char.group() in "\r\n":
            raise fail("single-line", "must be a single line")
        raise fail(
            "single-line",
            f"must be a single line of plain text: U+{ord(char.group()):04X} at character "
            f"{char.start() + 1} is a control character or line separator",
        )
    return value.strip()


def _slug(value: object) -> str:
    value = _expect_str(value, "an id")
    if not _SLUG.match(value):
        raise fail(
            "id",
            f"{value!r} is not a valid id: use 1-100 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    if _DEVICE.match(value):
        raise fail("id", f"{value!r} is a reserved device name on Windows; choose another id")
    return value


def is_valid_id(value: str) -> bool:
    """True for an id that may name a record and its output files."""
    return bool(_SLUG.match(value)) and not _DEVICE.match(value)


def _time(value: object) -> datetime:
    when = _in_range(_parse_time(value))
    zone = record_zone()
    if when.tzinfo is None and zone is not None:
        try:
            return local_time(when, zone)
        except LocalTimeError as exc:
            raise fail("time", str(exc)) from None
    return when


def _in_range(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise fail(
            "time",
            f"{value.isoformat()} is out of range: times must be in the years "
            f"{MIN_YEAR} to {MAX_YEAR}",
        )
    return value


def _parse_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise fail(
            "time", "a bare date is not a time: add the time of day, e.g. 2021-12-07T07:30:00-08:00"
        )
    value = _expect_str(value, "a date-time such as 2021-12-07T07:30:00-08:00")
    if _TIME.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    if _DATE.match(value):
        raise fail(
            "time", "a bare date is not a time: add the time of day, e.g. 2021-12-07T07:30:00-08:00"
        )
    raise fail("time", f"{value!r} is not a date-time such as 2021-12-07T07:30:00-08:00")


def _date(value: object) -> date:
    if isinstance(value, datetime):
        raise fail("date", "expected a date (YYYY-MM-DD), got a date-time")
    if isinstance(value, date):
        return value
    value = _expect_str(value, "a date (YYYY-MM-DD)")
    if _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail("date", f"{value!r} is not a date (YYYY-MM-DD)")


def _url(value: object) -> str:
    value = _expect_str(value, "a URL")
    if not _URL.match(value):
        raise fail("url", f"{value!r} is not an http:// or https:// URL")
    return value


def _zone(value: object) -> str:
    value = _expect_str(value, "an IANA time zone name")
    problem = zone_problem(value)
    if problem:
        raise fail("timezone", problem)
    return value


def _choice(*values: str) -> Any:
    """The validator and JSON Schema of a text field that takes one of `values`."""

    def check(value: object) -> str:
        value = _expect_str(value, "one of: " + ", ".join(values))
        if value not in values:
            close = difflib.get_close_matches(value, values, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail("enum", f"{value!r} is not one of: {', '.join(values)}{hint}")
        return value

    return _validator(check, {"type": "string", "enum": list(values)})


def is_format_1_1(value: object) -> bool:
    """True when a record's `format` value, as loaded, says 1.1 (YAML reads `1.1` as a float)."""
    return value == "1.1" or (isinstance(value, float) and value == 1.1)


def _format(value: object) -> int | float:
    # A boolean is no version (True == 1 in Python).
    if is_format_1_1(value):
        return 1.1
    if isinstance(value, int) and not isinstance(value, bool) and value == 1:
        return 1
    message = f"format {value!r} is not supported: this postmortem reads formats 1 and 1.1"
    raise fail("format", message)


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail("type", f"expected a number, got {describe(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise fail("type", "expected a finite number")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise fail("type", f"expected true or false, got {describe(value)}")
    return value


def _caused_by(value: object) -> list[str]:
    if value == "trigger":
        return ["trigger"]
    if isinstance(value, str) and 0 < len(value) <= 64:
        raise fail(
            "type",
            f"expected a list of step ids, or 'trigger'; write one step as a list: [{value}]",
        )
    if not isinstance(value, list) or not value:
        raise fail("type", f"expected a list of step ids, or 'trigger'; got {describe(value)}")
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
            "without a UTC offset it is read in the record's timezone, where it must "
            "exist exactly once (not skipped or repeated by a daylight-saving change)",
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

FormatVersion = Annotated[
    int | float,
    *_validator(
        _format,
        {"enum": [1, 1.1, "1.1"], "description": "format version: 1 (default) or 1.1"},
    ),
]
Number = Annotated[int | float, *_validator(_number, {"type": "number"})]
Flag = Annotated[bool, *_validator(_flag, {"type": "boolean"})]

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
# Format 1.1. Impact levels, least to worst (docs/incident-format.md says what each means).
IMPACT_LEVELS = ("degraded", "partial", "down")
ImpactLevel = Annotated[str, *_choice(*IMPACT_LEVELS)]
DataState = Annotated[str, *_choice("none", "suspected", "confirmed", "unknown")]
