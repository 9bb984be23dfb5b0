"""`postmortem render`: records to Markdown, HTML, PDF and the index."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from postmortem.commands import common
from postmortem.errors import EXIT_INVALID, EXIT_USAGE

if TYPE_CHECKING:
    from datetime import datetime


def run(
    *,
    paths: tuple[str, ...],
    outdir: str | None,
    formats: tuple[str, ...] | None,
    templates: str | None,
    page_size: str | None,
    pdf_variant: str | None,
    today: datetime | None,
    jobs: int | None,
    force: bool,
    shard: tuple[int, int] | None,
    quiet: bool,
    verbose: bool,
    require_status: str | None = None,
    audience: str | None = None,
) -> None:
    """Build the site from the records under PATHS, report, exit 0 or 1."""
    from postmortem.diagnostics import format_text, sort_issues
    from postmortem.pipeline import build

    started = time.monotonic()
    bar = Progress(enabled=not quiet and sys.stderr.isatty() and not os.environ.get("CI"))
    settings = common.settings(
        output=Path(outdir) if outdir else None,
        formats=formats,
        templates=Path(templates) if templates else None,
        page_size=("Letter" if page_size.lower() == "letter" else "A4") if page_size else None,
        today=common.day(today),
        require_status=require_status,
        audience=audience.lower() if audience else None,
    )
    paths = common.paths(paths, settings)
    outdir = str(settings["output"])
    if settings["templates"] is not None and not Path(settings["templates"]).is_dir():
        common.say(f"Error: the templates folder {settings['templates']} does not exist")
        sys.exit(EXIT_USAGE)
    options = settings.render_options(pdf_variant)
    try:  # no records, an unusable folder, a write that fails: `Error: …` (see cli._Group)
        summary = build(
            paths,
            Path(outdir),
            options,
            jobs=jobs or os.cpu_count() or 1,
            force=force,
            progress=bar.update,
            shard=shard,
            policy=settings.policy(publish=True),
        )
    finally:
        bar.clear()
    for issue in sort_issues(summary.issues):
        click.echo(format_text(issue), err=True)
    if verbose:
        for path in summary.written:
            common.say(f"wrote {path}")
        for path in summary.removed:
            common.say(f"removed {path}")
    if not quiet:
        elapsed = time.monotonic() - started
        click.echo(
            f"rendered {len(summary.rendered)}, unchanged {len(summary.unchanged)}, "
            f"failed {len(summary.failed)} in {elapsed:.1f}s",
            err=True,
        )
    sys.exit(EXIT_INVALID if summary.failed else 0)


class Progress:
    """A one-line progress bar on a terminal's stderr; silent elsewhere (CI, pipes)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.width = 0

    def update(self, done: int, total: int, current: str) -> None:
        """Redraw the bar: DONE of TOTAL, working on CURRENT."""
        from postmortem.diagnostics import printable

        if not self.enabled:
            return
        current = printable(current)
        filled = int(20 * done / max(total, 1))
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} {current}"[:100]
        self.width = max(self.width, len(line))
        click.echo("\r" + line.ljust(self.width), nl=False, err=True)

    def clear(self) -> None:
        """Erase the bar, if one was drawn."""
        if self.enabled and self.width:
            click.echo("\r" + " " * self.width + "\r", nl=False, err=True)
