"""GitHub-flavoured Markdown output."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.filters import make_attrgetter
from markupsafe import Markup, escape

from postmortem.derive import View
from postmortem.writers import RenderContext, common_context, environment
from postmortem.writers.inert import PUNCTUATION
from postmortem.writers.text import (
    code_span,
    escape_inline,
    link_destination,
    to_markdown,
    to_markdown_inline,
)

TEMPLATE = "markdown.md.j2"


def _finalize(value: Any) -> Any:
    # Autoescape for Markdown: whatever a template prints that no filter made safe is
    # treated as plain text (Jinja itself can only escape for HTML, pallets/jinja#1377).
    if hasattr(value, "__html__"):
        return value
    return escape_inline(str(value))


def _indent(text: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja's `indent`, parting lines at \n only (Jinja's parts at U+2028 and others too)."""
    pad = " " * width if isinstance(width, int) else width
    lines = str(text).split("\n")
    out = [lines[0] if not first else pad + lines[0]]
    out += [pad + line if line or blank else line for line in lines[1:]]
    joined = "\n".join(out)
    # Markup in, Markup out: what a Markdown filter made stays as it made it.
    return Markup(joined) if isinstance(text, Markup) else joined


# In raw HTML: our own <style> (no record text) and tags are kept; an entity is kept
# whole; any other ASCII punctuation, in text, becomes a character reference.
_HTML_PARTS = re.compile(rf"(<style>.*?</style>|<[^>]*>|&#?[0-9A-Za-z]+;)|([{PUNCTUATION}])", re.S)


def _inert(match: re.Match[str]) -> str:
    return match.group(1) or f"&#{ord(match.group(2))};"


def _html_block(value: Any) -> Markup:
    """Markup (our SVG) as one line of a raw HTML block that no Markdown extension reads.

    Python-Markdown stashes a raw HTML block only after the preprocessors have read the
    page as text: pymdownx.critic turned `{++x++}` in a label into `<ins>` inside the SVG
    (techdocs-core enables it), and snippets, graphviz or PlantUML extensions act on
    `--8<--`, `{% dot`, `::uml::`. So every punctuation character of the text is written
    as a character reference (which the browser reads back as the same text), and the
    block holds no line break (a blank line would end it). Text that is not Markup is
    escaped first: it never becomes live HTML here.
    """
    html = _HTML_PARTS.sub(_inert, str(escape(value)))
    return Markup(html.replace("\r\n", " ").replace("\r", " ").replace("\n", " "))


def _items(values: Iterable[Any]) -> Markup:
    """Markdown fields as the items of one bullet list.

    Python-Markdown reads a `- ` line right under an item's paragraph as more of that
    paragraph: the next item vanished into the one before. When an item holds several
    blocks, items are set apart by blank lines (CommonMark makes that list loose anyway,
    so GitHub shows it as before); lists of one-block items stay tight.
    """
    items = [_item(value) for value in values]
    gap = "\n\n" if any("\n\n" in item for item in items) else "\n"
    return Markup(gap.join(f"- {item}" for item in items))


def _item(value: Any) -> str:
    """One item: Markdown text, or a contributing factor with its id (format 1.1) as code."""
    if isinstance(value, str):
        return _indent(to_markdown(value), 4)
    return f"{code_span(value.id)}: {_indent(to_markdown(value.text), 4)}"


def _markdown(value: Any) -> Markup:
    """A value as the finalizer would print it, marked as done."""
    return value if isinstance(value, Markup) else Markup(_finalize(value))


@jinja2.pass_environment
def _join(
    env: jinja2.Environment, values: Iterable[Any], d: str = "", attribute: str | None = None
) -> Markup:
    """Jinja's `join` as it is under autoescape: items and separator escaped unless Markup.

    Jinja's own, with autoescape off, returns plain text, which the finalizer then escapes
    once more: `map("mdi") | join` showed `&` as `&amp;amp;`.
    """
    if attribute is not None:
        values = map(make_attrgetter(env, attribute), values)
    return _markdown(d).join(_markdown(v) for v in values)


def markdown_env(templates: Path | None) -> jinja2.Environment:
    """The Markdown Jinja environment: escaping finalizer and the Markdown filters."""
    env = environment("markdown", templates)
    if "mdb" not in env.filters:
        env.finalize = _finalize
        env.filters.update(
            mdi=lambda s: Markup(escape_inline(str(s))),
            mdb=lambda s: Markup(to_markdown(s)),
            mdc=lambda s: Markup(to_markdown_inline(s)),
            mdlist=_items,
            # In a cell or not: a template may put a code value in either.
            code=lambda s: Markup(code_span(str(s), cell=True)),
            url=lambda s: Markup(link_destination(str(s))),
            html_block=_html_block,
            indent=_indent,
            join=_join,
        )
    return env


def tidy(text: str) -> str:
    """At most one blank line in a row, and one newline at the end."""
    # str.replace until no run of three is left: a fifth of the time of re.sub(r"\n{3,}").
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


def markdown_context(view: View, ctx: RenderContext) -> dict[str, Any]:
    """What the Markdown template gets: every template's values, and how to show the cascade."""
    return common_context(view, ctx) | {"cascade_format": ctx.options.cascade}


def render_markdown(view: View, ctx: RenderContext) -> bytes:
    """The record as a Markdown document."""
    env = markdown_env(ctx.options.templates)
    return tidy(env.get_template(TEMPLATE).render(**markdown_context(view, ctx))).encode()
