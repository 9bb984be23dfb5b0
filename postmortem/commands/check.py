"""`postmortem check`: report every error in every record."""

from __future__ import annotations

import sys

import click

from postmortem.commands import common
from postmortem.errors import EXIT_INVALID, EXIT_USAGE


def run(paths: tuple[str, ...], output_format: str, quiet: bool, strict: bool = False) -> None:
    """Check the records under PATHS, print the issues, exit 0, 1 or 2 (warnings: 1 if strict)."""
    from postmortem.checker import check_paths
    from postmortem.diagnostics import format_github, format_json, format_text, sort_issues

    settings = common.settings()
    paths = common.paths(paths, settings)
    results = check_paths(paths, settings.policy())
    if not results:
        common.say(f"Error: no *.yaml or *.yml records found in {', '.join(paths)}")
        sys.exit(EXIT_USAGE)
    issues = sort_issues(i for r in results for i in r.issues)
    if output_format == "json":
        click.echo(format_json(issues))
    else:
        fmt = format_github if output_format == "github" else format_text
        for issue in issues:
            click.echo(fmt(issue))
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
