"""`postmortem check`: report every error in every record."""

from __future__ import annotations

import sys

import click

from postmortem.commands import common
from postmortem.errors import EXIT_INVALID


def run(paths: tuple[str, ...], output_format: str, quiet: bool, strict: bool = False) -> None:
    """Check the records under PATHS, print the issues, exit 0, 1 or 2 (warnings: 1 if strict)."""
    from postmortem.diagnostics import sort_issues

    results = common.checked(paths, common.settings())
    issues = sort_issues(i for r in results for i in r.issues)
    common.print_issues(issues, output_format)
    bad = sum(1 for r in results if not r.ok or (strict and r.issues))
    if not quiet and output_format == "text":
        errors = sum(1 for i in issues if i.severity == "error")
        summary = (
            f"{bad} of {len(results)} record(s) invalid, {errors} error(s)"
            if bad
            else f"{len(results)} record(s) valid"
        )
        if len(issues) > errors:
            summary += f", {len(issues) - errors} warning(s)"
        click.echo(summary, err=True)
    sys.exit(EXIT_INVALID if bad else 0)
