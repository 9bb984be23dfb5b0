"""The MkDocs plugin, through real `mkdocs build --strict` and `mkdocs serve` runs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import FIXTURES, INCIDENTS, run_cli

MKDOCS = Path(sys.executable).with_name("mkdocs")
EXAMPLES = sorted(p.stem for p in INCIDENTS.glob("*.yaml"))
# Material's MkDocs 2.0 banner is noise here; a fixed epoch keeps PDFs reproducible.
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1", "SOURCE_DATE_EPOCH": "0"}
MERMAID = """\
markdown_extensions:
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
"""


def make_site(
    root: Path,
    plugin: str,
    extra: str = "",
    records: list[Path] | None = None,
    prefix: str = "incidents/",
) -> Path:
    """A small MkDocs project: one page of its own, and records in `incidents/`."""
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(
        f"# Operations\n\nOur [post-mortems]({prefix}index.md).\n", encoding="utf-8"
    )
    folder = root / "incidents"
    folder.mkdir()
    for path in records if records is not None else sorted(INCIDENTS.glob("*.yaml")):
        shutil.copy(path, folder / path.name)
    # No options: the README's minimal form.
    entry = f"  - postmortem:\n{plugin}" if plugin else "  - postmortem\n"
    config = f"site_name: Operations\n{extra}plugins:\n{entry}"
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    return root


def mkdocs(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MKDOCS), *args], cwd=site, env=ENV, capture_output=True, text=True, timeout=300
    )


class _Links(HTMLParser):
    """Every link and image of a page, and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        ref = found.get("href") if tag == "a" else found.get("src") if tag == "img" else None
        if ref:
            self.refs.append(ref)


def parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def check_links(site_dir: Path, pages: list[Path]) -> set[Path]:
    """Assert that every relative link of `pages` resolves in the built site (anchors too).

    Returns the files the links lead to.
    """
    reached: set[Path] = set()
    root = "http://site.invalid/"  # a base for URL resolution only; nothing is fetched
    for page in pages:
        base = page.relative_to(site_dir).as_posix()
        for ref in parse(page).refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue  # external: not ours to check
            resolved = urlsplit(urljoin(root + base, ref))
            url = unquote(resolved.path).lstrip("/")
            target = site_dir / url
            if url.endswith("/") or target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{base}: link {ref!r} leads to no file ({url})"
            target = target.resolve()
            assert target.is_relative_to(site_dir.resolve()), f"{base}: {ref!r} leaves the site"
            if parts.fragment and target.suffix == ".html":
                ids = parse(target).ids
                assert unquote(parts.fragment) in ids, f"{base}: no #{parts.fragment} in {url}"
            reached.add(target)
    return reached


def test_plain_build_strict_publishes_every_record_and_links_resolve(tmp_path: Path) -> None:
    records = [*sorted(INCIDENTS.glob("*.yaml")), FIXTURES / "render" / "hostile-text.yaml"]
    site = make_site(tmp_path, "      today: 2024-03-20\n", records=records)
    shutil.copytree(FIXTURES / "render" / "images", site / "incidents" / "images")

    result = mkdocs(site, "build", "--strict")

    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    out = site / "site" / "incidents"
    ids = [*EXAMPLES, "hostile-text"]
    pages = [out / ident / "index.html" for ident in ids]
    for ident, page in zip(ids, pages, strict=True):
        text = page.read_text(encoding="utf-8")
        assert f"<code>{ident}</code>" in text  # the title block, from the Markdown output
        assert 'id="cascade"' in text and 'id="action-items"' in text
    # The chart beside the Markdown and the record's own image are copied next to the pages.
    assert (out / "aws-2021-12-07-us-east-1.timeline.svg").is_file()
    assert (out / "images" / "errors.png").read_bytes() == (
        FIXTURES / "render" / "images" / "errors.png"
    ).read_bytes()
    index = out / "index.html"
    assert "as of 2024-03-20" in index.read_text(encoding="utf-8")  # the `today` option
    # Every link of the index, the pages and the site's own page resolves, anchors included,
    # and the index leads to every incident page (MkDocs rewrote its `<id>.md` links).
    reached = check_links(site / "site", [*pages, site / "site" / "index.html"])
    assert (out / "images" / "errors.png").resolve() in reached
    assert (out / "aws-2021-12-07-us-east-1.timeline.svg").resolve() in reached
    from_index = check_links(site / "site", [index])
    assert {p.resolve() for p in pages} <= from_index
    assert (out / "index-months.svg").resolve() in from_index
    # Nothing is written into docs_dir: the pages are virtual files.
    assert sorted(p.name for p in (site / "docs").iterdir()) == ["index.md"]


def test_material_draws_the_cascade_with_mermaid_and_links_pdfs(tmp_path: Path) -> None:
    plugin = "      prefix: ops/incidents\n      pdf: true\n      today: 2024-03-20\n"
    material = f"theme:\n  name: material\n{MERMAID}"
    site = make_site(tmp_path, plugin, extra=material, prefix="ops/incidents/")

    result = mkdocs(site, "build", "--strict")

    assert result.returncode == 0, result.stderr
    out = site / "site" / "ops" / "incidents"
    pages = [out / ident / "index.html" for ident in EXAMPLES]
    for ident, page in zip(EXAMPLES, pages, strict=True):
        text = page.read_text(encoding="utf-8")
        # Material's custom fence: the cascade as Mermaid source, which its script draws.
        assert '<pre class="mermaid"><code>flowchart' in text
        assert "language-mermaid" not in text
        assert f'<a href="../{ident}.pdf">Download as PDF</a>' in text
        assert (out / f"{ident}.pdf").read_bytes().startswith(b"%PDF-")
    reached = check_links(site / "site", [site / "site" / "index.html", *pages])
    assert {(out / f"{i}.pdf").resolve() for i in EXAMPLES} <= reached
    assert {p.resolve() for p in pages} <= check_links(site / "site", [out / "index.html"])


MATERIAL = "theme:\n  name: material\n"
# The same fence, configured through pymdownx.extra (as techdocs-core merges it).
MERMAID_IN_EXTRA = """\
markdown_extensions:
  - pymdownx.extra:
      pymdownx.superfences:
        custom_fences:
          - name: mermaid
            class: mermaid
            format: !!python/name:pymdownx.superfences.fence_code_format
"""


def plugin_pages(site: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The Markdown pages the plugin adds, as one `mkdocs build` runs its hooks."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    monkeypatch.chdir(site)
    config = load_config(str(site / "mkdocs.yml"))
    config.plugins.on_startup(command="build", dirty=False)
    config = config.plugins.on_config(config)
    files = config.plugins.on_files(Files([]), config=config)
    return {f.src_uri: f.content_string for f in files if f.src_uri.endswith(".md")}


@pytest.mark.parametrize(
    ("extra", "plugin", "drawn"),
    [
        ("", "", "svg"),  # plain MkDocs: no Mermaid renderer
        (MATERIAL, "", "svg"),  # Material without the Mermaid fence shows source
        (MATERIAL + MERMAID, "", "mermaid"),
        (MERMAID_IN_EXTRA, "", "mermaid"),
        (MATERIAL + MERMAID, "      cascade: svg\n", "svg"),
        ("", "      cascade: mermaid\n", "mermaid"),
    ],
)
def test_the_cascade_is_svg_unless_the_site_draws_mermaid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, plugin: str, drawn: str
) -> None:
    record = INCIDENTS / "cloudflare-2019-07-02-waf-regex.yaml"
    site = make_site(tmp_path, plugin, extra=extra, records=[record])

    page = plugin_pages(site, monkeypatch)[f"incidents/{record.stem}.md"]

    cascade = page[page.index("## Cascade") :]
    cascade = cascade[: cascade.index("\n1. ")]
    if drawn == "svg":
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="pm-diagram pm-cascade"' in cascade
        assert "```" not in cascade
    else:
        assert "```mermaid\nflowchart" in cascade
        assert "<svg" not in cascade


@pytest.fixture
def broken_site(tmp_path: Path) -> Path:
    """One valid record and one with a YAML 1.1 trap."""
    good = INCIDENTS / "cloudflare-2019-07-02-waf-regex.yaml"
    bad = FIXTURES / "invalid" / "yaml11-bool.yaml"
    return make_site(tmp_path, "", records=[good, bad])


def expected_lines(site: Path) -> list[str]:
    """What `postmortem check incidents/` prints from the project's folder."""
    result = run_cli("check", "-q", "incidents/", cwd=site)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("incidents/yaml11-bool.yaml:3:11: ") for line in lines)
    return lines


def test_invalid_record_fails_strict_build_with_its_position(broken_site: Path) -> None:
    result = mkdocs(broken_site, "build", "--strict")

    assert result.returncode == 1
    for line in expected_lines(broken_site):
        assert f"WARNING -  postmortem: {line}\n" in result.stderr
    assert "Aborted with 1 warnings in strict mode!" in result.stdout + result.stderr


def test_invalid_record_is_a_warning_and_the_others_publish(broken_site: Path) -> None:
    result = mkdocs(broken_site, "build")

    assert result.returncode == 0, result.stderr
    for line in expected_lines(broken_site):
        assert f"WARNING -  postmortem: {line}\n" in result.stderr
    out = broken_site / "site" / "incidents"
    assert (out / "cloudflare-2019-07-02-waf-regex" / "index.html").is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        "cloudflare-2019-07-02-waf-regex"
    ]
    assert "1 incident," in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("      records: nowhere\n", "records folder 'nowhere'"),
        ("      prefix: ../outside\n", "must stay inside the site"),
        ("      today: tomorrow\n", "expected a date, YYYY-MM-DD"),
        ("      cascade: png\n", "Expected one of: ('auto', 'svg', 'mermaid')"),
    ],
)
def test_bad_plugin_options_stop_the_build(tmp_path: Path, plugin: str, message: str) -> None:
    result = mkdocs(make_site(tmp_path, plugin, records=[]), "build")

    assert result.returncode == 1
    assert message in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return ""


def _wait_for(url: str, text: str, server: subprocess.Popen[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "mkdocs serve exited"
        if text in _get(url):
            return True
        time.sleep(0.2)
    return False


def test_serve_rebuilds_when_a_record_changes(tmp_path: Path) -> None:
    record = INCIDENTS / "cloudflare-2019-07-02-waf-regex.yaml"
    site = make_site(tmp_path, "      today: 2024-03-20\n", records=[record])
    port = _free_port()
    url = f"http://127.0.0.1:{port}/incidents/cloudflare-2019-07-02-waf-regex/"
    server = subprocess.Popen(
        [str(MKDOCS), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=site,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert _wait_for(url, "Cloudflare", server, 60), "the page was never served"
        copy = site / "incidents" / record.name
        text = copy.read_text(encoding="utf-8")
        assert 'title: "Cloudflare:' in text
        edited = text.replace('title: "', 'title: "Edited while serving. ', 1)
        copy.write_text(edited, encoding="utf-8")
        assert _wait_for(url, "Edited while serving.", server, 60), "no rebuild after the edit"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_a_rebuild_renders_only_the_records_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mkdocs serve` keeps the plugin between builds: unchanged records are not rendered."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    import postmortem.workers as workers
    from postmortem.checker import Result

    site = make_site(tmp_path, "      today: 2024-03-20\n")
    rendered: list[str] = []
    render_task = workers.render_task

    def counting(task: workers.Task, checked: Result | None = None) -> workers.Rendered:
        rendered.append(Path(task.path).stem)
        return render_task(task, checked)

    # The plugin runs the one build, whose workers render each record that changed.
    monkeypatch.setattr(workers, "render_task", counting)
    monkeypatch.chdir(site)

    def build() -> dict[str, bytes]:
        config = load_config(str(site / "mkdocs.yml"))
        config.plugins.on_startup(command="serve", dirty=False)
        config = config.plugins.on_config(config)
        files = config.plugins.on_files(Files([]), config=config)
        return {f.src_uri: f.content_bytes for f in files}

    first = build()
    assert sorted(rendered) == EXAMPLES
    assert build() == first
    assert sorted(rendered) == EXAMPLES  # nothing rendered again
    record = site / "incidents" / "cloudflare-2019-07-02-waf-regex.yaml"
    record.write_text(record.read_text("utf-8").replace("WAF", "Web firewall", 1), "utf-8")
    third = build()
    assert rendered[len(EXAMPLES) :] == ["cloudflare-2019-07-02-waf-regex"]
    assert third != first
    # A new title shows on the pages that link the record as related: those render again.
    record = site / "incidents" / "aws-2021-12-07-us-east-1.yaml"
    record.write_text(record.read_text("utf-8").replace('title: "', 'title: "New: ', 1), "utf-8")
    build()
    assert sorted(rendered[len(EXAMPLES) + 1 :]) == EXAMPLES[:2]


class _Tags(HTMLParser):
    """Every tag's attributes, every image's source and every script's text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[list[tuple[str, str | None]]] = []
        self.img_src: list[str | None] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.append(attrs)
        if tag == "img":
            self.img_src.append(dict(attrs).get("src"))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def test_record_text_cannot_inject_markup_into_the_site(tmp_path: Path) -> None:
    """Issue 19: code, pipes, separators and alt text in any field stay inert in MkDocs."""
    import yaml

    img, script = "<img src=x onerror=alert(1)>", "<script>alert(1)</script>"
    fence = f"Paged.\n```\n| x\n{img}\n\n{script}\n```"
    data = yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text("utf-8"))
    data["id"] = "hostile-cells"
    data["related"] = []
    data["summary"] = "Before.\n![a\nb](images/errors.png)\n```{.a``b```}\n\ntext\u2028==="
    data["timeline"][0]["event"] = fence
    data["impact"]["services"][0]["description"] = fence
    data["contributing_factors"] = [fence, "text\u2028===", "Set `a|b`."]
    data["cascade"][1]["description"] = fence
    shutil.copytree(FIXTURES / "render" / "images", tmp_path / "images")
    record = tmp_path / "hostile-cells.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=False), encoding="utf-8")
    site = make_site(tmp_path / "site", "      today: 2024-03-20\n", records=[record])
    shutil.copytree(FIXTURES / "render" / "images", site / "incidents" / "images")

    result = mkdocs(site, "build", "--strict")

    assert result.returncode == 0, result.stderr
    page = (site / "site" / "incidents" / "hostile-cells" / "index.html").read_text("utf-8")
    tags = _Tags()
    tags.feed(page)
    assert not [attrs for attrs in tags.attrs if any(k.startswith("on") for k, _ in attrs)]
    assert not [src for src in tags.img_src if src == "x"]
    assert not [body for body in tags.scripts if "alert" in body]
    article = page.split('role="main"', 1)[-1]
    assert article.count("<h1") == 1  # the title; no record text made another
    assert "<td>Paged. &#124;<code>x &lt;img" in article  # the fence stayed in its cell
    assert '<h2 id="lessons">' in article  # nothing swallowed the rest of the page
