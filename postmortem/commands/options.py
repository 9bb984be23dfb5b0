"""Option declarations and parsers that more than one command, or a long one, uses.

Imported when `postmortem.cli` is, so it imports nothing but click at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from collections.abc import Callable

_F = TypeVar("_F", bound="Callable[..., Any]")


def formats_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...] | None:
    """Parse `--formats md,html`: known formats, each once, in the order given."""
    from postmortem.writers import FORMATS

    if value is None:
        return None
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        from postmortem.diagnostics import printable

        raise click.BadParameter(
            f"{printable(', '.join(unknown)) or 'nothing'}: choose from {', '.join(FORMATS)}, "
            "comma-separated"
        )
    return chosen


def shard_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    """Parse `--shard K/N` with 1 <= K <= N."""
    if value is None:
        return None
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        k = n = 0
    if not 1 <= k <= n:
        raise click.BadParameter(f"{value!r}: write K/N with 1 <= K <= N, e.g. 2/4")
    return k, n


def status_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Parse `--require-status final`: a status of the format."""
    from postmortem.gate import parse_status

    if value is None:
        return None
    try:
        return parse_status(value)
    except ValueError as exc:
        from postmortem.diagnostics import printable

        raise click.BadParameter(printable(str(exc))) from None


# The options that `render` and `index` share, declared once so that both commands parse
# them alike; each command may say in its own words what the option means for it (help).
SITE_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "output": (("-o", "--output", "outdir"), {"type": click.Path(file_okay=False)}),
    "formats": (("-f", "--formats"), {"callback": formats_option}),
    "templates": (("--templates",), {"type": click.Path(exists=True, file_okay=False)}),
    "today": (
        ("--today",),
        {
            "type": click.DateTime(["%Y-%m-%d"]),
            "help": "The date that open action items are overdue against (default: today).",
        },
    ),
    "quiet": (("-q", "--quiet"), {"is_flag": True, "help": "Print nothing but errors."}),
    "audience": (
        ("--audience",),
        {
            "type": click.Choice(["internal", "public"], case_sensitive=False),
            "help": "public: leave out what the records mark internal, use their public "
            "wordings, leave out records internal as a whole (default: internal, the full "
            "records; see README, 'Public and internal renditions').",
        },
    ),
}


def site_option(name: str, **attrs: Any) -> Callable[[_F], _F]:
    """One of the options `render` and `index` share, with any help of the command's own."""
    declarations, shared = SITE_OPTIONS[name]
    return click.option(*declarations, **{**shared, **attrs})
