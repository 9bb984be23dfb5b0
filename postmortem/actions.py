"""Action items across many incidents: the list behind `postmortem actions` and the index."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from postmortem.derive import OPEN_STATUSES, PRIORITY_RANK, is_overdue
from postmortem.diagnostics import dumps_json, printable
from postmortem.summary import ActionSummary, RecordSummary

STATUSES = ("open", "in-progress", "done", "wont-do")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"): `=HYPERLINK(...)` in an owner field would run on the reader's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Action:
    """One action item, with the incident it belongs to."""

    incident: RecordSummary
    item: ActionSummary
    overdue: bool

    @property
    def owner(self) -> str:
        return self.item.owner or "unassigned"

    def as_dict(self) -> dict[str, object]:
        item = self.item
        return {
            "incident": self.incident.id,
            "incident_title": self.incident.title,
            "title": item.title,
            "kind": item.kind,
            "owner": item.owner,
            "priority": item.priority,
            "status": item.status,
            "due": item.due.isoformat() if item.due else None,
            "overdue": self.overdue,
            "link": item.link,
            "ticket": item.ticket,
            "completed": item.completed.isoformat() if item.completed else None,
            "addresses": list(item.addresses),
        }


def collect(
    incidents: Iterable[RecordSummary],
    *,
    today: date,
    statuses: Iterable[str] = OPEN_STATUSES,
    overdue_only: bool = False,
    owner: str | None = None,
) -> list[Action]:
    """Action items matching the filters: overdue first, then by priority (P0 first, unset
    last), due date, incident, title."""
    wanted = set(statuses)
    found = []
    for incident in incidents:
        for item in incident.action_items:
            action = Action(incident, item, is_overdue(item, today))
            if item.status not in wanted or (overdue_only and not action.overdue):
                continue
            if owner is not None and action.owner.casefold() != owner.casefold():
                continue
            found.append(action)
    return sorted(
        found,
        key=lambda a: (
            not a.overdue,
            PRIORITY_RANK.get(a.item.priority or "", len(PRIORITY_RANK)),
            a.item.due or date.max,
            a.incident.id,
            a.item.title,
        ),
    )


def by_owner(actions: list[Action]) -> list[tuple[str, list[Action]]]:
    """Group by owner, owners sorted by name with `unassigned` last."""
    groups: dict[str, list[Action]] = {}
    for action in actions:
        groups.setdefault(action.owner, []).append(action)
    return sorted(groups.items(), key=lambda kv: (kv[0] == "unassigned", kv[0].casefold()))


def format_text(actions: list[Action]) -> str:
    """Aligned columns for a terminal: flag, due, status, owner, priority, title [ticket],
    incident."""
    rows = [
        tuple(
            map(
                printable,
                (
                    "OVERDUE" if a.overdue else "",
                    a.item.due.isoformat() if a.item.due else "-",
                    a.item.status,
                    a.owner,
                    a.item.priority or "-",
                    a.item.title,
                    a.incident.id,
                    a.item.ticket or "",
                ),
            )
        )
        for a in actions
    ]
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for row in rows:
        cols = [row[i].ljust(widths[i]) for i in range(5)]
        ticket = f"  [{row[7]}]" if row[7] else ""  # where it is tracked (1.1)
        lines.append("  ".join([*cols, f"{row[5]}{ticket}  ({row[6]})"]).rstrip())
    return "\n".join(lines) + "\n"


def format_json(actions: list[Action]) -> str:
    """A JSON list of objects, one per action item."""
    return dumps_json([a.as_dict() for a in actions]) + "\n"


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading `'` before a formula's start."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def format_csv(actions: list[Action]) -> str:
    """CSV with a header row; the same columns as JSON, no cell read as a formula."""
    out = io.StringIO()
    fields = [
        "incident",
        "incident_title",
        "title",
        "kind",
        "owner",
        "priority",
        "status",
        "due",
        "overdue",
        "link",
        "ticket",
        "completed",
        "addresses",
    ]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for action in actions:
        row = action.as_dict()
        row["overdue"] = "yes" if action.overdue else "no"
        row["addresses"] = " ".join(action.item.addresses)
        writer.writerow({k: csv_cell(row[k]) for k in fields})
    return out.getvalue()


FORMATTERS = {"text": format_text, "json": format_json, "csv": format_csv}
