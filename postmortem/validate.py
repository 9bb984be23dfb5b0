"""Loaded data → (Incident | None, issues). Never raises for bad input."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from postmortem.audience import KEYS
from postmortem.consistency import Facts, check_facts, field_path
from postmortem.diagnostics import Issue
from postmortem.fields import markdown_fields
from postmortem.loader import Document, Path
from postmortem.model import FORMAT_1_1_KEYS, UNION_TAGS, Incident, field_model, inner_model
from postmortem.scalars import MAX_BRACKETS, describe, is_format_1_1

_CONTAINERS = {"list_type": "a list", "model_type": "a mapping", "dict_type": "a mapping"}


def validate(
    doc: Document, path: str, marks: Sequence[Path] = (), marked: Document | None = None
) -> tuple[Incident | None, list[Issue]]:
    """Check a loaded record against the format; an Incident only when it has no error.

    `marks`: where the record as written (`marked`) carried the audience marks that its
    projection (`doc`) dropped: they are format 1.1 keys too.
    """
    gate = format_version_issues(doc, path, marks, marked or doc)
    try:
        incident = Incident.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        issues = [_from_pydantic(doc, path, err) for err in errors]
        # The rules across fields still run, on the values that passed: one wrong value
        # must not hide another.
        refused = [_loc(err) for err in errors]
        salvaged = check_facts(Facts.salvage(doc.data, refused), doc, path)
        return None, [*gate, *issues, *salvaged]
    issues = gate + cross_check(incident, doc, path)
    return (None if issues else incident), issues


_field = field_path


def _model_at(loc: Path) -> type[BaseModel] | None:
    """The model class that the mapping at `loc` is validated against."""
    model: Any = Incident
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = inner_model(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _loc(err: Any) -> Path:
    # A tagged union (a contributing factor: text or {id, text}) puts its tag in the path.
    return tuple(p for p in err["loc"] if p not in UNION_TAGS)


def _from_pydantic(doc: Document, path: str, err: Any) -> Issue:
    loc = _loc(err)
    kind = err["type"]
    value = err.get("input")
    line, col = doc.position(loc)
    field = _field(loc)
    if kind == "missing":
        key = loc[-1]
        where = f" in {_field(loc[:-1])}" if loc[:-1] else ""
        line, col = doc.position(loc[:-1])
        return Issue(path, line, col, f"missing required key {key!r}{where}", "required", field)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        line, col = doc.key_positions.get(loc, (line, col))
        model = _model_at(loc[:-1])
        known = list(model.model_fields) if model else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        where = f" in {_field(loc[:-1])}" if loc[:-1] else ""
        return Issue(path, line, col, f"unknown key {key!r}{where}{hint}", "unknown-key", field)
    if kind == "format":
        return Issue(path, line, col, err["ctx"]["message"], "format", field)
    if kind in _CONTAINERS:
        message = f"{field}: expected {_CONTAINERS[kind]}, got {describe(value)}"
        return Issue(path, line, col, _hint(doc, loc, message, value), "type", field)
    if kind == "too_short":
        return Issue(path, line, col, f"{field}: needs at least one entry", "required", field)
    if kind == "too_long":
        limit = err["ctx"]["max_length"]
        message = f"{field}: has {len(value):,} entries; the limit is {limit:,}"
        return Issue(path, line, col, message, "limit-items", field)
    message = f"{field}: " + (err["ctx"]["message"] if kind in _OUR_RULES else err["msg"])
    rule = kind if kind in _OUR_RULES else "value"
    if rule == "type":
        message = _hint(doc, loc, message, value)
    return Issue(path, line, col, message, rule, field)


_OUR_RULES = {
    "type",
    "empty",
    "single-line",
    "id",
    "time",
    "date",
    "url",
    "timezone",
    "enum",
    "lessons-empty",
    "limit-length",
}


def _hint(doc: Document, loc: Path, message: str, value: object) -> str:
    """Add how YAML read a plain scalar, when that reading caused the error."""
    reading = doc.readings.get(loc)
    if reading:
        return f"{message} ({reading}: quote the value)"
    if isinstance(value, dict) and len(value) == 1 and "got a mapping" in message:
        # `- The page: came late` is a mapping of one key, written on the item's line.
        [(key, text)] = value.items()
        where = doc.position(loc)[0]
        if isinstance(key, str) and doc.key_positions.get((*loc, key), (0, 0))[0] == where:
            fixed = json.dumps(f"{key}: {text}", ensure_ascii=False)
            shown = fixed if isinstance(text, str) else "quote the whole value"
            return f"{message} (a ': ' inside text needs quotes: {shown})"
    return message


def cross_check(incident: Incident, doc: Document, path: str) -> list[Issue]:
    """Rules that span fields (consistency.py), and the total of `[` in the Markdown."""
    issues = check_facts(Facts.of(incident), doc, path)
    brackets = 0
    for loc, text in markdown_fields(incident):
        brackets += text.count("[")
        if brackets > MAX_BRACKETS:
            # Counted before anything parses the Markdown: check stays linear in the bytes.
            message = (
                f"{_field(loc)}: '[' number {MAX_BRACKETS + 1:,} of the record's Markdown "
                f"(each may open a link or an image); the limit is {MAX_BRACKETS:,}"
            )
            issues.append(Issue(path, *doc.position(loc), message, "limit-items", _field(loc)))
            break
    return issues


def format_version_issues(
    doc: Document, path: str, marks: Sequence[Path] = (), marked: Document | None = None
) -> list[Issue]:
    """A format 1.1 key or mark in a record that does not say `format: 1.1` (`format-version`).

    Read from the loaded data, before the models: the message explains the key whatever else
    is wrong with the record. A `format` that is neither 1 nor 1.1 has its own error.
    """
    data = doc.data
    written = data.get("format", 1)
    if is_format_1_1(written) or not (written == 1 and not isinstance(written, bool)):
        return []
    issues: list[Issue] = []

    def fix() -> str:
        # Only once an issue needs it: a position costs a second parse of the record.
        if "format" in data:
            line = doc.position(("format",))[0]
            return f"change `format: 1` on line {line} to `format: 1.1`"
        return "write `format: 1.1` at the top of the record"

    def walk(value: Any, model: type[BaseModel], loc: Path) -> None:
        if not isinstance(value, dict):
            return
        new = FORMAT_1_1_KEYS.get(model, ())
        for key, child in value.items():
            if key in new:
                where = doc.key_positions.get((*loc, key), doc.position((*loc, key)))
                message = f"{key!r} is a format 1.1 key: {fix()}"
                issues.append(Issue(path, *where, message, "format-version", _field((*loc, key))))
                continue
            inner = field_model(model, key)
            if inner is None:
                continue
            if isinstance(child, list):
                for i, item in enumerate(child):
                    walk(item, inner, (*loc, key, i))
            else:
                walk(child, inner, (*loc, key))

    walk(data, Incident, ())
    factors = data.get("contributing_factors")
    for i, factor in enumerate(factors if isinstance(factors, list) else ()):
        if isinstance(factor, dict) and "id" in factor:
            loc: Path = ("contributing_factors", i)
            message = f"a contributing factor written as {{id, text}} is format 1.1: {fix()}"
            issues.append(Issue(path, *doc.position(loc), message, "format-version", _field(loc)))
    written_in = marked or doc
    for loc in marks:
        if loc and loc[-1] in KEYS:
            where = written_in.key_positions.get(loc, written_in.position(loc))
            message = f"{loc[-1]!r} is a format 1.1 key: {fix()}"
        else:
            where = written_in.position(loc)
            message = f"a list entry written as {{text: ...}} is format 1.1: {fix()}"
        issues.append(Issue(path, *where, message, "format-version", _field(loc)))
    return sorted(issues, key=lambda issue: (issue.line, issue.column))
