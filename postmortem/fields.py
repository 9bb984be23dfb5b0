"""Where a record's Markdown is, and which images it shows: what `check` needs of it.

Kept apart from the renderers, which import Jinja and much more: `check` reads every
field for images, and parses one with markdown-it only when it shows an image.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

from postmortem.model import Incident, factor_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def image_source(url: str) -> str | None:
    """The relative file path an image points at, or None when it is not a plain relative path."""
    url = url.strip()
    if not url or SCHEME.match(url) or url.startswith(("/", "\\")) or "?" in url or "#" in url:
        return None
    return unquote(url)


def markdown_parser(validate_link: Callable[[str], bool]) -> MarkdownIt:
    """How a record's Markdown is read, everywhere: CommonMark with GFM tables and
    strikethrough, raw HTML off, headings off (a field cannot add to the outline). The one
    configuration of the renderers' parser (writers/tokens.py) and of check's image probe, so
    that check sees exactly the images the renderers write."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable(["heading", "lheading"])
    # markdown-it reads validateLink from the instance: replacing it there is its hook, but
    # mypy sees a method (with self) swapped for a plain function.
    md.validateLink = validate_link  # type: ignore[method-assign,assignment]
    return md


def _parser() -> MarkdownIt:
    # Finds every image the author wrote, including those the real parser would turn into
    # text (file:, javascript:), so that each gets a clear error instead of silence.
    return markdown_parser(lambda url: True)


def _may_hold_image(text: str, references: bool) -> bool:
    """False when no image can be in this block's text (true does not say there is one)."""
    start = text.find("![")
    # An image's label ends at a `]` after its `![`, followed by `(`, or by anything when
    # the field defines link references (`![a][r]`, `![r]`).
    return start >= 0 and (
        text.find("](", start) >= 0 or (references and text.find("]", start) >= 0)
    )


def _inline_where_images_may_be(state: StateCore) -> None:
    """markdown-it's core `inline` rule, skipping the blocks that cannot hold an image."""
    # Inline parsing costs ~100 times as much per character on a flood of `![` or `[`
    # as on prose (each unclosed label is scanned up to markdown-it's nesting limit);
    # blocks are parsed independently, so leaving out the others changes no image.
    references = bool(state.env.get("references"))
    for token in state.tokens:
        if token.type == "inline" and _may_hold_image(token.content, references):
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


@cache
def _probe() -> MarkdownIt:
    md = _parser()
    md.core.ruler.at("inline", _inline_where_images_may_be)
    return md


def images(text: str) -> list[str]:
    """The `src` of every image in a Markdown field, as written (after link normalisation)."""
    found: list[str] = []
    if "![" not in text:  # cheap: most fields have no image
        return found
    for token in _probe().parse(text):
        for child in token.children or ():
            if child.type == "image":
                found.append(str(child.attrs.get("src", "")))
    return found


def markdown_fields(incident: Incident) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every Markdown field of a record, with its path (for error positions)."""
    yield ("summary",), incident.summary
    yield ("trigger", "description"), incident.trigger.description
    for i, step in enumerate(incident.cascade):
        yield ("cascade", i, "description"), step.description
    for i, c in enumerate(incident.conditions):
        yield ("conditions", i, "description"), c.description
    for i, factor in enumerate(incident.contributing_factors):
        where = () if isinstance(factor, str) else ("text",)
        yield ("contributing_factors", i, *where), factor_text(factor)
    yield ("impact", "description"), incident.impact.description
    if incident.impact.users:
        yield ("impact", "users"), incident.impact.users
    for i, svc in enumerate(incident.impact.services):
        if svc.description:
            yield ("impact", "services", i, "description"), svc.description
    if incident.detection and incident.detection.description:
        yield ("detection", "description"), incident.detection.description
    if incident.impact.data and incident.impact.data.description:
        yield ("impact", "data", "description"), incident.impact.data.description
    yield ("resolution", "description"), incident.resolution.description
    for i, stage in enumerate(incident.resolution.stages):
        yield ("resolution", "stages", i, "description"), stage.description
    for i, update in enumerate(incident.communications):
        yield ("communications", i, "summary"), update.summary
    for i, event in enumerate(incident.timeline):
        yield ("timeline", i, "event"), event.event
    for name in ("went_well", "went_wrong", "lucky"):
        for i, text in enumerate(getattr(incident.lessons, name)):
            yield ("lessons", name, i), text
