"""Hostile input and faults (SECURITY.md): nothing crashes, nothing leaks, nothing is lost."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import markdown as python_markdown
import pypdf
import pytest

from conftest import FIXTURES, ROOT, run_cli

HOSTILE = ROOT / "tests" / "hostile"

# case → the one error line `check` must print (after the path), or None: it must render.
CASES: dict[str, str | None] = {
    "alias-bomb": "1:4: error: YAML anchors (&a) are not allowed: write the value out [yaml-alias]",
    "bom": None,
    "crlf": None,
    "deep-nesting": "2:1007: error: nesting deeper than 20 levels [limit-depth]",
    "duplicate-key": "3:1: error: duplicate key 'title' (first defined at line 2); "
    "YAML would silently keep only the last one [duplicate-key]",
    "id-con": "1:5: error: id: 'con' is a reserved device name on Windows; choose another id [id]",
    "id-dotdot": "1:5: error: id: '..' is not a valid id: use 1-100 lowercase letters, digits, "
    "'.', '_' or '-', starting with a letter or digit [id]",
    "id-slash": "1:5: error: id: '../../etc/passwd' is not a valid id: use 1-100 lowercase "
    "letters, digits, '.', '_' or '-', starting with a letter or digit [id]",
    "invalid-utf8": "2:16: error: invalid UTF-8 (byte 0xc3); save the file as UTF-8 [encoding]",
    "long-word": None,
    "markdown-injection": None,
    "nul-byte": "2:15: error: invalid character U+0000: control characters are not allowed "
    "in YAML [encoding]",
    "python-object": "2:8: error: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not "
    "allowed: records hold plain data only [yaml-tag]",
    "script-everywhere": None,
    "tabs": "6:1: error: invalid YAML: a tab character here: indent with spaces, not tabs "
    "[yaml-syntax]",
}


def test_every_case_has_a_file_and_every_file_a_case() -> None:
    assert sorted(p.stem for p in HOSTILE.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_case(case: str, tmp_path: Path) -> None:
    record = HOSTILE / f"{case}.yaml"
    rel = record.relative_to(ROOT).as_posix()
    expected = CASES[case]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "postmortem",
            "render",
            rel,
            "-o",
            str(tmp_path),
            "-f",
            "md,html",
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    if expected is not None:
        assert result.returncode == 1
        assert result.stderr == f"{rel}:{expected}\n"
        written = {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")}
        assert written <= {"index.html", "index.md"}  # an index of no incidents, nothing else
        return
    assert result.returncode == 0, result.stderr
    for page in tmp_path.glob("*.html"):
        _assert_inert_html(page.read_text())
    for page in tmp_path.glob("*.md"):
        if page.name != "index.md":
            _assert_inert_markdown(page.read_text())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _assert_inert_html(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "object", "embed", "base", "form", "link"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action", "xlink:href", "srcset"):
                assert not re.match(r"\s*(javascript|data|vbscript|file):", value or "", re.I)
            if name == "style":
                assert "url(" not in (value or "")
    for css in parser.styles:  # only our own stylesheets: nothing that loads anything
        assert "@import" not in css
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)


def _assert_inert_markdown(md: str) -> None:
    # As MkDocs renders it: Python-Markdown passes raw HTML and any link scheme through.
    for html in (
        python_markdown.markdown(md, extensions=["tables", "fenced_code"]),
        __import__("markdown_it")
        .MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .render(md),
    ):
        _assert_inert_html(html)
    # Structure: one title heading, and only the template's own section headings.
    headings = re.findall(r"^(#{1,6}) (.*)$", md, flags=re.M)
    assert [h for h, _ in headings].count("#") == 1
    allowed = {
        "Summary",
        "Key figures",
        "Impact",
        "Who was affected",
        "Affected services",
        "Trigger",
        "Cascade",
        "Contributing factors",
        "Detection",
        "Resolution",
        "Timeline",
        "Lessons",
        "What went well",
        "What went wrong",
        "Where we got lucky",
        "Action items",
        "References",
        "Related incidents",
    }
    assert {t for h, t in headings if h != "#"} <= allowed
    assert "```mermaid" not in md or md.count("```mermaid") == 1  # only the cascade's own


def _generated(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "huge-file",
            "1:1: error: file is 104,857,600 bytes; records are limited to 1,048,576 "
            "bytes (1 MiB) [limit-size]",
        ),
        (
            "long-title",
            "2:8: error: title: is 1,000,000 characters long; the limit is 1,000 [limit-length]",
        ),
        ("many-steps", "8:3: error: cascade: has 10,000 entries; the limit is 200 [limit-items]"),
        ("many-events", "1:1: error: file is 4,989,294 bytes"),
        (
            "many-events-small",
            "19:3: error: timeline: has 5,000 entries; the limit is 1,000 [limit-items]",
        ),
        (
            "many-nodes",
            "20011:34: error: more than 100,000 YAML nodes: too large for an incident "
            "record [limit-nodes]",
        ),
    ],
)
def test_huge_records_are_refused_fast_and_in_bounded_memory(
    tmp_path: Path, name: str, expected: str
) -> None:
    base = (FIXTURES / "valid" / "minimal.yaml").read_text().split("\n", 1)[1]
    if name == "huge-file":
        path = tmp_path / "huge-file.yaml"
        with open(path, "wb") as fh:
            fh.write(base.encode())
            fh.truncate(100 * 1024 * 1024)
    elif name == "long-title":
        path = _generated(tmp_path, name, base.replace("Minimal record", "x" * 1_000_000))
    elif name == "many-steps":
        steps = "".join(f"  - {{component: c{i}, description: d}}\n" for i in range(10_000))
        path = _generated(
            tmp_path,
            name,
            base.replace(
                "cascade:\n  - component: API\n    description: Returned errors.\n",
                "cascade:\n" + steps,
            ),
        )
    elif name == "many-events":
        events = "".join(
            f'  - {{time: "2024-03-02T10:00:00Z", event: e{i}}}\n' for i in range(100_000)
        )
        path = _generated(tmp_path, name, base + "timeline:\n" + events)
    else:
        count = 5_000 if name == "many-events-small" else 20_000
        events = "".join("  - {time: 2024-03-02T10:00:00Z, event: e}\n" for i in range(count))
        path = _generated(tmp_path, name, base + "timeline:\n" + events)
    script = (
        "import resource, sys; from postmortem.cli import main; sys.argv = ['postmortem', "
        f"'check', '-q', {str(path)!r}]\ntry: main()\nexcept SystemExit as e: code = e.code\n"
        "print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started
    assert result.stdout.startswith(f"{path}:{expected}"), result.stdout
    code, peak_mib = result.stderr.split()
    assert code == "1"
    # Generous bounds: the point is "refused, not ground through" (no timing assertion on speed).
    assert elapsed < 30 and int(peak_mib) < 400, (elapsed, peak_mib)


def test_long_word_stays_in_its_box_in_the_pdf(tmp_path: Path) -> None:
    result = run_cli("render", str(HOSTILE / "long-word.yaml"), "-o", str(tmp_path), "-f", "pdf")
    assert result.exit_code == 0, result.stderr
    reader = pypdf.PdfReader(tmp_path / "minimal.pdf")
    assert "AAAAAAAA" in "".join(p.extract_text() for p in reader.pages)


def test_a_hundred_records_with_five_bad_ones(tmp_path: Path) -> None:
    good = (FIXTURES / "valid" / "minimal.yaml").read_text()
    src = tmp_path / "src"
    src.mkdir()
    for i in range(100):
        text = good.replace("id: minimal", f"id: r{i:03d}")
        if i % 20 == 7:
            text = text.replace("title:", "titel:")
        (src / f"r{i:03d}.yaml").write_text(text)
    result = run_cli("render", str(src), "-o", str(tmp_path / "out"), "-f", "md,html")
    assert result.exit_code == 1
    assert "rendered 95, unchanged 0, failed 5" in result.stderr
    assert len(re.findall(r"unknown key 'titel'", result.stderr)) == 5
    assert len(list((tmp_path / "out").glob("r*.html"))) == 95


class _Listener:
    """A loopback TCP server that counts connections (it answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def test_rendering_never_connects_anywhere(tmp_path: Path) -> None:
    listener = _Listener()
    try:
        base = f"http://127.0.0.1:{listener.port}"
        good = (FIXTURES / "valid" / "minimal.yaml").read_text()
        record = tmp_path / "net.yaml"
        # Links are allowed (a reader may follow them) but never fetched; images are refused.
        record.write_text(
            good.replace(
                "summary: The API returned errors for ten minutes.",
                f'summary: "[status]({base}/status) <{base}/auto>"',
            )
            + f"references:\n  - title: Status\n    url: {base}/ref\n"
            + f"action_items:\n  - title: Track\n    link: {base}/ticket\n"
        )
        ok = run_cli("render", str(record), "-o", str(tmp_path / "out"))
        assert ok.exit_code == 0, ok.stderr
        image = tmp_path / "img.yaml"
        image.write_text(
            good.replace("summary: The API", f'summary: "![x]({base}/x.png)" #').replace(
                "id: minimal", "id: img"
            )
        )
        bad = run_cli("render", str(image), "-o", str(tmp_path / "out"))
        assert bad.exit_code == 1 and "is not a relative path" in bad.stderr
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.stop()


def test_killed_render_leaves_every_output_whole(tmp_path: Path) -> None:
    good = (FIXTURES / "valid" / "full.yaml").read_text()
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for i in range(30):
        (src / f"k{i:02d}.yaml").write_text(
            good.replace("id: full-example.2024_03", f"id: k{i:02d}")
        )
    # A first complete build: every output exists, old and whole.
    assert run_cli("render", str(src), "-o", str(out), "-j", "1", "-q").exit_code == 0
    for path in src.glob("*.yaml"):
        path.write_text(path.read_text().replace("Checkout outage", "Checkout outage (v2)"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "postmortem", "render", str(src), "-o", str(out), "-j", "1", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some, not all, outputs are new
        new = [p for p in out.glob("*.html") if "(v2)" in p.read_text()]
        if len(new) >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    versions = set()
    for path in out.iterdir():
        if path.name.startswith("."):
            continue  # the manifest and temporary files are not outputs
        data = path.read_bytes()
        if path.suffix == ".pdf":
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), path
            pypdf.PdfReader(path)
        elif path.suffix == ".html":
            assert data.rstrip().endswith(b"</html>"), path
            versions.add("(v2)" in data.decode())
        elif path.suffix == ".md":
            assert data.rstrip().endswith(b".*"), path
    assert versions == {True, False}  # killed midway, and every file is still whole
    # The next build finishes the job and leaves no temporary file behind.
    assert run_cli("render", str(src), "-o", str(out), "-j", "1", "-q").exit_code == 0
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
