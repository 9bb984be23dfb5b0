"""`postmortem render`: the three documents, their contents, safety and determinism."""

from __future__ import annotations

import html as htmllib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from markdown_it import MarkdownIt

from conftest import FIXTURES, INCIDENTS, ROOT, run_cli

TODAY = "2026-01-15"
EXAMPLES = sorted(INCIDENTS.glob("*.yaml"))
SECTIONS = [
    "Summary",
    "Key figures",
    "Impact",
    "Trigger",
    "Cascade",
    "Contributing factors",
    "Detection",
    "Resolution",
    "Timeline",
    "Lessons",
    "Action items",
    "References",
]


@pytest.fixture(scope="module")
def examples_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = run_cli("render", str(INCIDENTS), "-o", str(out), "--today", TODAY, "-q")
    assert result.exit_code == 0, result.stderr
    return out


def _pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def _visible_text_of_html(html: str) -> str:
    html = re.sub(r"<(style|title|figure)\b.*?</\1>", " ", html, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda p: p.stem)
def test_pdf_holds_every_section_figures_and_footer(examples_site: Path, record: Path) -> None:
    pdf = examples_site / f"{record.stem}.pdf"
    pages = _pdf_text(pdf)
    text = "\n".join(pages)
    html = (examples_site / f"{record.stem}.html").read_text()
    sections = re.findall(r"<h2 id=\"[^\"]+\">([^<]+)</h2>", html)
    assert set(SECTIONS) - {"Detection", "Contributing factors", "Key figures"} <= set(sections)
    for section in sections:
        assert section in text, section
    assert "Duration" in text and "Time to resolve" in text
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in page
        assert record.stem in page  # footer

    reader = pypdf.PdfReader(pdf)
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0].startswith(reader.metadata.title[:20])
    nested = [
        i.title
        for sub in reader.outline
        if isinstance(sub, list)
        for i in sub
        if not isinstance(i, list)
    ]
    assert [s for s in nested if s in sections] == sections
    meta = reader.metadata
    assert meta.subject == record.stem
    assert meta.author
    assert meta["/Keywords"]
    assert str(meta["/CreationDate"]).startswith(
        "D:" + record.stem.split("-", 1)[1][:10].replace("-", "")
    )


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda p: p.stem)
def test_markdown_reparsed_carries_the_html_text(examples_site: Path, record: Path) -> None:
    md_text = (examples_site / f"{record.stem}.md").read_text()
    md_text = re.sub(r"```mermaid\n.*?```\n", "", md_text, flags=re.S)
    reparsed = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md_text)
    html = (examples_site / f"{record.stem}.html").read_text()
    html_body = html.split("<main>", 1)[1]
    assert _words(_visible_text_of_html(reparsed)) == _words(_visible_text_of_html(html_body))


def test_two_renders_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = run_cli(
            "render",
            str(INCIDENTS / "aws-2021-12-07-us-east-1.yaml"),
            "-o",
            str(out),
            "--today",
            TODAY,
            "-q",
        )
        assert result.exit_code == 0, result.stderr
    for name in (
        "aws-2021-12-07-us-east-1.md",
        "aws-2021-12-07-us-east-1.html",
        "aws-2021-12-07-us-east-1.pdf",
    ):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_source_date_epoch_sets_the_pdf_date(tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    record = FIXTURES / "valid" / "minimal.yaml"
    args = [
        sys.executable,
        "-m",
        "postmortem",
        "render",
        str(record),
        "-o",
        str(tmp_path),
        "-f",
        "pdf",
    ]
    subprocess.run(args, env=env, check=True, capture_output=True)
    meta = pypdf.PdfReader(tmp_path / "minimal.pdf").metadata
    assert str(meta["/CreationDate"]).startswith("D:20231114221320")
    bad = subprocess.run(
        args, env={**env, "SOURCE_DATE_EPOCH": "yesterday"}, capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "SOURCE_DATE_EPOCH='yesterday' is not a whole number" in bad.stderr


def test_minimal_record_leaves_out_empty_sections(tmp_path: Path) -> None:
    result = run_cli("render", str(FIXTURES / "valid" / "minimal.yaml"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    md = (tmp_path / "minimal.md").read_text()
    html = (tmp_path / "minimal.html").read_text()
    pdf = "\n".join(_pdf_text(tmp_path / "minimal.pdf"))
    for absent in (
        "Key figures",
        "Contributing factors",
        "Detection",
        "Timeline",
        "Action items",
        "References",
        "Related incidents",
        "What went well",
    ):
        assert f"## {absent}" not in md
        assert f">{absent}</h" not in html
        assert absent not in pdf
    for present in ("Summary", "Impact", "Trigger", "Cascade", "Resolution", "Lessons"):
        assert f"## {present}" in md and f">{present}</h2>" in html and present in pdf


def test_full_record_shows_every_optional_field(tmp_path: Path) -> None:
    run_cli("render", str(FIXTURES / "valid"), "-o", str(tmp_path), "--today", "2024-03-20")
    md = (tmp_path / "full-example.2024_03.md").read_text()
    for expected in (
        "## Key figures",
        "- Duration: **2h 05m**",
        "- Time to detect: **7m**",
        "- Time to mitigate: **1h 30m**",
        "## Contributing factors",
        "## Detection",
        "Detected by **alert** at 2024-03-02 10:07 CET.",
        "### Where we got lucky",
        "| checkout | 10:05 CET | 12:00 CET | 1h 55m | All payments failed. |",
        "2024-03-15 **overdue**",
        "[Review pool limits in config review](https://tracker.example.com/PAY-1)",
        "[Minimal record](minimal.md)",
        "> **Review**: this post-mortem is in review and not final.",
    ):
        assert expected in md, expected
    # The timeline is sorted, with the date only where it changes.
    rows = re.findall(r"^\| (\d) \| ([^|]+?) \|", md, flags=re.M)
    assert rows == [("1", "2024-03-02 09:55 CET"), ("2", "10:07 CET"), ("3", "11:30 CET")]
    # Causal order: pool, then retries and queue, then checkout (caused by both).
    steps = re.findall(r"^\d\. \*\*(.+?)\*\*", md, flags=re.M)
    assert steps == ["payments DB pool", "payments API", "order queue", "checkout"]
    assert "*Caused by: payments API; order queue*" in md
    html = (tmp_path / "full-example.2024_03.html").read_text()
    assert '<tr class="overdue">' in html and html.count('class="flag-overdue"') == 1
    assert '<a href="minimal.html">Minimal record</a>' in html


def test_drafts_are_marked_in_every_format_and_on_every_pdf_page(tmp_path: Path) -> None:
    run_cli("new", "drafty", "--dir", str(tmp_path / "in"), "--date", "2024-01-01")
    assert run_cli("render", str(tmp_path / "in"), "-o", str(tmp_path / "out")).exit_code == 0
    assert (
        "> **Draft**: this post-mortem is a draft and not final."
        in (tmp_path / "out/drafty.md").read_text()
    )
    assert 'class="status-banner"' in (tmp_path / "out/drafty.html").read_text()
    pages = _pdf_text(tmp_path / "out/drafty.pdf")
    assert len(pages) >= 2
    assert all("DRAFT · NOT FINAL" in page for page in pages)


def test_letter_page_size(tmp_path: Path) -> None:
    run_cli(
        "render",
        str(FIXTURES / "valid/minimal.yaml"),
        "-o",
        str(tmp_path),
        "-f",
        "pdf",
        "--page-size",
        "Letter",
    )
    box = pypdf.PdfReader(tmp_path / "minimal.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    run_cli("render", str(FIXTURES / "valid/minimal.yaml"), "-o", str(tmp_path), "-f", "pdf")
    box = pypdf.PdfReader(tmp_path / "minimal.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_pdf_uses_the_bundled_fonts_and_keeps_text(tmp_path: Path) -> None:
    run_cli("render", str(FIXTURES / "valid/minimal.yaml"), "-o", str(tmp_path), "-f", "pdf")
    reader = pypdf.PdfReader(tmp_path / "minimal.pdf")
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("+Noto-Sans" in f for f in fonts), fonts  # subset (ABCDEF+) and ours
    assert "The API returned errors for ten minutes." in reader.pages[0].extract_text()


def test_record_text_is_data_never_markup(tmp_path: Path) -> None:
    record = FIXTURES / "render" / "hostile-text.yaml"
    result = run_cli("render", str(record), "-o", str(tmp_path), "--today", "2024-03-20")
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "hostile-text.html").read_text()
    md = (tmp_path / "hostile-text.md").read_text()
    assert "<p>{{ 7*7 }} {% raw %} &lt;img src=x onerror=alert(1)&gt;" in html
    # `{` as a reference: no Markdown preprocessor (critic, graphviz) acts on it (inert.py).
    assert "&#123;&#123; 7\\*7 }} &#123;% raw %} &lt;img src=x onerror=alert(1)&gt;" in md
    assert "<script" not in html
    assert not re.search(r"<[^>]+\son\w+=", html)
    assert not re.search(r"href=\"(javascript|data|vbscript):", html)
    assert '<a href="https://example.com/a_(b)">ok</a>' in html
    assert "<h1>" not in html.split("</h1>", 1)[1]  # "# not a heading" stayed a paragraph
    # Markdown: no raw HTML but our inert code (one line, every mark a reference: inert.py),
    # no dangerous link, no mermaid block from the record.
    ours = r"<pre><code>[^<]*</code></pre>|<code>[^<]*</code>"
    assert "<" not in re.sub(ours, "", re.sub(r"```.*?```", "", md, flags=re.S))
    assert not re.search(r"(?<!\\)\]\((javascript|data|vbscript):", md)
    assert md.count("```mermaid") == 1  # the cascade's own, not the record's
    # The record's stays code.
    code = "<pre><code>graph TD&#59; A&#45;&#45;&#62;B&#10;</code></pre>"
    assert code in md.split("```mermaid")[0]
    assert "\n# \\# &#123;&#123; 7\\*7 }}" in md
    assert "| &#124; injected &#124; row &#124; |" in md
    # Re-parsed by markdown-it, the Markdown shows exactly the HTML's text.
    reparsed = (
        MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(md)
    )
    assert "<script" not in reparsed and "<img src=x" not in reparsed
    assert not re.search(r"href=\"(javascript|data|vbscript):", reparsed)


def test_images_are_copied_next_to_html_and_embedded_in_pdf(tmp_path: Path) -> None:
    record = FIXTURES / "render" / "hostile-text.yaml"
    run_cli("render", str(record), "-o", str(tmp_path), "--today", "2024-03-20")
    copied = tmp_path / "images" / "errors.png"
    assert copied.read_bytes() == (record.parent / "images" / "errors.png").read_bytes()
    reader = pypdf.PdfReader(tmp_path / "hostile-text.pdf")
    embedded = {img.image.size for page in reader.pages for img in page.images}
    assert embedded == {(40, 20)}


@pytest.mark.parametrize(
    ("src", "why"),
    [
        ("../valid/minimal.png", "has an empty, '.' or '..' part"),
        ("https://example.com/x.png", "is not a relative path"),
        ("file:///etc/passwd", "is not a relative path"),
        ("/etc/passwd", "is not a relative path"),
        ("images/missing.png", "does not exist"),
        ("escape.png", "leaves the record's folder"),  # a symlink out of the folder
    ],
)
def test_images_outside_the_record_folder_are_refused(tmp_path: Path, src: str, why: str) -> None:
    folder = tmp_path / "in"
    shutil.copytree(FIXTURES / "render", folder)
    (folder / "escape.png").symlink_to("/etc/hostname")
    record = folder / "img.yaml"
    source = (FIXTURES / "valid" / "minimal.yaml").read_text()
    record.write_text(source.replace("summary: The API", f'summary: "![x]({src}) The API'))
    record.write_text(record.read_text().replace("ten minutes.", 'ten minutes."'))
    result = run_cli("render", str(record), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"{record}:5:10: error: image '{src}' {why}" in result.stderr
    assert not (tmp_path / "out" / "img.html").exists()


def test_invalid_record_keeps_its_old_outputs_and_others_render(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = (FIXTURES / "valid" / "minimal.yaml").read_text()
    (folder / "a.yaml").write_text(good)
    (folder / "b.yaml").write_text(good.replace("id: minimal", "id: other"))
    out = tmp_path / "out"
    assert run_cli("render", str(folder), "-o", str(out), "-f", "md,html").exit_code == 0
    before = (out / "other.html").read_bytes()

    (folder / "b.yaml").write_text(
        good.replace("id: minimal", "id: other").replace("title:", "titel:")
    )
    (folder / "a.yaml").write_text(good.replace("Minimal record", "Minimal record, revised"))
    result = run_cli("render", str(folder), "-o", str(out), "-f", "md,html")
    assert result.exit_code == 1
    assert f"{folder / 'b.yaml'}:3:1: error: unknown key 'titel'" in result.stderr
    assert "rendered 1, unchanged 0, failed 1" in result.stderr
    assert (out / "other.html").read_bytes() == before
    assert "Minimal record, revised" in (out / "minimal.html").read_text()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_custom_template_replaces_one_block(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "html.html.j2").write_text(
        '{% extends "builtin/html.html.j2" %}\n'
        '{% block header %}<p class="company">ACME Corp · internal</p>{% endblock %}\n'
    )
    (templates / "markdown.md.j2").write_text(
        '{% extends "builtin/markdown.md.j2" %}\n'
        "{% block header %}**ACME Corp**\n\n{% endblock %}\n"
    )
    result = run_cli(
        "render",
        str(FIXTURES / "valid/minimal.yaml"),
        "-o",
        str(tmp_path / "out"),
        "--templates",
        str(templates),
    )
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "out" / "minimal.html").read_text()
    assert '<p class="company">ACME Corp · internal</p>' in html
    assert '<h2 id="h-summary">Summary</h2>' in html  # the rest is the built-in template
    assert (
        "\n\n**ACME Corp**\n\n# Minimal record\n" in (tmp_path / "out" / "minimal.md").read_text()
    )
    pdf = "\n".join(_pdf_text(tmp_path / "out" / "minimal.pdf"))
    assert "ACME Corp · internal" in pdf  # the PDF extends the (team's) HTML template


def test_broken_custom_template_is_a_clear_error(tmp_path: Path) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "html.html.j2").write_text(
        '{% extends "builtin/html.html.j2" %}\n{% block header %}{{ nope }}{% endblock %}\n'
    )
    result = run_cli(
        "render",
        str(FIXTURES / "valid/minimal.yaml"),
        "-o",
        str(tmp_path / "o"),
        "--templates",
        str(templates),
        "-f",
        "html",
    )
    assert result.exit_code == 1
    assert "html: template error" in result.stderr and "'nope' is undefined" in result.stderr
    assert f"template error in {templates / 'html.html.j2'}:2: " in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_index_template_is_a_clear_error_and_the_pages_before_it_stay(
    tmp_path: Path,
) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "index.md.j2").write_text("# Incidents\n{{ nope.x }}\n")
    out = tmp_path / "o"
    args = ("render", str(INCIDENTS), "-o", str(out), "--templates", str(templates))
    result = run_cli(*args, "-f", "md,html")
    assert result.exit_code == 1
    assert f"{templates / 'index.md.j2'}:2:0: error: index: template error: " in result.stderr
    assert "'nope' is undefined" in result.stderr and "Traceback" not in result.stderr
    assert "failed 1" in result.stderr
    assert (out / "index.html").read_text().rstrip().endswith("</html>")
    assert not (out / "index.md").exists()
    # Nothing was recorded as built: mended, the next build writes the page.
    (templates / "index.md.j2").write_text("# Incidents\n")
    assert run_cli(*args, "-f", "md,html").exit_code == 0
    assert (out / "index.md").read_text() == "# Incidents\n"


def test_unknown_format_is_a_usage_error() -> None:
    result = run_cli("render", str(FIXTURES / "valid/minimal.yaml"), "-f", "md,docx")
    assert result.exit_code == 2
    assert "docx: choose from md, html, pdf" in result.stderr


def test_wheel_ships_the_templates_and_renders_without_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("postmortem_docs-*.whl"))
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    # Every template, stylesheet and font, and the PEP 561 marker for type checkers.
    shipped = {
        f"postmortem/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
        for p in (ROOT / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "postmortem/templates/index.html.j2" in shipped
    assert sorted((shipped | {"postmortem/py.typed"}) - names) == []
    site = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(FIXTURES / "valid" / "minimal.yaml", work)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", "render", "minimal.yaml", "-o", "out"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "out" / "minimal.pdf").stat().st_size > 1000
    check = subprocess.run(
        [sys.executable, "-c", "import postmortem, sys; print(postmortem.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.stdout.startswith(str(site))


def test_render_output_of_pdf_is_a_pdf(examples_site: Path) -> None:
    data = (examples_site / "aws-2021-12-07-us-east-1.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and pypdf.PdfReader(io.BytesIO(data)).pages


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda p: p.stem)
def test_every_document_has_both_pictures(examples_site: Path, record: Path) -> None:
    import yaml

    data = yaml.safe_load(record.read_text())
    # Every box: the trigger, each latent condition (format 1.1) and each step.
    steps = len(data["cascade"]) + len(data.get("conditions", []))
    html = (examples_site / f"{record.stem}.html").read_text()
    cascade = re.split(r'<figure [^>]*class="diagram diagram-cascade[^"]*">', html, maxsplit=1)[1]
    cascade = cascade.split("</figure>", 1)[0]
    assert cascade.count('class="pm-node') == steps + 1
    assert "<title" in cascade and "<desc" in cascade
    # A graph wider than the text column may use more of a wide screen (style.css).
    width = float(re.search(r'<svg[^>]*? width="([0-9.]+)"', cascade).group(1))
    assert ("diagram-wide" in html.split(cascade, 1)[0][-80:]) == (width > 640)
    timeline = html.split('<figure class="diagram diagram-timeline">', 1)[1].split("</figure>")[0]
    assert 'class="pm-diagram pm-timeline"' in timeline
    md = (examples_site / f"{record.stem}.md").read_text()
    mermaid = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert len(re.findall(r'^    n\d+\["', mermaid, flags=re.M)) == steps + 1
    chart = examples_site / f"{record.stem}.timeline.svg"
    assert f"]({chart.name})" in md and chart.read_text().startswith("<svg")
    # In the PDF the pictures' words stay text.
    pdf = "\n".join(_pdf_text(examples_site / f"{record.stem}.pdf"))
    assert "Trigger · " + data["trigger"]["kind"] in pdf
    assert "Impact" in pdf and "Mitigated" in pdf


def test_index_pages_are_made_in_pieces_that_join_to_what_render_gives() -> None:
    """Batches of fragments, runs of empty ones longer than a batch, text beyond Latin-1."""
    import jinja2

    from postmortem.writers.index import _render

    template = jinja2.Environment().from_string(
        "{% for i in range(n) %}{{ '' }}{% endfor %}"
        "{% for i in range(n) %}<{{ i }}>{{ word }}{% endfor %}{{ '' }}end"
    )
    for n in (0, 1, 999, 1000, 1001, 2500):
        context = {"n": n, "word": "ü→日"}
        assert _render(template, context) == template.render(**context).encode(), n
