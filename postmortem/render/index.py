"""The index pages (`index.md`, `index.html`) across every record of a run."""

from __future__ import annotations

from postmortem.index import FIGURES, build_index
from postmortem.model import Incident
from postmortem.render import Options
from postmortem.render.html import html_env
from postmortem.render.markdown import markdown_env, tidy

TITLE = "Incidents"
CHART = "index-months.svg"  # the Markdown index shows the chart as an image


def render_index(incidents: list[Incident], options: Options) -> dict[str, bytes]:
    """File name → bytes of the index pages for the formats asked for (no PDF index)."""
    ix = build_index(incidents, today=options.today)
    context = {"ix": ix, "title": TITLE, "figures": FIGURES, "lang": "en", "chart_file": CHART}
    pages: dict[str, bytes] = {}
    if "html" in options.formats:
        env = html_env(options.templates)
        pages["index.html"] = env.get_template("index.html.j2").render(**context).encode()
    if "md" in options.formats:
        env = markdown_env(options.templates)
        pages["index.md"] = tidy(env.get_template("index.md.j2").render(**context)).encode()
        if ix.chart:
            pages[CHART] = ix.chart.encode()
    return pages
