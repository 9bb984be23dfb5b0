"""Every MkDocs site shows the cascade as a picture (issue 16): real builds, seen in Chromium.

Three sites, each `mkdocs build --strict` of the examples and a record whose cascade
labels hold what some Markdown extension would act on: plain MkDocs (theme `mkdocs`),
Material without a Mermaid fence, and Backstage's `mkdocs-techdocs-core` (which pins its
own Material and pymdown-extensions, so it runs from its own venv, `.venv-techdocs`, that
`make test` makes). None of them draws Mermaid, so each page must carry our SVG. Chromium
then shows each incident page: the cascade is an `<svg>` of non-zero size and no Mermaid
source is visible. Screenshots go to tests/browser/screenshots/mkdocs-*.png for a reviewer.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_browser import CHROMIUM, LAUNCH_ARGS, SCREENSHOTS
from test_mkdocs import ENV, make_site

from conftest import FIXTURES, INCIDENTS, ROOT

MKDOCS = Path(sys.executable).with_name("mkdocs")
TECHDOCS = Path(os.environ.get("POSTMORTEM_TECHDOCS_VENV") or ROOT / ".venv-techdocs")
EXAMPLES = sorted(p.stem for p in INCIDENTS.glob("*.yaml"))
PLUGIN = "      today: 2024-03-20\n"
# Text that an extension of these sites acts on before Python-Markdown stashes raw HTML
# (pymdownx.critic, .snippets, .mark, .caret, .emoji, .magiclink; markdown_inline_graphviz
# and plantuml_markdown in techdocs-core): in the SVG it must stay text.
LABELS = [
    "{++<b>inserted</b>++} {==marked==} ==hl== ^^caret^^ ~~gone~~",
    '--8<-- "/etc/hostname"',
    "{% dot x.svg digraph G {a -> b} %}",
    ":smile: https://evil.example/x *em* _u_ & &amp; <script>alert(1)</script>",
]
UML = "::uml:: format=svg\n@startuml\n!include /etc/hostname\n@enduml\n::end-uml::"
SITES = {
    "mkdocs": "theme:\n  name: mkdocs\n",
    "material": "theme:\n  name: material\n",
    "techdocs": "",  # techdocs-core sets the theme and every extension itself
}
# What our SVG writer makes; an extension acting inside the SVG would add others.
SVG_TAGS = {"svg", "title", "desc", "style", "defs", "marker", "path", "g", "rect", "text"}
SVG_TAGS |= {"tspan"}


def hostile_record(folder: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text("utf-8"))
    data = copy.deepcopy(data)
    data["id"] = "extension-bait"
    data["related"] = []
    for step, label in zip(data["cascade"], LABELS, strict=False):
        step["component"] = label
        step["description"] = f"{label}\n\n{UML}"
    data["trigger"]["description"] = UML
    path = folder / "extension-bait.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=False), encoding="utf-8")
    return path


# What a Markdown extension of these sites reads before Python-Markdown sees structure: a
# snippet line includes a file of the project (techdocs-core turns pymdownx.snippets on, with
# the build's folder as its base, where `.git/config` may hold the CI's token).
CANARY = "CANARY-ghp_file-content-must-never-be-published"
SNIPPET = '--8<-- "secret.txt"'
TRAPS = [SNIPPET, f"  {SNIPPET}", f";{SNIPPET}", "-8<- 'secret.txt'", "{++inserted++}", "::uml::"]


def text_bait(folder: Path) -> Path:
    """A record with extension syntax in every Markdown place: paragraphs, a code block,
    list items, table cells, titles."""
    data: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text("utf-8"))
    data["id"] = "text-bait"
    data["related"] = []
    lines = "\n".join(TRAPS)
    code = "\n".join("    " + t for t in TRAPS)
    data["summary"] = f"{lines}\n\n{code}\n\n- {SNIPPET}\n- x\n  {SNIPPET}\n"
    data["trigger"]["description"] = lines
    data["contributing_factors"] = TRAPS
    data["lessons"]["went_wrong"] = [*TRAPS, code.strip()]
    for event, trap in zip(data["timeline"], TRAPS, strict=False):
        event["event"] = trap
    data["action_items"][0]["title"] = SNIPPET
    data["impact"]["services"][0]["name"] = SNIPPET
    data["impact"]["description"] = f"{SNIPPET}\n\n```\n{SNIPPET}\n```"
    path = folder / "text-bait.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=False), encoding="utf-8")
    return path


def mkdocs_program(site: str) -> Path:
    if site != "techdocs":
        return MKDOCS
    program = TECHDOCS / "bin" / "mkdocs"
    if not program.is_file():
        pytest.fail(f"no {program}: `make test` makes that venv (mkdocs-techdocs-core)")
    return program


# techdocs-core needs its own venv: `-m "not techdocs"` leaves it out where there is none.
@pytest.fixture(
    scope="module",
    params=[pytest.param(n, marks=pytest.mark.techdocs) if n == "techdocs" else n for n in SITES],
)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One site, built with --strict: its `site/` folder."""
    name: str = request.param
    root = tmp_path_factory.mktemp(f"site-{name}")
    records = [*sorted(INCIDENTS.glob("*.yaml")), hostile_record(root), text_bait(root)]
    extra = SITES[name]
    plugin = PLUGIN
    if name == "techdocs":
        # As Backstage's README shows it: techdocs-core first, then ours.
        site = make_site(root / "project", plugin, records=records)
        config = site / "mkdocs.yml"
        text = config.read_text("utf-8")
        config.write_text(text.replace("plugins:\n", "plugins:\n  - techdocs-core\n"), "utf-8")
    else:
        site = make_site(root / "project", plugin, extra=extra, records=records)
    (site / "secret.txt").write_text(CANARY + "\n", "utf-8")
    (site / "docs" / "secret.txt").write_text(CANARY + "\n", "utf-8")
    result = subprocess.run(
        [str(mkdocs_program(name)), "build", "--strict"],
        cwd=site,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return site / "site"


def pages(site: Path) -> dict[str, Path]:
    return {i: site / "incidents" / i / "index.html" for i in [*EXAMPLES, "extension-bait"]}


class _Svg(HTMLParser):
    """The tags and attributes inside each `<svg>` of a page, and every text outside one."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[list[tuple[str, list[tuple[str, str | None]]]]] = []
        self.depth = 0
        self.outside: list[str] = []
        self.texts: list[str] = []  # the cascade's text, character references read
        self.desc = ""  # its description (every step's label, whole)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg" and ("class", "pm-diagram pm-cascade") in attrs:
            self.svgs.append([])
            self.depth = 1
        elif self.depth:
            self.depth += 1
        if self.depth:
            self.svgs[-1].append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.svgs[-1].append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.outside.append(data)
        elif self.svgs[-1][-1][0] == "desc":
            self.desc += data
        elif self.svgs[-1][-1][0] not in ("style", "title"):
            self.texts.append(data)


def test_every_page_holds_our_svg_and_no_mermaid(built: Path) -> None:
    for ident, page in pages(built).items():
        html = page.read_text("utf-8")
        reading = _Svg()
        reading.feed(html)
        # A tall cascade comes in parts (diagrams/parts.py), read on screen as one picture.
        assert len(reading.svgs) >= 1, ident
        assert html.count('<figure class="pm-figure pm-figure-cascade"') == 1, ident
        assert '<figure class="pm-figure pm-figure-cascade"' in html, ident
        assert not re.search(r"\b(flowchart|graph) (TD|TB|LR)\b", "".join(reading.outside)), ident
        for tag, attrs in (element for part in reading.svgs for element in part):
            assert tag in SVG_TAGS, (ident, tag)  # no <ins>, <mark>, <a>, <img>, <script>
            assert not [name for name, _ in attrs if name.startswith("on")], (ident, tag)


def test_no_extension_reads_a_file_into_a_page(built: Path) -> None:
    """Record text that a Markdown extension would act on stays text, in every place."""
    for path in built.rglob("*"):
        if path.is_file() and path.name != "secret.txt":
            assert CANARY.encode() not in path.read_bytes(), path
    html = (built / "incidents" / "text-bait" / "index.html").read_text("utf-8")
    assert html.count("secret.txt") >= 10
    assert "<ins>" not in html


def test_extension_syntax_in_labels_stays_text(built: Path) -> None:
    html = pages(built)["extension-bait"].read_text("utf-8")
    reading = _Svg()
    reading.feed(html)
    shown = "".join(reading.texts)
    # Each label reads back as written in the description (the boxes shorten long ones).
    for label in LABELS:
        assert label in reading.desc, (label, reading.desc)
    assert "{++<b>inserted</b>++}" in shown
    assert Path("/etc/hostname").read_text("utf-8").strip() not in shown
    assert "alert(1)</script>" not in html


@pytest.mark.browser
def test_chromium_shows_the_cascade_as_a_picture(built: Path) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    site = built.parent.parent.name.removeprefix("site-").rstrip("0123456789")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 2000})
            # Nothing leaves the machine (Material's fonts, techdocs' scripts).
            context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
            page = context.new_page()
            for ident, path in pages(built).items():
                page.goto(path.as_uri(), wait_until="load")
                seen = page.evaluate(SEEN)
                page.locator("figure.pm-figure-cascade").scroll_into_view_if_needed()
                page.screenshot(path=SCREENSHOTS / f"mkdocs-{site}-{ident}.png")
                assert seen["svgs"] >= 1, (ident, seen)
                assert seen["width"] > 100 and seen["height"] > 100, (ident, seen)
                assert seen["visible"], (ident, seen)
                assert seen["texts"] > 0, (ident, seen)
                assert seen["source"] == [], (ident, seen)
        finally:
            browser.close()


# The cascade's box, whether it is shown, how many labels it draws, and every visible
# <pre>/<code> whose text is Mermaid source.
SEEN = """() => {
  const svgs = document.querySelectorAll('svg.pm-cascade');
  const svg = svgs[0];
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const style = svg ? getComputedStyle(svg) : null;
  const source = [...document.querySelectorAll('pre, code')]
    .filter(e => /^\\s*(flowchart|graph)\\b/.test(e.textContent))
    .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
    .map(e => e.textContent.slice(0, 40));
  return {
    svgs: svgs.length, width: box.width, height: box.height,
    visible: !!style && style.display !== 'none' && style.visibility !== 'hidden',
    texts: svg ? [...svg.querySelectorAll('text')].filter(t => t.getBBox().width > 0).length : 0,
    source: source,
  };
}"""
