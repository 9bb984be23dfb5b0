"""Typeset PDF output: the HTML document with a paged-media stylesheet, through WeasyPrint."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from postmortem.derive import View
from postmortem.render import RenderContext, builtin_templates
from postmortem.render.html import render_html_text

TEMPLATE = "pdf.html.j2"


class FetchRefused(Exception):
    """A resource outside the allowed folders was asked for."""


class LocalFetcher(URLFetcher):
    """Serves `file:` URLs inside the allowed folders only; nothing from the network.

    WeasyPrint asks its fetcher for every stylesheet, font, image and SVG reference,
    attachments included, so this one place decides what a record can make it read.
    """

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.roots = [r.resolve() for r in roots]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            self.refused.append(url)
            raise FetchRefused(f"refused to fetch {url!r}: only local files are allowed")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            self.refused.append(url)
            raise FetchRefused(f"refused to read {path}: outside the record's folder")
        return URLFetcherResponse(url, body=path.read_bytes(), headers={})


def pdf_date(view: View, epoch: int | None) -> str:
    """The PDF's creation date: SOURCE_DATE_EPOCH when set, else the incident's date."""
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{view.incident.date.isoformat()}T00:00:00Z"


def render_pdf(view: View, ctx: RenderContext) -> bytes:
    """The record as a PDF (A4 or Letter), with outline, metadata and running heads."""
    assets = builtin_templates()
    html = render_html_text(
        view,
        ctx,
        TEMPLATE,
        assets=assets.as_uri(),
        page_size=ctx.options.page_size,
        pdf_date=pdf_date(view, ctx.options.source_date_epoch),
    )
    fetcher = LocalFetcher([assets, ctx.record_dir])
    document = weasyprint.HTML(
        string=html, base_url=ctx.record_dir.resolve().as_uri() + "/", url_fetcher=fetcher
    )
    return document.write_pdf(uncompressed_pdf=False)
