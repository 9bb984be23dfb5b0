"""What several commands share: settings, the policy, the PATHs default, safe printing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from postmortem.errors import EXIT_USAGE

if TYPE_CHECKING:
    from datetime import date, datetime

    from postmortem.checker import Policy, Result
    from postmortem.config import Settings
    from postmortem.diagnostics import Issue


def say(text: str, *, err: bool = True) -> None:
    """Print one line that may hold foreign text (paths, values), made safe for CI logs."""
    from postmortem.diagnostics import printable

    click.echo(printable(text), err=err)


def settings(**flags: object) -> Settings:
    """Config file and environment, then the flags that were given (not None)."""
    from postmortem.config import ConfigError, load_settings
    from postmortem.diagnostics import format_text

    try:
        found = load_settings()
    except ConfigError as exc:
        for issue in exc.issues:
            click.echo(format_text(issue), err=True)
        sys.exit(EXIT_USAGE)
    for key, value in flags.items():
        if value is not None:
            found.set(key, value, "command line")
    return found


def paths(given: tuple[str, ...], settings: Settings, option: str = "PATH") -> tuple[str, ...]:
    """The PATHs given (as `option`), or the configured incidents folder."""
    if given:
        return given
    folder = settings["incidents"]
    if not Path(folder).is_dir():
        say(
            f"Error: no {option} given, and the incidents folder {folder} "
            f"({settings.sources['incidents']}) does not exist"
        )
        sys.exit(EXIT_USAGE)
    return (str(folder),)


def day(value: datetime | None) -> date | None:
    """The date of a `click.DateTime` option's value."""
    return value.date() if value is not None else None


def checked(
    given: tuple[str, ...], settings: Settings, policy: Policy | None = None
) -> list[Result]:
    """The records under the PATHs given (or the incidents folder), checked with `policy`
    (default: the settings'); exit 2 if there is none."""
    from postmortem.checker import check_paths

    paths_ = paths(given, settings)
    results = check_paths(paths_, policy or settings.policy())
    if not results:
        say(f"Error: no *.yaml or *.yml records found in {', '.join(paths_)}")
        sys.exit(EXIT_USAGE)
    return results


def print_issues(issues: list[Issue], output_format: str) -> None:
    """Issues on stdout in the format `--format` chose (check's and review's printers)."""
    from postmortem.diagnostics import format_github, format_json, format_text

    if output_format == "json":
        click.echo(format_json(issues))
        return
    fmt = format_github if output_format == "github" else format_text
    for issue in issues:
        click.echo(fmt(issue))
