"""Rendering one valid record: templates, a registry of formats, the render options.

Each format module turns a `View` (see derive.py) into bytes; `RENDERERS` maps the
format names of `-f md,html,pdf` to them. PDF is imported only when asked for, since
WeasyPrint alone takes half a second to import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import jinja2

from postmortem import __version__
from postmortem.derive import View
from postmortem.errors import UsageError
from postmortem.paths import Picture

FORMATS = ("md", "html", "pdf")
PAGE_SIZES = ("A4", "Letter")
# `--pdf-variant` values: archival (PDF/A-3b keeps the source record attached) and
# accessible (PDF/UA-1, tagged). Without one, the PDF is a plain PDF 1.7.
PDF_VARIANTS = ("pdf/a-3b", "pdf/ua-1")
# How the Markdown output draws the cascade: a Mermaid block (GitHub, GitLab and MkDocs
# sites with a Mermaid renderer draw it), or our own SVG inline, as raw HTML, for
# Python-Markdown sites that would show Mermaid as source (the MkDocs plugin decides).
CASCADE_FORMATS = ("mermaid", "svg")
# Format name → (module, function); the function takes (view, RenderContext) → bytes.
RENDERERS: dict[str, tuple[str, str]] = {
    "md": ("postmortem.writers.markdown", "render_markdown"),
    "html": ("postmortem.writers.html", "render_html"),
    "pdf": ("postmortem.writers.pdf", "render_pdf"),
}


def renderer(fmt: str) -> Callable[[View, RenderContext], bytes]:
    """The render function of one format, imported on first use."""
    module, name = RENDERERS[fmt]
    fn: Callable[[View, RenderContext], bytes] = getattr(import_module(module), name)
    return fn


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or the source tree's."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "html.html.j2").is_file():
            return candidate
    raise FileNotFoundError("postmortem's built-in templates are missing from the installation")


@dataclass(frozen=True)
class Options:
    """What `postmortem render` was asked for."""

    formats: tuple[str, ...] = FORMATS
    templates: Path | None = None
    page_size: str = "A4"
    today: date = field(default_factory=date.today)
    source_date_epoch: int | None = None
    pdf_variant: str | None = None
    cascade: str = "mermaid"  # one of CASCADE_FORMATS; Markdown output only

    def __post_init__(self) -> None:
        if self.cascade not in CASCADE_FORMATS:
            raise UsageError(f"cascade must be one of {', '.join(CASCADE_FORMATS)}")


@dataclass(frozen=True)
class RenderContext:
    """One record's render: options, its folder (for images), the pictures."""

    options: Options
    record_dir: Path
    diagrams: dict[str, Any] = field(default_factory=dict)
    source: bytes = b""  # the record's own bytes, as read
    source_name: str = ""  # the record's file name
    pictures: tuple[Picture, ...] = ()  # the images it shows, as check found them


def source_date_epoch(environ: dict[str, str] | None = None) -> int | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) if set; a malformed value is an error."""
    raw = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
        datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds since 1970-01-01 UTC"
        ) from None
    return value


@cache
def environment(kind: str, templates: Path | None) -> jinja2.Environment:
    """The Jinja environment for `kind` ("html" or "markdown"), with a team's folder first.

    A team template of the same name replaces the built-in one, and can extend it as
    `builtin/<name>` to replace single blocks.
    """
    builtin = jinja2.FileSystemLoader(builtin_templates())
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders += [jinja2.PrefixLoader({"builtin": builtin}), builtin]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Markdown has its own escaping (render/markdown.py finalize); HTML autoescapes.
        autoescape=kind == "html",  # noqa: S701
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals["version"] = __version__
    return env


def common_context(view: View, ctx: RenderContext) -> dict[str, Any]:
    """Values every template gets."""
    return {
        "v": view,
        "clock": view.clock,
        "zone_label": view.incident.timezone,
        "diagrams": ctx.diagrams,
        "lang": "en",
    }
