"""YAML scalars that are not text: their construction, and how YAML 1.1 read them."""

from __future__ import annotations

import json
from typing import Any, cast

import yaml
from yaml import events

from postmortem.files import LoadError

STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def position_of(ev: events.Event) -> tuple[int, int]:
    """Where a parser event starts: (line, column), 1-based."""
    # The parser gives every event its marks; the stubs allow None for hand-built events.
    mark = cast("yaml.Mark", ev.start_mark)
    return mark.line + 1, mark.column + 1


def scalar(ev: events.ScalarEvent, tag: str) -> tuple[Any, str | None]:
    """Construct a non-text scalar's value (its `tag` resolved); and how YAML 1.1 read it."""
    if tag not in _ALLOWED_TAGS:
        raise LoadError(
            f"tag {tag!r} is not allowed: records hold plain data only",
            "yaml-tag",
            *position_of(ev),
        )
    node = yaml.ScalarNode(tag, ev.value)
    try:
        if tag.endswith(":null"):
            value: Any = None
        elif tag.endswith(":bool"):
            value = _CONSTRUCTOR.construct_yaml_bool(node)
        elif tag.endswith(":int"):
            value = _CONSTRUCTOR.construct_yaml_int(node)
        elif tag.endswith(":float"):
            value = _CONSTRUCTOR.construct_yaml_float(node)
        else:
            value = _CONSTRUCTOR.construct_yaml_timestamp(node)
    # PyYAML's constructors trust that the resolver's pattern matched; text under an
    # explicit tag was never matched, and fails in their lookups (`!!bool maybe`: KeyError,
    # `!!int ""`: IndexError, `!!timestamp x`: AttributeError), not only in int() or date().
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, yaml.YAMLError) as exc:
        if ev.implicit[0]:
            # A plain scalar that only looks like a date (2021-13-01) stays text;
            # validation then says what is wrong with it.
            return ev.value, None
        raise LoadError(
            f"{ev.value!r} is not a valid {tag[len(STD) :]}", "yaml-tag", *position_of(ev)
        ) from exc
    if not ev.implicit[0] or value is None:
        return value, None
    return value, _reading(ev.value, value)


def _reading(text: str, value: Any) -> str | None:
    """Describe a surprising YAML 1.1 reading of a plain scalar, or None if unsurprising."""
    if isinstance(value, bool):
        return f"YAML 1.1 reads {text} as the boolean {str(value).lower()}"
    if isinstance(value, int | float) and ":" in text:
        return f"YAML 1.1 reads {text} as the base-60 number {value}"
    if isinstance(value, int) and text.lstrip("+-").startswith("0") and text.strip("+-0"):
        return f"YAML 1.1 reads {text} as the octal number {value}"
    if isinstance(value, float) and str(value) != text:
        return f"YAML 1.1 reads {text} as the number {value}"
    if not isinstance(value, int | float):
        return f"YAML reads {text} as a date"
    return f"YAML reads {text} as a number"


def colon_hint(text: str, index: int) -> str:
    """For YAML's "mapping values are not allowed": the line at `index` with its text quoted.

    A plain scalar ends at a ': ', and YAML then reads what follows as a nested mapping,
    which it refuses mid-line; the line is shown from its first character, key kept.
    """
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    line = text[start : len(text) if end < 0 else end]
    body = line.lstrip(" ")
    lead = ""
    while body.startswith("- "):
        lead += "- "
        body = body[2:].lstrip(" ")
    if body.startswith("---"):
        return ""  # a document's start marker: not text with a ': ' in it
    sep = body.find(": ")
    general = " (a ': ' inside text needs quotes: quote the whole value)"
    # The key's ': ' must come before the one YAML stopped at, and the key be plain text.
    if sep <= 0 or len(line) - len(body) + sep >= index - start or body[0] in "'\"{[?&*!|>%@`":
        return general
    value, hash_, comment = body[sep + 2 :].partition(" #")
    value = value.strip()
    if not value or value[0] in "'\"":
        return general
    comment = f"  #{comment}" if hash_ else ""
    # JSON's string syntax is a valid YAML double-quoted scalar.
    quoted = json.dumps(value, ensure_ascii=False)
    return f" (a ': ' inside text needs quotes: {lead}{body[:sep]}: {quoted}{comment})"
