"""Loaded data → (Incident | None, issues). Never raises for bad input."""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from postmortem.consistency import Facts, check_facts, field_path
from postmortem.diagnostics import Issue
from postmortem.fields import markdown_fields
from postmortem.loader import Document, Path
from postmortem.model import FORMAT_VERSION, Incident
from postmortem.scalars import MAX_BRACKETS, describe

_CONTAINERS = {"list_type": "a list", "model_type": "a mapping", "dict_type": "a mapping"}


def validate(doc: Document, path: str) -> tuple[Incident | None, list[Issue]]:
    """Check a loaded record against the format; an Incident only when it has no error."""
    try:
        incident = Incident.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        issues = [_from_pydantic(doc, path, err) for err in errors]
        # The rules across fields still run, on the values that passed: one wrong value
        # must not hide another.
        refused = [tuple(err["loc"]) for err in errors]
        return None, issues + check_facts(Facts.salvage(doc.data, refused), doc, path)
    issues = list(cross_check(incident, doc, path))
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
        model = _inner_model(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    # Unwrap list[X] and X | None down to a model class, if there is one.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _from_pydantic(doc: Document, path: str, err: Any) -> Issue:
    loc: Path = tuple(err["loc"])
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
    if kind == "literal_error" and loc == ("format",):
        message = (
            f"format {value!r} is not supported: this postmortem reads format {FORMAT_VERSION}"
        )
        return Issue(path, line, col, message, "format", field)
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
