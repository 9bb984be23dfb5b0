"""`postmortem index`: join the output folders of `render --shard K/N` into one site."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from postmortem.commands import common
from postmortem.errors import EXIT_INVALID

if TYPE_CHECKING:
    from datetime import datetime


def run(
    *,
    shards: tuple[str, ...],
    records: tuple[str, ...],
    outdir: str | None,
    formats: tuple[str, ...] | None,
    templates: str | None,
    today: datetime | None,
    quiet: bool,
    audience: str | None = None,
) -> None:
    """Join SHARDS into the output folder with its index, report, exit 0 or 1."""
    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.shards import join_shards

    settings = common.settings(
        output=Path(outdir) if outdir else None,
        formats=formats,
        templates=Path(templates) if templates else None,
        today=common.day(today),
        audience=audience.lower() if audience else None,
    )
    outdir = str(settings["output"])
    options = settings.render_options()
    policy = settings.policy(publish=True)
    sources = [Path(r) for r in common.paths(records, settings, "--records")]
    summary = join_shards([Path(s) for s in shards], Path(outdir), options, policy, sources)
    for issue in sort_issues(summary.issues):
        click.echo(format_text(issue), err=True)
    if not quiet:
        common.say(
            f"joined {len(shards)} shard(s): {len(summary.unchanged)} record(s) -> {outdir}/"
        )
    sys.exit(EXIT_INVALID if summary.failed else 0)
