"""`postmortem actions`: list action items across records."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from postmortem.commands import common
from postmortem.errors import EXIT_INVALID

if TYPE_CHECKING:
    from datetime import datetime


def run(
    *,
    paths: tuple[str, ...],
    statuses: tuple[str, ...],
    overdue: bool,
    owner: str | None,
    output_format: str,
    today: datetime | None,
    fail_on_overdue: bool,
    audience: str | None = None,
) -> None:
    """Print the matching action items; exit 1 on an invalid record or (if asked) overdue."""
    from postmortem.actions import FORMATTERS, collect
    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.summary import RecordSummary

    settings = common.settings(
        today=common.day(today), audience=audience.lower() if audience else None
    )
    results = common.checked(paths, settings, settings.policy(audience=True))
    for issue in sort_issues(i for r in results for i in r.issues):
        click.echo(format_text(issue), err=True)
    found = collect(
        [RecordSummary.of(r.incident) for r in results if r.incident is not None],
        today=settings.today,
        statuses=statuses or ("open", "in-progress"),
        overdue_only=overdue,
        owner=owner,
    )
    click.echo(FORMATTERS[output_format](found), nl=False)
    invalid = any(r.incident is None and not r.withheld for r in results)
    late = fail_on_overdue and any(a.overdue for a in found)
    if late:
        click.echo(f"{sum(a.overdue for a in found)} overdue action item(s)", err=True)
    sys.exit(EXIT_INVALID if invalid or late else 0)
