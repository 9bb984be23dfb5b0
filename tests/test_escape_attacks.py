"""Attacks on the Markdown writer's escaping, found in review: each reads back as written.

pymdownx.inlinehilite (techdocs-core) reads a code span that starts with `#!name ` or
`:::name ` as code in the language `name`: the mark vanished from the published page and
the rest came out highlighted, in a paragraph, a list item and a table cell alike.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_faithful import MARKDOWN_READERS, Reader, bounded, techdocs, text_of

from postmortem.writers.text import to_html, to_markdown, to_markdown_inline

__all__ = ["techdocs"]  # a fixture, used by name

# A code span's start that inlinehilite takes for a language, and near misses.
MARKS = ["#!", ":::", "::::", "#!#", "#", "::", "!"]
LANGUAGES = ["python", "js", "html", "c++", "", "x.y", "a-b"]
CODE = ["print(1)", "<b>x</b>", "a b", "x", "`", "|"]
# What a highlighter adds: a reader must show the span as our HTML does, one `<code>`.
HIGHLIGHT = re.compile(r"<span\b")


def _readers(techdocs: Reader) -> dict[str, Reader]:
    return {**MARKDOWN_READERS, "techdocs-core": techdocs}


def _places(code: str) -> list[tuple[str, str, str]]:
    """A code span in a paragraph, in a list item and in a table cell: (what, field, md)."""
    span = f"`` {code} ``"
    out = []
    for field in (f"see {span} here", span, f"- {span}\n- next", f"- a\n  - {span}"):
        out.append(("block", field, to_markdown(field)))
    cell = f"| h |\n|---|\n| {to_markdown_inline(span)} |"
    out.append(("cell", span, cell))
    return out


def _assert_shown_whole(code: str, readers: dict[str, Reader]) -> None:
    for where, field, md in _places(code):
        want = text_of(to_html(field))
        if where == "cell":
            want = "h " + want
        for name, read in readers.items():
            html = read(md)
            assert text_of(html) == want, (name, where, md, html)
            assert not HIGHLIGHT.search(html), (name, where, md, html)


@pytest.mark.techdocs
@pytest.mark.parametrize("code", ["#!python print(1)", ":::js alert(1)", "#! x", "#!html <b>"])
def test_a_language_mark_in_a_code_span_stays_shown(techdocs: Reader, code: str) -> None:
    """`#!python print(1)` showed as `print(1)`, highlighted, in a techdocs site."""
    _assert_shown_whole(code, _readers(techdocs))


@pytest.mark.techdocs
@bounded(60)
@given(
    mark=st.sampled_from(MARKS),
    language=st.sampled_from(LANGUAGES),
    gap=st.sampled_from([" ", "  ", "\t"]),
    code=st.sampled_from(CODE),
)
def test_code_spans_read_back_in_every_reader(
    techdocs: Reader, mark: str, language: str, gap: str, code: str
) -> None:
    _assert_shown_whole(f"{mark}{language}{gap}{code}", _readers(techdocs))
