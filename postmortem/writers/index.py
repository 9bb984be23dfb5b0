"""The index pages (`index.md`, `index.html`) across every record of a run."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import jinja2

from postmortem.index import FIGURES, build_index
from postmortem.summary import RecordSummary
from postmortem.writers import Options
from postmortem.writers.html import html_env
from postmortem.writers.markdown import markdown_env, tidy

TITLE = "Incidents"
CHART = "index-months.svg"  # the Markdown index shows the chart as an image


def render_index(records: list[RecordSummary], options: Options) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each index page for the formats asked for (no PDF index).

    One page at a time, and each made in encoded pieces: at a thousand records a page is a
    megabyte of some 60,000 fragments, which, listed whole before being joined (as
    `Template.render` does), were most of a build's peak memory.
    """
    ix = build_index(records, today=options.today)
    context = {"ix": ix, "title": TITLE, "figures": FIGURES, "lang": "en", "chart_file": CHART}
    if "html" in options.formats:
        template = html_env(options.templates).get_template("index.html.j2")
        yield "index.html", _render(template, context)
    if "md" in options.formats:
        template = markdown_env(options.templates).get_template("index.md.j2")
        yield "index.md", tidy(_render(template, context).decode()).encode()
        if ix.chart:
            yield CHART, ix.chart.encode()


def _render(template: jinja2.Template, context: dict[str, object]) -> bytes:
    """What `template.render(**context).encode()` gives, holding a thousand fragments at most."""
    pieces: list[bytes] = []
    fragments = template.generate(**context)
    while batch := list(islice(fragments, 1000)):
        pieces.append("".join(batch).encode())
    return b"".join(pieces)
