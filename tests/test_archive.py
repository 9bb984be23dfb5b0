"""PDFs fit to keep: the record inside, PDF/A-3b, PDF/UA-1, fonts, qpdf, and `extract`."""

from __future__ import annotations

import difflib
import hashlib
import html as htmllib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from postmortem.checker import check_file

from conftest import FIXTURES, INCIDENTS, ROOT, run_cli

TODAY = "2026-01-15"
# Every example, and the fixtures that render (hostile text, images, every optional field).
SOURCES = [INCIDENTS, FIXTURES / "render", FIXTURES / "valid"]
RECORDS = sorted(p for folder in SOURCES for p in folder.glob("*.yaml"))
# The hostile corpus: those records that `check` accepts are rendered, each on its own
# (several share an id).
HOSTILE = sorted((ROOT / "tests" / "hostile").glob("*.yaml"))
VARIANTS = ["plain", "pdf/ua-1", "pdf/a-3b"]
QPDF = shutil.which("qpdf")


def _ident(record: Path) -> str:
    match = re.search(r"^id: *(\S+)", record.read_text(encoding="utf-8-sig"), re.M)
    assert match, record
    return match.group(1).strip("\"'")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[Path, Path]]:
    """Per PDF variant: each rendered record → the folder its PDF and HTML are in."""
    out: dict[str, dict[Path, Path]] = {}
    for variant in VARIANTS:
        base = tmp_path_factory.mktemp(variant.replace("/", "-"))
        options = ["-f", "html,pdf", "--today", TODAY, "-q"]
        if variant != "plain":
            options += ["--pdf-variant", variant]
        result = run_cli("render", *map(str, SOURCES), "-o", str(base), *options)
        assert result.exit_code == 0, result.stderr
        placed = dict.fromkeys(RECORDS, base)
        for record in HOSTILE:
            if check_file(record).ok:
                folder = base / f"hostile-{record.stem}"
                result = run_cli("render", str(record), "-o", str(folder), *options)
                assert result.exit_code == 0, (record.name, result.stderr)
                placed[record] = folder
        out[variant] = placed
    return out


def _outputs(sites: dict[str, dict[Path, Path]], *variants: str) -> list[tuple[str, Path, Path]]:
    """(variant, record, PDF) for every rendered record, in the variants asked (or all)."""
    return [
        (variant, record, folder / f"{_ident(record)}.pdf")
        for variant in variants or VARIANTS
        for record, folder in sites[variant].items()
    ]


def test_every_record_and_variant_rendered(sites: dict[str, dict[Path, Path]]) -> None:
    assert len(RECORDS) >= 6  # three examples, hostile text, minimal, full
    hostile = [r for r in sites["plain"] if r in HOSTILE]
    assert len(hostile) >= 3, hostile  # BOM, CRLF, long words, injections…
    for _, record, pdf in _outputs(sites):
        assert pdf.is_file(), (record, pdf)


# --- the record inside every PDF -------------------------------------------------------


def test_every_pdf_carries_its_record_byte_for_byte(sites: dict[str, dict[Path, Path]]) -> None:
    for variant, record, pdf in _outputs(sites):
        reader = pypdf.PdfReader(pdf)
        entries = list(reader.attachment_list)
        assert [e.name for e in entries] == [f"{_ident(record)}.yaml"], (variant, pdf.name)
        entry = entries[0]
        source = record.read_bytes()
        assert entry.content == source, (variant, pdf.name)
        assert entry.subtype == "/application/yaml"
        checksum = getattr(entry.checksum, "original_bytes", entry.checksum)
        assert checksum == hashlib.md5(source).digest()
        assert "postmortem extract" in (entry.description or "")


def test_extract_writes_the_record_back_byte_identical(
    sites: dict[str, dict[Path, Path]], tmp_path: Path
) -> None:
    for variant, record, pdf in _outputs(sites):
        out = tmp_path / variant.replace("/", "-") / f"{record.parent.name}-{record.name}"
        out.parent.mkdir(exist_ok=True)
        result = run_cli("extract", str(pdf), "-o", str(out))
        assert result.exit_code == 0, result.stderr
        assert out.read_bytes() == record.read_bytes(), (variant, record.name)


def test_extract_uses_the_attachment_name_and_never_overwrites(
    sites: dict[str, dict[Path, Path]], tmp_path: Path
) -> None:
    pdf = (
        sites["plain"][INCIDENTS / "aws-2021-12-07-us-east-1.yaml"] / "aws-2021-12-07-us-east-1.pdf"
    )
    source = (INCIDENTS / "aws-2021-12-07-us-east-1.yaml").read_bytes()
    first = run_cli("extract", str(pdf), cwd=tmp_path)
    assert first.exit_code == 0, first.stderr
    written = tmp_path / "aws-2021-12-07-us-east-1.yaml"
    assert written.read_bytes() == source
    assert first.stderr == f"wrote {written.name}\n"

    written.write_text("edited by hand\n")
    again = run_cli("extract", str(pdf), cwd=tmp_path)
    assert again.exit_code == 1
    assert again.stderr == f"Error: {written.name} already exists; use --force to overwrite it\n"
    assert written.read_text() == "edited by hand\n"

    forced = run_cli("extract", str(pdf), "--force", cwd=tmp_path)
    assert forced.exit_code == 0, forced.stderr
    assert written.read_bytes() == source


def test_extract_to_stdout(sites: dict[str, dict[Path, Path]]) -> None:
    pdf = sites["pdf/a-3b"][FIXTURES / "render" / "hostile-text.yaml"] / "hostile-text.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", "extract", str(pdf), "-o", "-"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (FIXTURES / "render" / "hostile-text.yaml").read_bytes()


def _pdf_with_attachments(*attachments: tuple[str, bytes]) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    for name, data in attachments:
        writer.add_attachment(name, data)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"format: 1\nid: not-a-pdf\n", "is not a PDF (it does not start with %PDF-)"),
        (b"", "is not a PDF"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "is not a readable PDF"),
        (_pdf_with_attachments(), "holds no incident record: it has no .yaml attachment"),
        (_pdf_with_attachments(("notes.txt", b"x")), "holds no incident record"),
        (
            _pdf_with_attachments(("a.yaml", b"a: 1\n"), ("b.yml", b"b: 2\n")),
            "holds more than one record (a.yaml, b.yml)",
        ),
        (
            _pdf_with_attachments(("../../etc/evil.yaml", b"x: 1\n")),
            "the embedded record's name '../../etc/evil.yaml' is not a plain file name",
        ),
    ],
    ids=["yaml", "empty", "damaged", "no-attachment", "other-attachment", "two", "path-name"],
)
def test_extract_refuses_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "in.pdf"
    bad.write_bytes(content)
    # Through the installed entry point: no traceback, whatever the file holds.
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", "extract", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pdf"]


def test_extract_refuses_a_record_that_fails_its_checksum(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    entry = writer.add_attachment("r.yaml", b"format: 1\n")
    entry.checksum = ByteStringObject(hashlib.md5(b"something else").digest())
    writer.write(tmp_path / "in.pdf")
    result = run_cli("extract", str(tmp_path / "in.pdf"), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 1
    assert "does not match its stored checksum" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_the_attachment_never_goes_through_the_url_fetcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem.writers import pdf as pdf_module

    asked: list[str] = []
    original = pdf_module.LocalFetcher.fetch

    def spy(self: pdf_module.LocalFetcher, url: str, headers: object = None) -> object:
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_module.LocalFetcher, "fetch", spy)
    record = FIXTURES / "valid" / "minimal.yaml"
    result = run_cli("render", str(record), "-o", str(tmp_path), "-f", "pdf", "-j", "1", "-q")
    assert result.exit_code == 0, result.stderr
    assert asked, "the fetcher was not used at all (fonts come through it)"
    assert not [url for url in asked if url.endswith((".yaml", ".yml"))], asked
    assert (tmp_path / "minimal.pdf").is_file()


def test_variants_are_byte_identical_across_runs(tmp_path: Path) -> None:
    record = FIXTURES / "valid" / "full.yaml"
    for variant in ("pdf/ua-1", "pdf/a-3b"):
        outputs = []
        for run in ("a", "b"):
            out = tmp_path / variant.replace("/", "-") / run
            result = run_cli(
                "render", str(record), "-o", str(out), "-f", "pdf", "--pdf-variant", variant
            )
            assert result.exit_code == 0, result.stderr
            outputs.append((out / "full-example.2024_03.pdf").read_bytes())
        assert outputs[0] == outputs[1], variant


def test_unknown_pdf_variant_is_a_usage_error() -> None:
    result = run_cli("render", str(INCIDENTS), "--pdf-variant", "pdf/x-4")
    assert result.exit_code == 2
    assert "pdf/a-3b" in result.stderr and "pdf/ua-1" in result.stderr


# --- fonts and qpdf ------------------------------------------------------------------------


def _fonts(reader: pypdf.PdfReader) -> list[DictionaryObject]:
    found: dict[int, DictionaryObject] = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            found[ref.idnum] = ref.get_object()
    return list(found.values())


def test_fonts_are_embedded_and_subset(sites: dict[str, dict[Path, Path]]) -> None:
    for variant, _, pdf in _outputs(sites):
        fonts = _fonts(pypdf.PdfReader(pdf))
        assert fonts, pdf
        for font in fonts:
            name = str(font["/BaseFont"])
            # A subset's name starts with six capitals and a plus (ISO 32000-1, 9.6.4).
            assert re.fullmatch(r"/[A-Z]{6}\+\S+", name), (variant, pdf.name, name)
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                variant,
                pdf.name,
                name,
            )


@pytest.mark.qpdf
def test_qpdf_check_finds_nothing(sites: dict[str, dict[Path, Path]]) -> None:
    assert QPDF, "qpdf is missing: `make test` installs it (`apt-get install qpdf`)"
    for variant, _, pdf in _outputs(sites):
        result = subprocess.run([QPDF, "--check", str(pdf)], capture_output=True, text=True)
        output = result.stdout + result.stderr
        assert result.returncode == 0, (variant, pdf.name, output)
        assert "No syntax or stream encoding errors found" in output, (variant, pdf.name)
        assert "warning" not in output.lower(), (variant, pdf.name, output)


# --- PDF/A-3b ------------------------------------------------------------------------------


def _xmp(reader: pypdf.PdfReader) -> str:
    metadata = reader.trailer["/Root"]["/Metadata"].get_object()
    return metadata.get_data().decode("utf-8")


def test_pdf_a_3b_declares_itself_and_relates_the_record_as_source(
    sites: dict[str, dict[Path, Path]],
) -> None:
    for _, record, pdf in _outputs(sites, "pdf/a-3b"):
        reader = pypdf.PdfReader(pdf)
        root = reader.trailer["/Root"]
        xmp = _xmp(reader)
        assert re.search(r'pdfaid:part="3"', xmp) and re.search(r'pdfaid:conformance="B"', xmp)
        assert reader.pdf_header == "%PDF-1.7"
        intents = root["/OutputIntents"]
        assert [str(i.get_object()["/S"]) for i in intents] == ["/GTS_PDFA1"]
        # PDF/A-3 (ISO 19005-3, 6.8): the attachment is listed in /AF with its relationship.
        associated = [ref.get_object() for ref in root["/AF"]]
        assert [str(f["/AFRelationship"]) for f in associated] == ["/Source"]
        assert [str(f["/UF"]) for f in associated] == [f"{_ident(record)}.yaml"]
        assert "/ID" in reader.trailer


# --- PDF/UA-1 ------------------------------------------------------------------------------


def _marked_text(reader: pypdf.PdfReader) -> dict[tuple[int, int], str]:
    """The text of every marked-content sequence, by (page index, MCID)."""
    texts: dict[tuple[int, int], str] = {}
    for index, page in enumerate(reader.pages):
        stack: list[int | None] = []

        def before(op: bytes, args: list, cm: object, tm: object, stack: list = stack) -> None:
            if op == b"BDC":
                props = args[1] if len(args) > 1 else None
                mcid = props.get("/MCID") if isinstance(props, DictionaryObject) else None
                stack.append(None if mcid is None else int(mcid))
            elif op == b"BMC":
                stack.append(None)
            elif op == b"EMC" and stack:
                stack.pop()

        def text(t: str, *_: object, index: int = index, stack: list = stack) -> None:
            mcid = next((m for m in reversed(stack) if m is not None), None)
            if mcid is not None:
                texts[(index, mcid)] = texts.get((index, mcid), "") + t

        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return texts


class StructureTree:
    """The PDF's structure tree, read in order: element types and the text they hold."""

    # Not part of the HTML's text: list numbers, and the pictures (left out of the HTML
    # comparison too, as <figure>).
    LEFT_OUT = ("/Lbl", "/Figure", "/Caption")

    def __init__(self, reader: pypdf.PdfReader) -> None:
        self.pages = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
        self.texts = _marked_text(reader)
        self.used: set[tuple[int, int]] = set()
        self.headings: list[tuple[str, str]] = []
        self.types: list[str] = []
        self.last_header = ""
        root = reader.trailer["/Root"]["/StructTreeRoot"]
        self.text = self._walk(root["/K"], None)

    def _walk(self, node: object, page: int | None) -> str:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            return "".join(self._walk(kid, page) for kid in node)
        if isinstance(node, NumberObject | int):
            self.used.add((page, int(node)))  # type: ignore[arg-type]
            return self.texts.get((page, int(node)), "")  # type: ignore[arg-type]
        if not isinstance(node, DictionaryObject):
            return ""
        if "/Pg" in node:
            page = self.pages[node.raw_get("/Pg").idnum]
        if node.get("/Type") == "/MCR":
            key = (page, int(node["/MCID"]))
            self.used.add(key)  # type: ignore[arg-type]
            return self.texts.get(key, "")  # type: ignore[call-overload]
        kind = str(node.get("/S", ""))
        if kind:
            self.types.append(kind)
        text = self._walk(node["/K"], page) if "/K" in node else ""
        if kind in ("/H1", "/H2", "/H3", "/H4"):
            self.headings.append((kind, " ".join(text.split())))
        if kind == "/THead":
            # A table broken across pages becomes one /Table per page, each with the
            # header row again (as printed); read once, as in the HTML.
            header = " ".join(text.split())
            repeated = header == self.last_header
            self.last_header = header
            if repeated:
                return ""
        return "" if kind in self.LEFT_OUT else text


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _html_words(html: str) -> list[str]:
    body = re.split(r"<body\b[^>]*>", html, maxsplit=1)[1]
    body = re.sub(r"<(style|figure)\b.*?</\1>", " ", body, flags=re.S)
    return _words(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def _html_headings(html: str) -> list[tuple[str, str]]:
    found = re.findall(r"<h([1-4])\b[^>]*>(.*?)</h\1>", html, flags=re.S)
    return [
        (f"/H{level}", " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", text)).split()))
        for level, text in found
    ]


def test_pdf_ua_1_is_tagged_with_language_and_title(sites: dict[str, dict[Path, Path]]) -> None:
    for _, record, pdf in _outputs(sites, "pdf/ua-1"):
        ident = _ident(record)
        reader = pypdf.PdfReader(pdf)
        root = reader.trailer["/Root"]
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        title = htmllib.unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1))
        assert root["/Lang"] == "en", ident
        assert reader.metadata.title == title, ident
        assert title in htmllib.unescape(_xmp(reader)), ident
        assert 'pdfuaid:part="1"' in _xmp(reader), ident
        assert getattr(root["/MarkInfo"]["/Marked"], "value", None) is True, ident
        display_title = root["/ViewerPreferences"]["/DisplayDocTitle"]
        assert getattr(display_title, "value", None) is True, ident
        assert "/StructTreeRoot" in root, ident
        for page in reader.pages:
            assert page.get("/Tabs") == NameObject("/S"), ident  # tab order = structure


def test_pdf_ua_1_structure_reads_in_the_html_order(sites: dict[str, dict[Path, Path]]) -> None:
    for _, record, pdf in _outputs(sites, "pdf/ua-1"):
        ident = _ident(record)
        reader = pypdf.PdfReader(pdf)
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        tree = StructureTree(reader)
        assert tree.types[0] == "/Document", ident
        assert {"/H1", "/H2", "/P", "/Table", "/TH", "/L", "/LI"} <= set(tree.types), ident
        # Headings, then every word of the document, in the order the HTML has them.
        assert tree.headings == _html_headings(html), ident
        # Only the PDF says where the cascade graph went when it left its heading (placement.py).
        moved = r"The\s+graph\s+of\s+this\s+cascade\s+follows\s+step\s+\d+,\s+on\s+page\s*\d+\s*\."
        pdf_words, html_words = _words(re.sub(moved, " ", tree.text)), _html_words(html)
        # Compared without the spaces: a word too long for the line is broken in the PDF.
        if "".join(pdf_words) != "".join(html_words):
            diff = difflib.unified_diff(html_words, pdf_words, "html", "pdf", n=4, lineterm="")
            pytest.fail(f"{ident}: the PDF reads in another order:\n" + "\n".join(diff))
        # Nothing else outside the tree but the running heads and feet, which WeasyPrint
        # keeps out of the reading order (PDF 1.7 has no place for them in the tree).
        pages = len(reader.pages)
        title = tree.headings[0][1]
        for page, mcid in sorted(set(tree.texts) - tree.used):
            text = " ".join(tree.texts[(page, mcid)].split())
            running = {title, ident, f"page {page + 1} of {pages}"}
            assert text in running or text.endswith("· NOT FINAL"), (ident, page, text)
