"""The publish gate: placeholders `new` left in a record, and the status a build requires.

A record's status says how far along it is; a build that publishes (`render
--require-status final`, or `require_status` in the configuration) refuses records below
the status it requires. A record marked `final` must not still hold the `TODO:` texts that
`postmortem new` writes; one in `review` is warned about, a draft is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, get_args

from pydantic import WithJsonSchema

from postmortem.diagnostics import Issue
from postmortem.scalars import Status

if TYPE_CHECKING:
    from postmortem.checker import Policy, Result
    from postmortem.loader import Path as Loc

# Every placeholder `postmortem new` writes starts with this (skeleton.py uses it).
PLACEHOLDER = "TODO:"

# The format lists its statuses in the order a record goes through them.
STATUSES: tuple[str, ...] = tuple(
    next(
        (m.json_schema or {})["enum"] for m in get_args(Status)[1:] if isinstance(m, WithJsonSchema)
    )
)

# What a placeholder still in the record is, by the record's status (absent: nothing).
_PLACEHOLDER_SEVERITY = {"review": "warning", "final": "error"}


def checks_placeholders(status: str) -> bool:
    """Whether `check` reports placeholders in a record of this status."""
    return status in _PLACEHOLDER_SEVERITY


def is_placeholder(text: str) -> bool:
    """Whether `text` is (still) a placeholder from `new`."""
    return text.lstrip().startswith(PLACEHOLDER)


def parse_status(value: object) -> str:
    """A status name of the format, or ValueError naming them."""
    if not isinstance(value, str) or value.strip().lower() not in STATUSES:
        raise ValueError(f"{value!r} is not a status: choose from {', '.join(STATUSES)}")
    return value.strip().lower()


def check_gate(result: Result, policy: Policy) -> None:
    """Add the gate's issues to a valid `result`; one that may not be published loses its
    Incident, as any invalid record does, so that no build writes it."""
    assert result.incident is not None and result.document is not None
    status = result.incident.status
    issues = []
    severity = _PLACEHOLDER_SEVERITY.get(status)
    if severity is not None:
        for loc, text in texts(result.document.data):
            if is_placeholder(text):
                line, col = result.document.position(loc)
                shown = " ".join(text.split())
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                where = _dotted(loc)
                message = (
                    f"{where}: {shown!r} is a placeholder from `postmortem new`: replace it "
                    "(a final record may hold none)"
                )
                issues.append(
                    Issue(result.path, line, col, message, "placeholder", where, severity)
                )
    required = policy.require_status
    if required is not None and STATUSES.index(status) < STATUSES.index(required):
        line, col = result.document.position(("status",))
        message = (
            f"status: {status!r} is below the required {required!r}; "
            "not published (require_status, --require-status)"
        )
        issues.append(Issue(result.path, line, col, message, "require-status", "status"))
    result.issues += issues
    if any(i.severity == "error" for i in issues):
        result.incident = None


def texts(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every text in a record's plain data, with where it is."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from texts(item, (*loc, index))


def _dotted(loc: Loc) -> str:
    """`("cascade", 0, "component")` → `cascade[0].component`."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
