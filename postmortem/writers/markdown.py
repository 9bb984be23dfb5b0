"""GitHub-flavoured Markdown output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from postmortem.derive import View
from postmortem.writers import RenderContext, common_context, environment
from postmortem.writers.text import code_span, escape_inline, to_markdown, to_markdown_inline

TEMPLATE = "markdown.md.j2"


def _finalize(value: Any) -> Any:
    # Autoescape for Markdown: whatever a template prints that no filter made safe is
    # treated as plain text (Jinja itself can only escape for HTML, pallets/jinja#1377).
    if hasattr(value, "__html__"):
        return value
    return escape_inline(str(value))


def _url(url: str) -> Markup:
    return Markup(re.sub(r"[ ()<>]", lambda m: f"%{ord(m.group()):02X}", url))


def markdown_env(templates: Path | None) -> jinja2.Environment:
    """The Markdown Jinja environment: escaping finalizer and the Markdown filters."""
    env = environment("markdown", templates)
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


def tidy(text: str) -> str:
    """At most one blank line in a row, and one newline at the end."""
    # str.replace until no run of three is left: a fifth of the time of re.sub(r"\n{3,}").
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


def render_markdown(view: View, ctx: RenderContext) -> bytes:
    """The record as a Markdown document."""
    env = markdown_env(ctx.options.templates)
    return tidy(env.get_template(TEMPLATE).render(**common_context(view, ctx))).encode()
