"""`postmortem config`: print the effective settings and where each came from."""

from __future__ import annotations

import json

import click

from postmortem.commands import common


def _shown(value: object) -> object:
    """None, a list (of a tuple or list), or text."""
    if value is None or isinstance(value, list):
        return value
    return list(value) if isinstance(value, tuple) else str(value)


def run(output_format: str) -> None:
    """Print every setting with its source, as text or JSON."""
    from postmortem.config import KEYS

    settings = common.settings()
    if output_format == "json":
        data = {
            "file": str(settings.file) if settings.file else None,
            "settings": {
                k: {"value": _shown(settings[k]), "source": settings.sources[k]} for k in KEYS
            },
        }
        click.echo(json.dumps(data, indent=2))
        return
    common.say(f"# config file: {settings.file or 'none found'}", err=False)
    for key in KEYS:
        value = _shown(settings[key])
        text = ", ".join(value) if isinstance(value, list) else "(none)" if value is None else value
        common.say(f"{key} = {text}    # {settings.sources[key]}", err=False)
