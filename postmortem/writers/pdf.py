"""Typeset PDF output: the HTML document with a paged-media stylesheet, through WeasyPrint.

Every PDF carries its source record as an embedded file, `<id>.yaml` (see archive.py), so a
document found years later can be checked and rendered again. `Options.pdf_variant` asks
WeasyPrint for PDF/A-3b (archival) or PDF/UA-1 (tagged, for assistive technology).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from postmortem.archive import ATTACHMENT_DESCRIPTION, RECORD_MIME_TYPE, attachment_name
from postmortem.derive import View
from postmortem.diagrams.parts import drop_notes
from postmortem.paths import Picture, read_picture
from postmortem.writers import RenderContext, builtin_templates
from postmortem.writers.html import render_html_text
from postmortem.writers.placement import place, probe_html

TEMPLATE = "pdf.html.j2"


class FetchRefused(Exception):
    """A resource outside the allowed folders was asked for."""


# WeasyPrint ships no types, so to mypy its URLFetcher is Any (disallow_subclassing_any).
class LocalFetcher(URLFetcher):  # type: ignore[misc]
    """Serves the package's own assets and the record's checked images; nothing else.

    WeasyPrint asks its fetcher for every stylesheet, font, image and SVG reference,
    attachments included, so this one place decides what a record can make it read: an
    image is served only as check found it (paths.picture), from its resolved file.
    """

    def __init__(self, assets: Path, record_dir: Path, pictures: Sequence[Picture]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.assets = assets.resolve()
        self.record_dir = record_dir.resolve()
        self.pictures = {p.name: p for p in pictures}
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            self.refused.append(url)
            raise FetchRefused(f"refused to fetch {url!r}: only local files are allowed")
        path = Path(unquote(parts.path))
        if path.is_relative_to(self.record_dir):
            shown = self.pictures.get(path.relative_to(self.record_dir).as_posix())
            if shown is not None:
                return URLFetcherResponse(url, body=read_picture(shown), headers={})
        elif path.resolve().is_relative_to(self.assets) and path.resolve().is_file():
            return URLFetcherResponse(url, body=path.resolve().read_bytes(), headers={})
        self.refused.append(url)
        raise FetchRefused(f"refused to read {path}: not an asset or an image of the record")


def pdf_moment(view: View, epoch: int | None) -> datetime:
    """When the PDF was made, as far as it says: SOURCE_DATE_EPOCH, else the incident's date."""
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC)
    return datetime(view.incident.date.year, view.incident.date.month, view.incident.date.day)


def pdf_date(view: View, epoch: int | None) -> str:
    """The PDF's creation date: SOURCE_DATE_EPOCH when set, else the incident's date."""
    return pdf_moment(view, epoch).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_attachment(view: View, ctx: RenderContext) -> weasyprint.Attachment:
    """The record's own bytes as an attachment, from memory: the fetcher never sees it."""
    moment = pdf_moment(view, ctx.options.source_date_epoch)
    return weasyprint.Attachment(
        string=ctx.source,
        name=attachment_name(view.incident.id),
        description=ATTACHMENT_DESCRIPTION,
        # Fixed dates: the default is "now", which would make every build differ.
        created=moment,
        modified=moment,
        # PDF/A-3 names how an attachment relates to the document; this is its source.
        relationship="Source",
    )


def _finish(document: object, pdf: pydyf.PDF) -> None:
    """Last touches to the attachment, after WeasyPrint has built the PDF's objects.

    WeasyPrint guesses the MIME type from the name, and what it finds for `.yaml` differs
    between Python versions and /etc/mime.types; PDF/A-3 requires one, and two builds
    must not differ. WeasyPrint 70's PDF/A code also lists the attachment twice in the
    catalog's /AF (once from the name tree, once as a file specification).
    """
    for obj in pdf.objects:
        extra = getattr(obj, "extra", None)
        if isinstance(extra, dict) and extra.get("Type") == "/EmbeddedFile":
            extra["Subtype"] = "/" + RECORD_MIME_TYPE.replace("/", "#2f")
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


@contextmanager
def font_clock(moment: datetime) -> Iterator[None]:
    """Date the fonts WeasyPrint writes `moment`, not the time of the run.

    Without `libharfbuzz-subset0`, and for variable or colour fonts whatever is installed,
    WeasyPrint rewrites fonts with fontTools, which stamps each one's `head.modified` with
    the current time unless SOURCE_DATE_EPOCH is set (fontTools.misc.timeTools): two
    renders a second apart would differ. Setting it to the PDF's own moment, only while
    the PDF is made, is the one switch fontTools offers. Renders run one at a time in a
    process (workers are processes), so nothing else sees the variable change.
    """
    seconds = int(moment.replace(tzinfo=UTC).timestamp())  # `moment` is UTC, or naive UTC
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(seconds)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def render_pdf(view: View, ctx: RenderContext) -> bytes:
    """The record as a PDF (A4 or Letter), with outline, metadata and running heads."""
    options: dict[str, Any] = {
        "uncompressed_pdf": False,
        "pdf_variant": ctx.options.pdf_variant,
        "attachments": [source_attachment(view, ctx)] if ctx.source else None,
    }
    # A cascade graph that would leave a page half empty goes after the steps that fill
    # it (placement.py): a probe of the pages up to the graph decides, then the layout
    # (and once more when two parts of the graph share a page, for its notes).
    # One font configuration for the probe and the layout: the bundled fonts load once.
    fonts = FontConfiguration()
    document = place(
        lambda after, probe, quiet: _layout(view, ctx, options, fonts, after, probe, quiet),
        len(view.steps),
    )
    # write_pdf() with no target returns the document's bytes (WeasyPrint ships no types);
    # it writes the fonts, so it runs on the PDF's own clock.
    with font_clock(pdf_moment(view, ctx.options.source_date_epoch)):
        pdf: bytes = document.write_pdf(finisher=_finish, **options)
    return pdf


def _layout(
    view: View,
    ctx: RenderContext,
    options: dict[str, Any],
    fonts: FontConfiguration,
    cascade_after: int,
    probe: bool,
    quiet: frozenset[int],
) -> Any:
    """The record laid out in pages by WeasyPrint (a `weasyprint.Document`); with `probe`,
    only its part up to the cascade (placement.probe_html); without the "continued" notes
    of the cuts in `quiet`."""
    assets = builtin_templates()
    html = render_html_text(
        view,
        ctx,
        TEMPLATE,
        assets=assets.as_uri(),
        page_size=ctx.options.page_size,
        pdf_date=pdf_date(view, ctx.options.source_date_epoch),
        cascade_after=cascade_after,
    )
    fetcher = LocalFetcher(assets, ctx.record_dir, ctx.pictures)
    source = weasyprint.HTML(
        string=probe_html(html) if probe else drop_notes(html, set(quiet)),
        base_url=ctx.record_dir.resolve().as_uri() + "/",
        url_fetcher=fetcher,
    )
    return source.render(font_config=fonts, **options)
