"""Self-contained HTML output (inline CSS, no script, no request outside the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from postmortem.derive import View
from postmortem.writers import RenderContext, common_context, environment
from postmortem.writers.text import to_html, to_html_inline

TEMPLATE = "html.html.j2"


def html_env(templates: Path | None) -> jinja2.Environment:
    """The HTML Jinja environment with the Markdown-field filters."""
    env = environment("html", templates)
    if "md" not in env.filters:
        env.filters.update(
            md=lambda s: Markup(to_html(s)), md_inline=lambda s: Markup(to_html_inline(s))
        )
    return env


def render_html_text(view: View, ctx: RenderContext, template: str, **extra: Any) -> str:
    """Render an HTML-family template (the HTML page, or the PDF's source)."""
    return (
        html_env(ctx.options.templates)
        .get_template(template)
        .render(**common_context(view, ctx), **extra)
    )


def render_html(view: View, ctx: RenderContext) -> bytes:
    """The record as one self-contained HTML page."""
    return render_html_text(view, ctx, TEMPLATE).encode("utf-8")
