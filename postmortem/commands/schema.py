"""`postmortem schema`: print the JSON Schema of the record format."""

from __future__ import annotations

import json

import click


def run() -> None:
    """Print the JSON Schema, generated from the models `check` uses."""
    from postmortem.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))
