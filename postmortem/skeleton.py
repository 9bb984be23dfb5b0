"""`postmortem new`: a complete, commented record to fill in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from postmortem.errors import PostmortemError
from postmortem.gate import PLACEHOLDER
from postmortem.scalars import is_valid_id

SKELETON = """\
# Incident record, format 1.1: see `postmortem schema` for every key.
# Check it with:  postmortem check {path}
# Replace each {todo} placeholder (`check` refuses them once `status: final`);
# keep values that YAML could misread ("no", 12:30, 0755) in quotes.
# Keys that are commented out are optional (format 1.1): remove the `# ` to use one.
format: 1.1
id: {id}
title: {title}
date: "{date}"                      # the day the incident started
status: draft                       # draft | review | final
{severity}
authors:
  - "{todo} your name"
timezone: UTC                       # IANA zone; times are shown in it
summary: |
  {todo} two or three sentences for an executive: what happened, who was hurt, for how long.
services:
  - "{todo} affected service"
tags: []

trigger:
  time: "{date}T00:00:00"           # without an offset, read in `timezone`
  # kind: change, deploy, config, operation, capacity, load, software, hardware,
  #       power, network, dependency, security or unknown
  kind: unknown
  description: |
    {todo} what set the incident off.

cascade:                            # how the failure spread, in order
  - id: first-failure
    time: "{date}T00:00:00"
    component: "{todo} what failed first"
    description: |
      {todo} how it failed.
    caused_by: trigger              # step or condition ids, or `trigger`; default: the step before

# conditions:                       # latent conditions: roots of the cascade beside the trigger
#   - id: latent-condition          # a step's caused_by may name it
#     component: "{todo} where the condition was"
#     description: "{todo} what had been wrong, unnoticed, before the incident."
#     since: "{date}T00:00:00"      # optional

contributing_factors:
  - "{todo} a condition that let the trigger do harm."
#   - id: a-factor                  # written with an id, an action item can address it
#     text: "{todo} a condition that let the trigger do harm."

impact:
  start: "{date}T00:00:00"
  end: "{date}T01:00:00"            # leave out while the impact is ongoing
  description: |
    {todo} what users saw.
  users: "{todo} who was affected, in words or numbers"
  # first_symptom: "{date}T00:00:00"  # the first sign of trouble, if before impact
  services:                         # one name may have several windows, one per level
    - name: "{todo} affected service"
      start: "{date}T00:00:00"
      end: "{date}T01:00:00"
      # level: down                 # degraded | partial | down
  # data:                           # what happened to data: none|suspected|confirmed|unknown
  #   loss: unknown
  #   access: unknown
  #   description: "{todo} e.g. no user data was lost."

detection:
  time: "{date}T00:05:00"
  method: alert                     # alert|monitoring|customer-report|staff-report|external|other
  description: "{todo} how we found out."
  # declared: "{date}T00:10:00"     # when an incident was declared

resolution:
  mitigated: "{date}T00:30:00"
  resolved: "{date}T01:00:00"
  description: |
    {todo} what stopped the impact, and what restored service.
  # stages:                         # staged recovery
  #   - time: "{date}T00:45:00"
  #     description: "{todo} who got service back at this time."

# responders:                       # roles; vendors by organization
#   - role: Incident commander
#     name: "{todo} name"
#     organization: "{todo} e.g. a vendor"

# communications:                   # what customers were told, and when
#   - time: "{date}T00:15:00"
#     channel: status page
#     summary: "{todo} what the update said."
#     url: https://status.example.com/incidents/123

# numbers:                          # named figures with units
#   - label: "{todo} servers added"
#     value: 1200
#     unit: servers
#     approximate: true
#     note: "{todo} where the figure comes from"

timeline:                           # any order; shown sorted by time
  - time: "{date}T00:00:00"
    event: "{todo} what happened at this time."

lessons:                            # at least one entry in one of the three lists
  went_well:
    - "{todo} what went well."
  went_wrong:
    - "{todo} what went wrong."
  lucky: []

action_items:
  - title: "{todo} what will be done"
    kind: prevent                   # prevent|mitigate|detect|process|other
    owner: "{todo} team or person"
    priority: P1                    # P0|P1|P2|P3
    status: open                    # open|in-progress|done|wont-do
    due: "{date}"
    # ticket: "{todo} e.g. PAY-1"
    # completed: "{date}"           # with status: done
    # addresses: [first-failure]    # ids of cascade steps, conditions or factors

references: []
#  - title: Public status page
#    url: https://status.example.com/incidents/123

related: []                         # ids of related incidents
"""


def _quoted(text: str) -> str:
    """`text` as a double-quoted YAML string on one line."""
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


# `YYYY-MM-DD` inside an id (`roblox-2021-10-28-consul`), not part of a longer number.
_DAY_IN_ID = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])")


def day_in_id(ident: str) -> date | None:
    """The first real date written in `ident`, if any: the day such ids name."""
    for match in _DAY_IN_ID.finditer(ident):
        try:
            return date.fromisoformat(match[1])
        except ValueError:  # 2021-02-30: not a day
            continue
    return None


class InvalidId(PostmortemError):
    """The id asked for is not one a record may have (a usage error on the command line)."""


def write_skeleton(
    ident: str,
    folder: Path,
    *,
    title: str | None,
    day: date,
    severities: Sequence[str] | None = None,
) -> Path:
    """Write `folder/<ident>.yaml`, refusing to overwrite an existing file.

    With the project's allowed `severities`, the draft takes the first, so that it passes
    `check` as written.
    """
    if not is_valid_id(ident):
        raise InvalidId(
            f"{ident!r} is not a valid id: use 1-100 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (and not a Windows device name such as 'con')"
        )
    path = folder / f"{ident}.yaml"
    text = SKELETON.format(
        id=ident,
        title=_quoted(title or f"{PLACEHOLDER} one-line title of {ident}"),
        date=day.isoformat(),
        path=path.as_posix(),
        severity=f"severity: {_quoted(severities[0])}  # one of: {', '.join(severities)}"
        if severities
        else f'severity: "{PLACEHOLDER} e.g. SEV1"',
        todo=PLACEHOLDER,
    )
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # "x": fail rather than overwrite, even if the file appears between check and write.
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise PostmortemError(f"{path} already exists; choose another id or edit it") from None
    except OSError as exc:
        raise PostmortemError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
