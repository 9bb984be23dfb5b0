"""Tables of the HTML page fit its column (issue 16): nothing cut at the right edge.

The examples and the stress set (tests/stress.py) are rendered to HTML and opened in
headless Chromium at 1200 px (a desktop), 672 px (the narrowest window whose column is
still 40rem wide), 660 px (a narrower one: there the record's tables stack, one block per
row) and 400 px (a phone). No table may be wider than the box it sits in: none scrolls
sideways, not even in its own box on a phone, where the rows stack instead (style.css).
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import stress
from test_browser import CHROMIUM, LAUNCH_ARGS

import postmortem

from conftest import INCIDENTS

pytestmark = pytest.mark.browser

WIDTHS = (1200, 672, 660, 400)
# Each table: how wide it is drawn, and how wide the box around it shows (its wrapper's).
MEASURE = """() => [...document.querySelectorAll('main table')].map((table, i) => {
  const box = table.parentElement;
  return {table: `${i + 1} ${table.className || 'table'}`, width: table.scrollWidth,
          shown: box.clientWidth, scroll: box.scrollWidth,
          page: document.documentElement.scrollWidth};
})"""


# On a phone a stacked row writes a column's name before its value (CSS `::before`): each
# such label, with the name of the column the cell is in.
LABELS = """() => [...document.querySelectorAll('.stack table')].flatMap(table => {
  const names = [...table.querySelectorAll('thead th')].map(th => th.textContent);
  return [...table.querySelectorAll('tbody tr')].flatMap(row => [...row.cells].map((cell, i) => ({
    table: table.className, column: names[i] || '',
    label: getComputedStyle(cell, '::before').content.replace(/^(none|normal|")|"$/g, '')})));
})"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The HTML page of every example and stress record."""
    folder = tmp_path_factory.mktemp("tables")
    records = [Path(shutil.copy(p, folder / p.name)) for p in sorted(INCIDENTS.glob("*.yaml"))]
    records += stress.write(folder)
    # Services that end the next day: their times carry the date (the widest table).
    aws = (INCIDENTS / "aws-2021-12-07-us-east-1.yaml").read_text(encoding="utf-8")
    records.append(folder / "next-day.yaml")
    records[-1].write_text(aws.replace('end: "2021-12-07T', 'end: "2021-12-08T'), "utf-8")
    found = {}
    for record in records:
        outputs = postmortem.render(record, formats=("html",), today=date(2026, 11, 30))
        [html] = outputs.values()  # named by the record's id: the next-day one shares it
        found[record.stem] = folder / f"{record.stem}.html"
        found[record.stem].write_bytes(html)
    return found


@pytest.fixture(scope="module")
def measured(pages: dict[str, Path]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every table of every page at every width, as Chromium lays it out."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get)")
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                for name, html in pages.items():
                    page.goto(html.as_uri(), wait_until="load")
                    out[name, width] = page.evaluate(MEASURE)
                    if width == min(WIDTHS):
                        out[name, 0] = page.evaluate(LABELS)
                context.close()
        finally:
            browser.close()
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_no_table_is_wider_than_its_column(
    measured: dict[tuple[str, int], list[dict[str, Any]]], width: int
) -> None:
    wide = [
        (name, t["table"], t["width"], t["shown"])
        for (name, at), tables in measured.items()
        if at == width
        for t in tables
        if max(t["width"], t["scroll"]) > t["shown"] or t["page"] > width
    ]
    assert not wide, (
        f"tables wider than their column at {width} px (page, table, px, shown): {wide}"
    )


def test_a_stacked_row_names_each_value_by_its_own_column(
    measured: dict[tuple[str, int], list[dict[str, Any]]],
) -> None:
    """A label written before a value on a phone ("From ", "Owner ") is its column's name."""
    wrong = {
        (name, cell["table"], cell["label"], cell["column"])
        for (name, at), cells in measured.items()
        if at == 0
        for cell in cells
        if re.search(r"\w", cell["label"])
        and not cell["column"].lower().startswith(cell["label"].strip().lower())
    }
    assert not wrong, f"labels under another column's name (page, table, label, column): {wrong}"
