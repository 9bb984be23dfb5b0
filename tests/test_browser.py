"""The HTML documents as readers see them: headless Chromium, driven by Playwright.

Every `*.html` that a render of the examples and the renderable fixtures produces (the
index included), and each hostile record that `check` accepts, is opened in light and
dark mode, at 1280 px and 375 px wide, and checked for console errors, requests,
horizontal scroll, line length, contrast (computed styles, SVG text included) and
axe-core's WCAG 2.1 A/AA rules; Chromium's own print to PDF must give the sections of
postmortem's PDF. Screenshots and Chromium's PDFs are saved in tests/browser/screenshots/
for a reviewer (README, "Seen as readers see it").

Needs Debian's `chromium` (never a browser that Playwright downloads) and axe-core from
`npm ci --prefix tests/browser`; `make test` installs both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdf
import pytest

from postmortem.checker import check_file

from conftest import FIXTURES, INCIDENTS, ROOT, run_cli

# Chromium through Playwright, and axe-core from npm: `-m "not browser"` leaves these out.
pytestmark = [pytest.mark.browser, pytest.mark.node]

BROWSER = ROOT / "tests" / "browser"
SCREENSHOTS = BROWSER / "screenshots"
AXE = BROWSER / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("POSTMORTEM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SOURCES = [INCIDENTS, FIXTURES / "render", FIXTURES / "valid"]
HOSTILE = sorted((ROOT / "tests" / "hostile").glob("*.yaml"))
TODAY = "2026-01-15"
NARROW, WIDE = 375, 1280
MAX_LINE = 90  # characters in the longest line of prose at 1280 px
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = ("light", "dark")
AXE_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations']}).then(result => result.violations)"""


@dataclass
class PageReport:
    """What one HTML page showed in the browser."""

    name: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    scroll: dict[str, tuple[int, int]] = field(default_factory=dict)
    longest_line: dict[str, Any] = field(default_factory=dict)
    contrast: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    axe: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    printed: Path | None = None


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every HTML page of a render (examples, fixtures, index), and the hostile records
    that `check` accepts, each rendered on its own (several share an id): name → path."""
    out = tmp_path_factory.mktemp("browser-site")
    options = ["-f", "html,pdf", "--today", TODAY, "-q"]
    result = run_cli("render", *map(str, SOURCES), "-o", str(out), *options)
    assert result.exit_code == 0, result.stderr
    found = {html.stem: html for html in sorted(out.glob("*.html"))}
    for record in HOSTILE:
        if check_file(record).ok:
            folder = out / "hostile" / record.stem
            result = run_cli("render", str(record), "-o", str(folder), *options)
            assert result.exit_code == 0, (record.name, result.stderr)
            for html in folder.glob("*.html"):
                if html.stem != "index":  # the same index as above, for one record
                    found[f"hostile-{record.stem}"] = html
    return found


def _script(name: str) -> str:
    return (BROWSER / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reports(pages: dict[str, Path]) -> dict[str, PageReport]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get)")
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing: run `npm ci --prefix {BROWSER.relative_to(ROOT)}`")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.p[dn][fg]"):
        old.unlink()
    out: dict[str, PageReport] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for name, html in pages.items():
                out[name] = _visit(browser, name, html)
        finally:
            browser.close()
    print(f"\nbrowser screenshots of {len(out)} page(s): {SCREENSHOTS}")
    return out


def _visit(browser: Any, name: str, html: Path) -> PageReport:
    report = PageReport(name)
    for scheme in SCHEMES:
        _visit_in(browser, html, report, scheme)
    return report


def _visit_in(browser: Any, html: Path, report: PageReport, scheme: str) -> None:
    """One page in one colour scheme: wide first, then narrow."""
    url = html.as_uri()
    context = browser.new_context(
        viewport={"width": WIDE, "height": 900}, color_scheme=scheme, device_scale_factor=1
    )
    # Count every request; let none leave the machine even if one were made.
    context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            report.console.append(f"{scheme}: {message.text}")

    def on_request(request: Any) -> None:
        if request.url != url:
            report.requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: report.console.append(f"{scheme}: {exc}"))
    page.on("request", on_request)
    page.goto(url, wait_until="load")
    report.images = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    if scheme == "light":
        report.longest_line = page.evaluate(_script("line-length.js"))
    page.screenshot(path=SCREENSHOTS / f"{report.name}-{WIDE}-{scheme}.png", full_page=True)
    report.contrast[scheme] = page.evaluate(_script("contrast.js"))
    page.add_script_tag(path=AXE)
    report.axe[f"{scheme} {WIDE}px"] = page.evaluate(AXE_RUN, AXE_TAGS)
    if scheme == "light" and html.with_suffix(".pdf").is_file():
        report.printed = SCREENSHOTS / f"{report.name}-chromium-print.pdf"
        page.pdf(path=report.printed, format="A4", outline=True, tagged=True)
    page.set_viewport_size({"width": NARROW, "height": 800})
    page.evaluate("window.scrollTo(0, 0)")
    report.scroll[scheme] = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    page.screenshot(path=SCREENSHOTS / f"{report.name}-{NARROW}-{scheme}.png", full_page=True)
    # Narrow, a table may scroll in its own box: axe checks that such regions can be reached.
    report.axe[f"{scheme} {NARROW}px"] = page.evaluate(AXE_RUN, AXE_TAGS)
    context.close()


def _records() -> set[str]:
    idents = set()
    for folder in SOURCES:
        for record in folder.glob("*.yaml"):
            match = re.search(r"^id: *(\S+)", record.read_text(encoding="utf-8"), re.M)
            assert match, record
            idents.add(match.group(1).strip("\"'"))
    return idents


def test_every_rendered_page_was_opened(
    pages: dict[str, Path], reports: dict[str, PageReport]
) -> None:
    assert _records() <= set(reports), sorted(_records() - set(reports))
    assert set(pages) == set(reports)
    assert len([name for name in reports if name.startswith("hostile-")]) >= 3


def test_no_console_error(reports: dict[str, PageReport]) -> None:
    errors = {name: r.console for name, r in reports.items() if r.console}
    assert not errors, json.dumps(errors, indent=2)


def test_no_request_leaves_the_file(pages: dict[str, Path], reports: dict[str, PageReport]) -> None:
    """Zero requests, but for the record's own pictures, copied beside the HTML."""
    for name, report in reports.items():
        folder = pages[name].parent.as_uri() + "/"
        own = {u for u in report.images if u.startswith(folder)}
        others = [u for u in report.requests if u not in own]
        assert others == [], (name, others)
        if not report.images:
            assert report.requests == [], (name, report.requests)


def test_no_horizontal_scroll_at_375_px(reports: dict[str, PageReport]) -> None:
    for name, report in reports.items():
        for scheme, (scroll_width, client_width) in report.scroll.items():
            assert client_width == NARROW, (name, scheme, client_width)
            assert scroll_width <= client_width, (name, scheme, scroll_width)


def test_text_column_stays_readable_at_1280_px(reports: dict[str, PageReport]) -> None:
    for name, report in reports.items():
        longest = report.longest_line
        assert 0 < longest["chars"] <= MAX_LINE, (name, longest)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_text_and_svg_contrast_meet_wcag_aa(reports: dict[str, PageReport], scheme: str) -> None:
    failures = []
    for name, report in reports.items():
        runs = report.contrast[scheme]
        assert runs, name
        failures += [{"page": name, **run} for run in runs if run["ratio"] < run["required"]]
    assert not failures, json.dumps(failures, indent=2, ensure_ascii=False)


def test_contrast_covers_svg_text(pages: dict[str, Path], reports: dict[str, PageReport]) -> None:
    # The pictures (inline SVG) carry text: the check must have measured it too.
    for name, report in reports.items():
        html = pages[name].read_text(encoding="utf-8")
        # A "continued" note of a cascade cut into parts is for paper, hidden on screen.
        shown = re.sub(r'<g class="pm-continued"[^>]*>.*?</g>', "", html, flags=re.S)
        drawn = len(re.findall(r"<text\b[^>]*>\s*[^<\s]", shown))
        measured = [run for run in report.contrast["dark"] if run["svg"]]
        assert len(measured) >= drawn, (name, drawn, len(measured))


def test_axe_finds_no_wcag_21_a_or_aa_violation(reports: dict[str, PageReport]) -> None:
    found = {
        f"{name} ({run})": [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in violations
        ]
        for name, report in reports.items()
        for run, violations in report.axe.items()
        if violations
    }
    assert not found, json.dumps(found, indent=2)
    assert all(len(r.axe) == 2 * len(SCHEMES) for r in reports.values())


def _outline(path: Path) -> list[tuple[int, str]]:
    """A PDF's bookmarks as (depth, title), whitespace dropped (Chromium loses some)."""

    def walk(items: list[Any], depth: int) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for item in items:
            if isinstance(item, list):
                found += walk(item, depth + 1)
            else:
                found.append((depth, re.sub(r"\s+", "", item.title)))
        return found

    return walk(pypdf.PdfReader(path).outline, 0)


def test_chromium_print_gives_the_sections_of_postmortems_pdf(
    pages: dict[str, Path], reports: dict[str, PageReport]
) -> None:
    printed = {name: r.printed for name, r in reports.items() if r.printed}
    assert _records() <= set(printed)
    for name, path in printed.items():
        ours = _outline(pages[name].with_suffix(".pdf"))
        assert len(ours) > 5, name
        assert _outline(path) == ours, name
        # NFKC: Chromium's PDF text has ligatures ("ﬁ") where the HTML has letters.
        sheets = pypdf.PdfReader(path).pages
        text = " ".join(unicodedata.normalize("NFKC", p.extract_text()) for p in sheets)
        text = " ".join(text.split())
        html = pages[name].read_text(encoding="utf-8")
        for section in re.findall(r"<h2 id=\"[^\"]+\">([^<]+)</h2>", html):
            assert section in text, (name, section)


def test_screenshots_are_saved_for_review(reports: dict[str, PageReport]) -> None:
    for name in reports:
        for width in (NARROW, WIDE):
            for scheme in SCHEMES:
                shot = SCREENSHOTS / f"{name}-{width}-{scheme}.png"
                assert shot.stat().st_size > 1000, shot
