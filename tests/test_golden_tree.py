"""The whole rendered site of the examples, compared file by file with tests/golden/examples/.

`postmortem render incidents/ --today 2024-03-20` writes every document, picture and index
page; each is compared exactly (PDFs as their extracted text, page by page), and a file
that appears or disappears is a difference too. `make golden` rewrites the folder.
"""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from conftest import INCIDENTS, ROOT, assert_golden_tree, run_cli

GOLDEN = ROOT / "tests" / "golden" / "examples"
TODAY = "2024-03-20"
# Build state, not output: it names the engines' versions and hashes of the PDF bytes.
MANIFEST = ".postmortem-manifest.json"


def _pdf_text(path: Path) -> str:
    """The text of every page, each under a line that names it."""
    pages = pypdf.PdfReader(path).pages
    return "".join(
        f"--- page {number} of {len(pages)} ---\n{page.extract_text().rstrip()}\n"
        for number, page in enumerate(pages, start=1)
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every file the render wrote, by its name in the output folder, as text."""
    out = tmp_path_factory.mktemp("site")
    result = run_cli("render", str(INCIDENTS), "-o", str(out), "--today", TODAY, "-q")
    assert result.exit_code == 0, result.stderr
    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if name == MANIFEST:
            continue
        if path.suffix == ".pdf":
            files[f"{name}.txt"] = _pdf_text(path)
        else:
            files[name] = path.read_text(encoding="utf-8")
    return files


def test_rendered_site_matches_the_golden_tree(site: dict[str, str]) -> None:
    assert_golden_tree(site, GOLDEN)


def test_the_tree_holds_every_kind_of_output(site: dict[str, str]) -> None:
    """A render that silently dropped a format would otherwise pass `make golden` unseen."""
    for record in sorted(INCIDENTS.glob("*.yaml")):
        for suffix in (".md", ".html", ".pdf.txt", ".timeline.svg"):
            assert record.stem + suffix in site, record.stem + suffix
    assert {"index.md", "index.html", "index-months.svg"} <= set(site)
