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
    from postmortem.skeleton import InvalidId, day_in_id, write_skeleton

    # --date, else the date the id is named after (`roblox-2021-10-28-consul`), else today.
    start = common.day(day) or day_in_id(ident) or date.today()
    settings = common.settings(incidents=Path(folder) if folder else None)
    severities = settings.policy().severities
    try:
        path = write_skeleton(
            ident, Path(settings["incidents"]), title=title, day=start, severities=severities
        )
    except InvalidId as exc:
        raise click.BadParameter(str(exc), param_hint="'ID'") from None
    common.say(f"wrote {path}; fill in the TODOs, then run: postmortem check {path}")
