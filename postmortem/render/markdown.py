"""GitHub-flavoured Markdown output."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from postmortem.derive import View
from postmortem.render import RenderContext, common_context, environment
from postmortem.render.text import code_span, escape_inline, to_markdown, to_markdown_inline

TEMPLATE = "markdown.md.j2"


def _finalize(value: Any) -> Any:
    # Autoescape for Markdown: whatever a template prints that no filter made safe is
    # treated as plain text (Jinja itself can only escape for HTML, pallets/jinja#1377).
    if hasattr(value, "__html__"):
        return value
    return escape_inline(str(value))


def _url(url: str) -> Markup:
    return Markup(re.sub(r"[ ()<>]", lambda m: f"%{ord(m.group()):02X}", url))


def _env(ctx: RenderContext) -> Any:
    env = environment("markdown", ctx.options.templates)
    if "mdb" not in env.filters:
        env.finalize = _finalize
        env.filters.update(
            mdi=lambda s: Markup(escape_inline(str(s))),
            mdb=lambda s: Markup(to_markdown(s)),
            mdc=lambda s: Markup(to_markdown_inline(s)),
            code=lambda s: Markup(code_span(str(s))),
            url=_url,
        )
    return env


def render_markdown(view: View, ctx: RenderContext) -> bytes:
    """The record as a Markdown document."""
    text = _env(ctx).get_template(TEMPLATE).render(**common_context(view, ctx))
    # Tidy the template's blank lines: at most one in a row, one newline at the end.
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return text.encode("utf-8")
