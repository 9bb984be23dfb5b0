"""`postmortem new`: write a skeleton record to fill in."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from postmortem.commands import common

if TYPE_CHECKING:
    from datetime import datetime


def run(ident: str, folder: str | None, title: str | None, day: datetime | None) -> None:
    """Write ID.yaml into the folder (default: the incidents folder), never overwriting."""
    from postmortem.skeleton import InvalidId, write_skeleton

    start = common.day(day) or date.today()
    settings = common.settings(incidents=Path(folder) if folder else None)
    severities = common.policy(settings).severities
    try:
        path = write_skeleton(
            ident, Path(settings["incidents"]), title=title, day=start, severities=severities
        )
    except InvalidId as exc:
        raise click.BadParameter(str(exc), param_hint="'ID'") from None
    common.say(f"wrote {path}; fill in the TODOs, then run: postmortem check {path}")
