"""Measuring rendered PDF pages, for the page tests (pagination, legibility) of issue 16.

`render_set(folder)` renders the example incidents and the stress set (tests/stress.py) to
PDF once; `measure(pdf)` reads every page back with pypdfium2 and returns a `Page` per page:
how full its body is, the text in it, and whether it ends with a heading.

The *body* of a page is the area between the running header and footer: the page less the
top and bottom margins of the first `@page` rule of templates/pdf.css (read from there, so
the measure follows the stylesheet).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import stress  # tests/ is on sys.path under pytest (rootdir conftest)
from PIL import Image

import postmortem
from postmortem.writers import builtin_templates

ROOT = Path(__file__).resolve().parent.parent
INCIDENTS = ROOT / "incidents"
MM = 72 / 25.4
# A pixel darker than this (0-255 grey) is ink: anti-aliasing leaves near-white specks.
INK = 245
# Pixels per point when rasterising; 1 is enough to find the lowest line to the point.
SCALE = 1.0


@dataclass(frozen=True)
class Page:
    """What one PDF page holds, as measured."""

    number: int
    fill: float
    body_text: str
    ends_with_heading: str | None
    image: Image.Image


def page_margins() -> tuple[float, float]:
    """The top and bottom page margins in points, from the `@page` rule of pdf.css."""
    css = (builtin_templates() / "pdf.css").read_text(encoding="utf-8")
    found = re.search(r"@page\s*\{[^@]*?margin:\s*([\d.]+)mm\s+[\d.]+mm\s+([\d.]+)mm", css)
    assert found, "pdf.css has no `@page { margin: T R B L }` in mm"
    return float(found[1]) * MM, float(found[2]) * MM


def record_paths(folder: Path) -> list[Path]:
    """The example incidents and the stress records, written to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [Path(shutil.copy(p, folder / p.name)) for p in sorted(INCIDENTS.glob("*.yaml"))]
    return paths + stress.write(folder)


def render_set(folder: Path, today: date = date(2026, 11, 30)) -> dict[str, bytes]:
    """The PDF of every example incident and stress record, by id (records written to `folder`)."""
    pdfs = {}
    for path in record_paths(folder):
        outputs = postmortem.render(path, formats=("pdf",), today=today, source_date_epoch=0)
        pdfs[path.stem] = outputs[f"{path.stem}.pdf"]
    return pdfs


def fill(image: Image.Image, top: float, bottom: float) -> float:
    """How far down the body the ink reaches: (lowest ink row - body top) / body height.

    `top` and `bottom` are the body's edges in points from the top of the page. A page whose
    content stops half way down is 0.5 full, whatever lies above; an empty body is 0.
    """
    grey = image.convert("L")
    body = grey.crop((0, round(top * SCALE), grey.width, round(bottom * SCALE)))
    box = body.point(lambda v: 255 if v < INK else 0).getbbox()
    return 0.0 if box is None else box[3] / body.height


def _clean(text: str) -> str:
    return " ".join(text.split())


def measure(pdf: bytes) -> list[Page]:
    """Every page of `pdf`, measured (see `Page`)."""
    doc = pdfium.PdfDocument(pdf)
    margin_top, margin_bottom = page_margins()
    # Headings are the PDF's bookmarks (WeasyPrint makes one per h1-h6), with their position.
    headings: dict[int, list[tuple[float, str]]] = {}
    for item in doc.get_toc():
        dest = item.get_dest()
        if dest is None:
            continue
        _mode, pos = dest.get_view()
        headings.setdefault(dest.get_index(), []).append((pos[1], item.get_title()))
    pages = []
    for index in range(len(doc)):
        page = doc[index]
        width, height = page.get_size()
        text = page.get_textpage()
        body_bottom = margin_bottom
        body_text = _clean(text.get_text_bounded(0, body_bottom, width, height - margin_top))
        image = page.render(scale=SCALE).to_pil()
        pages.append(
            Page(
                number=index + 1,
                fill=fill(image, margin_top, height - margin_bottom),
                body_text=body_text,
                ends_with_heading=_last_heading(text, headings.get(index, []), width, body_bottom),
                image=image,
            )
        )
    return pages


def notes(page: pdfium.PdfPage, words: tuple[str, ...]) -> list[str]:
    """Which of `words` the page shows, each time it does, from the top of the page down."""
    text = page.get_textpage()
    found = []
    for word in words:
        search = text.search(word)
        while (hit := search.get_next()) is not None:
            # PDF y runs up the page: the higher the box, the nearer the top.
            found.append((-text.get_charbox(hit[0])[3], word))
    return [word for _y, word in sorted(found)]


def _last_heading(
    text: pdfium.PdfTextPage, marks: list[tuple[float, str]], width: float, body_bottom: float
) -> str | None:
    """The page's lowest heading when nothing but that heading's own words follow it."""
    if not marks:
        return None
    y, title = min(marks)
    below = _clean(text.get_text_bounded(0, body_bottom, width, y))
    return title if below.replace(" ", "") == _clean(title).replace(" ", "") else None
