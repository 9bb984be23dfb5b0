"""Loaded data → (Incident | None, issues). Never raises for bad input."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from postmortem.diagnostics import Issue
from postmortem.fields import markdown_fields
from postmortem.loader import Document, Path
from postmortem.model import (
    FORMAT_1_1_KEYS,
    UNION_TAGS,
    Incident,
    causes,
    inner_model,
    step_key,
)
from postmortem.scalars import MAX_BRACKETS, MAX_CAUSES, describe, is_format_1_1

_CONTAINERS = {"list_type": "a list", "model_type": "a mapping", "dict_type": "a mapping"}


def validate(doc: Document, path: str) -> tuple[Incident | None, list[Issue]]:
    """Check a loaded record against the format; an Incident only when it has no error."""
    gate = format_version_issues(doc, path)
    try:
        incident = Incident.model_validate(doc.data)
    except ValidationError as exc:
        issues = [_from_pydantic(doc, path, err) for err in exc.errors(include_url=False)]
        return None, [*gate, *issues]
    issues = gate + cross_check(incident, doc, path) + cross_check_1_1(incident, doc, path)
    return (None if issues else incident), issues


def _field(loc: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in loc).replace(".[", "[")


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


def _from_pydantic(doc: Document, path: str, err: Any) -> Issue:
    # A tagged union (a contributing factor: text or {id, text}) puts its tag in the path.
    loc: Path = tuple(p for p in err["loc"] if p not in UNION_TAGS)
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
        return Issue(path, line, col, _hint(doc, loc, message), "type", field)
    if kind == "too_short":
        return Issue(path, line, col, f"{field}: needs at least one entry", "required", field)
    if kind == "too_long":
        limit = err["ctx"]["max_length"]
        message = f"{field}: has {len(value):,} entries; the limit is {limit:,}"
        return Issue(path, line, col, message, "limit-items", field)
    message = f"{field}: " + (err["ctx"]["message"] if kind in _OUR_RULES else err["msg"])
    rule = kind if kind in _OUR_RULES else "value"
    if rule == "type":
        message = _hint(doc, loc, message)
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


def _hint(doc: Document, loc: Path, message: str) -> str:
    """Add how YAML 1.1 read a plain scalar, when that reading caused the error."""
    reading = doc.readings.get(loc)
    return f"{message} ({reading}: quote the value)" if reading else message


def cross_check(incident: Incident, doc: Document, path: str) -> list[Issue]:
    """Rules that span fields: step references, cycles, windows."""
    issues: list[Issue] = []

    def add(loc: Path, message: str, rule: str) -> None:
        issues.append(Issue(path, *doc.position(loc), message, rule, _field(loc)))

    keys: dict[str, int] = {}
    for i, step in enumerate(incident.cascade):
        if step.id == "trigger":
            add(("cascade", i, "id"), "'trigger' names the trigger; choose another step id", "id")
        elif step.id in keys:
            add(
                ("cascade", i, "id"),
                f"step id {step.id!r} is already used by cascade[{keys[step.id]}]",
                "duplicate-id",
            )
        keys.setdefault(step_key(step, i), i)

    all_causes = causes(incident.cascade)
    over = _past_cause_limit(all_causes)
    if over is not None:
        # Refused before the links are looked at one by one: a record far past the limit
        # costs no more to check than one at it. An implied link has no entry: name the step.
        i, j = over
        loc: Path = ("cascade", i, "caused_by", j)
        if incident.cascade[i].caused_by is None:
            loc = ("cascade", i)
        message = (
            f"{_field(loc)}: cause link number {MAX_CAUSES + 1:,} of the cascade "
            f"(written or implied); the limit is {MAX_CAUSES:,}"
        )
        add(loc, message, "limit-items")

    conditions = {c.id for c in incident.conditions}
    known = ["trigger", *keys, *conditions]
    kinds = "a step or condition id" if conditions else "a step id"
    for i, step in enumerate(incident.cascade if over is None else ()):
        if step.caused_by is None:
            continue
        for j, cause in enumerate(step.caused_by):
            if cause in keys or cause == "trigger" or cause in conditions:
                continue
            loc = ("cascade", i, "caused_by", j)
            if loc not in doc.positions:
                loc = loc[:-1]
            close = difflib.get_close_matches(cause, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            add(loc, f"caused_by names {cause!r}, which is not {kinds}{hint}", "unknown-step")

    # With a duplicate or reserved id (or too many links) the graph is ill-defined: report
    # those alone first.
    cycle = None if issues else _find_cycle(incident, all_causes, keys)
    if cycle is not None:
        first = keys[cycle[0]]
        add(
            ("cascade", first, "caused_by"),
            "caused_by forms a cycle: " + " → ".join(cycle),
            "cycle",
        )

    brackets = 0
    for loc, text in markdown_fields(incident):
        brackets += text.count("[")
        if brackets > MAX_BRACKETS:
            # Counted before anything parses the Markdown: check stays linear in the bytes.
            message = (
                f"{_field(loc)}: '[' number {MAX_BRACKETS + 1:,} of the record's Markdown "
                f"(each may open a link or an image); the limit is {MAX_BRACKETS:,}"
            )
            add(loc, message, "limit-items")
            break

    impact = incident.impact
    if impact.end is not None and impact.end < impact.start:
        add(("impact", "end"), "impact.end is before impact.start", "end-before-start")
    for i, svc in enumerate(impact.services):
        start = svc.start or impact.start
        if svc.end is not None and svc.end < start:
            which = "its start" if svc.start else "impact.start"
            add(
                ("impact", "services", i, "end"),
                f"end of {svc.name!r} is before {which}",
                "end-before-start",
            )
    return issues


def format_version_issues(doc: Document, path: str) -> list[Issue]:
    """A format 1.1 key in a record that does not say `format: 1.1` (rule `format-version`).

    Read from the loaded data, before the models: the message explains the key whatever else
    is wrong with the record. A `format` that is neither 1 nor 1.1 has its own error.
    """
    data = doc.data
    written = data.get("format", 1)
    if is_format_1_1(written) or not (written == 1 and not isinstance(written, bool)):
        return []
    if "format" in data:
        line = doc.position(("format",))[0]
        fix = f"change `format: 1` on line {line} to `format: 1.1`"
    else:
        fix = "write `format: 1.1` at the top of the record"
    issues: list[Issue] = []

    def walk(value: Any, model: type[BaseModel], loc: Path) -> None:
        if not isinstance(value, dict):
            return
        new = FORMAT_1_1_KEYS.get(model, ())
        for key, child in value.items():
            if key in new:
                where = doc.key_positions.get((*loc, key), doc.position((*loc, key)))
                message = f"{key!r} is a format 1.1 key: {fix}"
                issues.append(Issue(path, *where, message, "format-version", _field((*loc, key))))
                continue
            info = model.model_fields.get(key)
            inner = inner_model(info.annotation) if info is not None else None
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
        if isinstance(factor, dict):
            loc: Path = ("contributing_factors", i)
            message = f"a contributing factor written as {{id, text}} is format 1.1: {fix}"
            issues.append(Issue(path, *doc.position(loc), message, "format-version", _field(loc)))
    return issues


def cross_check_1_1(incident: Incident, doc: Document, path: str) -> list[Issue]:
    """Rules of the keys format 1.1 added: ids, what action items address, completion dates."""
    issues: list[Issue] = []

    def add(loc: Path, message: str, rule: str) -> None:
        issues.append(Issue(path, *doc.position(loc), message, rule, _field(loc)))

    # One namespace: `caused_by` may name a condition, `addresses` any of the three.
    ids: dict[str, str] = {
        step.id: f"cascade[{i}]" for i, step in enumerate(incident.cascade) if step.id
    }
    named: list[tuple[Path, str]] = [
        (("conditions", i, "id"), c.id) for i, c in enumerate(incident.conditions)
    ]
    named += [
        (("contributing_factors", i, "id"), f.id)
        for i, f in enumerate(incident.contributing_factors)
        if not isinstance(f, str)
    ]
    for loc, ident in named:
        if ident == "trigger":
            add(loc, "'trigger' names the trigger; choose another id", "id")
        elif ident in ids:
            add(loc, f"id {ident!r} is already used by {ids[ident]}", "duplicate-id")
        else:
            ids[ident] = _field(loc[:-1])

    for i, item in enumerate(incident.action_items):
        for j, ident in enumerate(item.addresses):
            if ident not in ids:
                close = difflib.get_close_matches(ident, list(ids), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                add(
                    ("action_items", i, "addresses", j),
                    f"addresses names {ident!r}, which is not the id of a cascade step, "
                    f"condition or contributing factor{hint}",
                    "unknown-id",
                )
        if item.completed is None:
            continue
        loc = ("action_items", i, "completed")
        if item.completed < incident.date:
            add(
                loc,
                f"completed {item.completed.isoformat()} is before the incident's date "
                f"{incident.date.isoformat()}",
                "completed-before-date",
            )
        if item.status != "done":
            add(
                loc,
                f"a completed date with status {item.status!r}: set `status: done`, or leave "
                "`completed` out until it is done",
                "completed-not-done",
            )
    return issues


def _past_cause_limit(all_causes: list[list[str]]) -> tuple[int, int] | None:
    """(step, entry) of the cause link that passes MAX_CAUSES, or None within the limit."""
    total = 0
    for i, step_causes in enumerate(all_causes):
        if total + len(step_causes) > MAX_CAUSES:
            return i, MAX_CAUSES - total
        total += len(step_causes)
    return None


def _find_cycle(
    incident: Incident, all_causes: list[list[str]], keys: dict[str, int]
) -> list[str] | None:
    """A cycle among the steps, cause → effect, its first key repeated at the end; or None."""
    graph = {
        step_key(step, i): [c for c in all_causes[i] if c in keys]
        for i, step in enumerate(incident.cascade)
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                trail.append(node)
            nexts = graph[node]
            if i < len(nexts):
                stack.append((node, i + 1))
                nxt = nexts[i]
                if state.get(nxt) == 1:
                    loop = trail[trail.index(nxt) :]
                    # The trail follows 'caused by'; print it cause → effect.
                    return [nxt, *reversed(loop)]
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                trail.pop()
    return None
