"""`postmortem review`: check, then review the valid records for blameless writing."""

from __future__ import annotations

import sys

import click

from postmortem.commands import common
from postmortem.errors import EXIT_INVALID


def run(paths: tuple[str, ...], output_format: str, quiet: bool, strict: bool) -> None:
    """Check and review the records under PATHS, print the issues, exit 0, 1 or 2."""
    from postmortem.diagnostics import sort_issues
    from postmortem.review import review_result

    settings = common.settings()
    results = common.checked(paths, settings)
    ignore = settings["review_ignore"] or ()
    found = [i for r in results for i in review_result(r, ignore=ignore, strict=strict)]
    # Check's issues and the findings, printed as `check` prints.
    common.print_issues(
        sort_issues([*(i for r in results for i in r.issues), *found]), output_format
    )
    bad = sum(1 for r in results if not r.ok)
    if not quiet and output_format == "text":
        summary = f"{len(results) - bad} record(s) reviewed, {len(found)} finding(s)"
        if bad:
            summary = f"{bad} of {len(results)} record(s) invalid (not reviewed); " + summary
        click.echo(summary, err=True)
    # Findings are errors with --strict; an internal error always is.
    failed = bad or any(i.severity == "error" for i in found)
    sys.exit(EXIT_INVALID if failed else 0)
