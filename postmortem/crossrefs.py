"""The format 1.1 rules across fields: ids beyond the cascade, what action items address,
completion dates; on the valid parts of a record, as consistency.py's rules are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from postmortem.loader import Path
from postmortem.model import Incident
from postmortem.scalars import Date

Refused = Callable[[Path], bool]
Add = Callable[[Path, str, str], None]
Closest = Callable[[str, list[str]], "str | None"]


@dataclass
class Item:
    """What the rules read of one action item: its valid links, completion and status."""

    index: int
    addresses: list[tuple[int, str]] = field(default_factory=list)
    completed: date | None = None
    status: str | None = None  # None: refused by validation (no rule reads it then)


@dataclass
class Named:
    """Ids beyond the cascade ((index, id) of the valid ones) and the action items' links."""

    conditions: list[tuple[int, str]] = field(default_factory=list)
    factors: list[tuple[int, str]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    date: date | None = None
    refused_ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, incident: Incident) -> Named:
        """The ids and links of a valid record."""
        named = cls(date=incident.date)
        named.conditions = [(i, c.id) for i, c in enumerate(incident.conditions)]
        named.factors = [
            (i, f.id) for i, f in enumerate(incident.contributing_factors) if not isinstance(f, str)
        ]
        for i, item in enumerate(incident.action_items):
            links = list(enumerate(item.addresses))
            named.items.append(Item(i, links, item.completed, item.status))
        return named

    @classmethod
    def salvage(cls, data: dict[str, Any], bad: Refused) -> Named:
        """The ids and links that passed validation in a record that failed it."""
        named = cls(date=None if bad(("date",)) else _date(data.get("date")))
        lists = [("conditions", named.conditions), ("contributing_factors", named.factors)]
        for key, found in lists:
            for i, entry in _entries(data, key, bad):
                ident = entry.get("id")
                if not isinstance(ident, str):
                    continue
                if bad((key, i, "id")):
                    named.refused_ids.append(ident)
                else:
                    found.append((i, ident))
        for i, entry in _entries(data, "action_items", bad):
            item = Item(i)
            written = entry.get("addresses")
            if isinstance(written, list):
                item.addresses = [
                    (j, a)
                    for j, a in enumerate(written)
                    if isinstance(a, str) and not bad(("action_items", i, "addresses", j))
                ]
            if not bad(("action_items", i, "completed")):
                item.completed = _date(entry.get("completed"))
            if not bad(("action_items", i, "status")):
                item.status = entry.get("status", "open")
            named.items.append(item)
        return named


def _entries(data: dict[str, Any], key: str, bad: Refused) -> list[tuple[int, dict[str, Any]]]:
    """(index, mapping) of a list's entries that validation did not refuse whole."""
    written = data.get(key)
    if not isinstance(written, list) or bad((key,)):
        return []  # not a list, or too long: none of its entries is read
    return [(i, e) for i, e in enumerate(written) if isinstance(e, dict) and not bad((key, i))]


@cache
def _date_adapter() -> TypeAdapter[date]:
    return TypeAdapter(Date)


def _date(raw: object) -> date | None:
    """A date validation accepted, read again by the same validator (None if absent)."""
    if raw is None:
        return None
    try:
        return _date_adapter().validate_python(raw)
    except ValidationError:  # pragma: no cover - only values validation accepted come here
        return None


def check_named(
    named: Named, step_ids: dict[str, int], refused: list[str], closest: Closest, add: Add
) -> None:
    """Ids unique across steps, conditions and factors; `addresses` known; completion dates."""
    ids: dict[str, str] = {ident: f"cascade[{i}]" for ident, i in step_ids.items()}
    places = [(("conditions", i, "id"), c) for i, c in named.conditions]
    places += [(("contributing_factors", i, "id"), f) for i, f in named.factors]
    for loc, ident in places:
        where = f"{loc[0]}[{loc[1]}]"
        if ident == "trigger":
            add(loc, "'trigger' names the trigger; choose another id", "id")
        elif ident in ids:
            add(loc, f"id {ident!r} is already used by {ids[ident]}", "duplicate-id")
        else:
            ids[ident] = where

    unknown_ids = refused + named.refused_ids
    for item in named.items:
        for j, ident in item.addresses:
            if ident in ids or (unknown_ids and closest(ident, unknown_ids)):
                continue  # a link to an id refused is that id's error, not a second one
            close = closest(ident, list(ids))
            hint = f" (did you mean {close!r}?)" if close else ""
            message = (
                f"{ident!r} is not the id of a cascade step, condition or contributing factor{hint}"
            )
            add(("action_items", item.index, "addresses", j), message, "unknown-id")
        if item.completed is None:
            continue
        at: Path = ("action_items", item.index, "completed")
        if named.date is not None and item.completed < named.date:
            message = (
                f"{item.completed.isoformat()} is before the incident's date "
                f"{named.date.isoformat()}"
            )
            add(at, message, "completed-before-date")
        if item.status is not None and item.status != "done":
            message = (
                f"a completed date with status {item.status!r}: set `status: done`, or leave "
                "`completed` out until it is done"
            )
            add(at, message, "completed-not-done")
