"""Text that techdocs-core's inline extensions would give a meaning to reads back as written.

A Backstage TechDocs site (mkdocs-techdocs-core) turns on pymdownx.magiclink (a URL, a
`www.` name or an address in text becomes a link), pymdownx.emoji (`:a:`),
pymdownx.smartsymbols (`(c)`, `1/2`, `+/-`, `=/=`, `c/o`, `-->`), pymdownx.mark (`==a==`),
pymdownx.caret (`^a^`, `^^a^^`), pymdownx.tilde and mdx_truly_sane_lists (lists nested at
two spaces, not four). Each construct, in a Markdown field and in a line of plain text,
must show the same text in that reader as in every other, and must not become a link, a
picture or a mark where our own HTML has none.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_faithful import (
    BASE,
    MARKDOWN_READERS,
    Reader,
    bounded,
    check_documents,
    check_markdown,
    folder,
    render,
    techdocs,
    techdocs_reader,
    text_of,
    twin,
)

from postmortem.writers.text import escape_inline, to_html, to_markdown

__all__ = ["folder", "techdocs"]  # fixtures, used by name

# What the inline extensions match (their sources in .venv-techdocs), and near misses.
CONSTRUCTS = [
    *("https://x.example/a", "http://x", "ftp://x.example", "www.x.org", "WWW.x.org"),
    *("a@b.co", "@user", ":a:", ":smile:", ":+1:", ":", "::", "(c)", "(tm)", "(r)"),
    *("a\n: b", "a\n   :  b", "a\n:\tb"),  # a definition list (pymdownx.extra)
    *("!!! note", 'a\n!!! warning "t"', "??? note", "???+ tip x", "!!!"),  # admonition, details
    *(
        "1/2",
        "3/4",
        "1/2/2024",
        "10/28",
        "7/8x",
        "+/-",
        "=/=",
        "c/o",
        "-->",
        "<--",
        "<-->",
        "==",
        "=",
        "^",
        "^^",
        "~~",
    ),
    *("==a==", "x==a==x", "^a^", "^^a^^", "2^10^", "~a~"),
]
# Not here: smartsymbols' ordinals (`1st` as 1<sup>st</sup>), the same text; escaping a
# letter of every `1st` and `2nd` in prose would cost more than the superscript.
PIECES = [*CONSTRUCTS, "a", "x", "1", "c", " ", "/", "(", ")", ".", "_", "*", "-", "w"]
# Elements a reader adds for a construct: none may appear where our HTML has none.
ADDED = re.compile(r"<(a|img|mark|ins|sup|sub|del|s|em|strong)\b")


def _added(html: str) -> list[str]:
    # Struck text is `<s>` to markdown-it and `<del>` in our writer's tags.
    return sorted("del" if tag == "s" else tag for tag in ADDED.findall(html))


def _readers(techdocs: Reader) -> dict[str, Reader]:
    return {**MARKDOWN_READERS, "techdocs-core": techdocs}


def _assert_reads_back(md: str, want_html: str, readers: dict[str, Reader]) -> None:
    for name, read in readers.items():
        html = read(md)
        assert text_of(html) == text_of(want_html), (name, md, html)
        assert _added(html) == _added(want_html), (name, md, html)


# magiclink's shorthand, where a site turns it on: mentions, repositories, issues, commits.
SHA = "0123456789abcdef0123456789abcdef01234567"
SHORTHAND = ["@user", "@user/repo", "@github:user", "user/repo#1", "user/repo!2", "repo?3"]
SHORTHAND += ["#4", "!5", "?6", SHA, f"user/repo@{SHA}", f"x {SHA[:7]}...{SHA} y", "a@b.co"]
SHORTHAND_SETTINGS = {
    "pymdownx.magiclink": {
        **{"repo_url_shorthand": True, "social_url_shorthand": True},
        **{"provider": "github", "user": "owner", "repo": "project"},
    }
}


@pytest.fixture(scope="module")
def techdocs_shorthand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    cwd = tmp_path_factory.mktemp("shorthand")
    with techdocs_reader(cwd, json.dumps(SHORTHAND_SETTINGS)) as read:
        yield read


@pytest.mark.techdocs
@pytest.mark.parametrize("construct", SHORTHAND)
def test_magiclink_shorthand_makes_no_link(techdocs_shorthand: Reader, construct: str) -> None:
    """With `repo_url_shorthand` and `social_url_shorthand`, `@user` or `#1` became links."""
    for value in (construct, f"see {construct}."):
        _assert_reads_back(to_markdown(value), to_html(value), {"shorthand": techdocs_shorthand})
        plain = f"<p>{value}</p>"
        _assert_reads_back(escape_inline(value), plain, {"shorthand": techdocs_shorthand})


text = st.lists(st.sampled_from([*PIECES, *SHORTHAND]), min_size=1, max_size=8).map("".join)


@pytest.mark.techdocs
@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_each_construct_reads_back_in_every_reader(techdocs: Reader, construct: str) -> None:
    """One construct alone, at a line's start and inside words, in both kinds of field."""
    for value in (construct, f"see {construct} here", f"x{construct}x"):
        _assert_reads_back(to_markdown(value), to_html(value), _readers(techdocs))
        plain = f"<p>{value.replace('&', '&amp;').replace('<', '&lt;')}</p>"
        _assert_reads_back(escape_inline(value), plain, _readers(techdocs))


@pytest.mark.techdocs
@bounded(150)
@given(value=text)
def test_constructs_mixed_read_back_in_every_reader(
    techdocs: Reader, techdocs_shorthand: Reader, value: str
) -> None:
    readers = {**_readers(techdocs), "shorthand": techdocs_shorthand}
    _assert_reads_back(to_markdown(value), to_html(value), readers)
    plain = f"<p>{value.replace('&', '&amp;').replace('<', '&lt;')}</p>"
    _assert_reads_back(escape_inline(value), plain, readers)


def _with_lists(data: dict[str, Any]) -> dict[str, Any]:
    """The full record with lists in the fields a template sets inside a list item."""
    nested = "Steps:\n\n- one\n  - inner *a*\n  - inner 2\n- two\n\n1. first\n2. second"
    quoted = "- item\n  > quoted\n- next"
    data = copy.deepcopy(data)
    data["summary"] = nested
    for step in data["cascade"]:
        step["description"] = nested
    data["contributing_factors"] = [nested, quoted, "plain"]
    data["lessons"]["went_well"] = ["- a\n- b", quoted]
    return data


@pytest.mark.techdocs
def test_lists_in_fields_read_back_in_a_techdocs_site(folder: Path, techdocs: Reader) -> None:
    """mdx_truly_sane_lists reads a list nested at four spaces as text (`1. first`)."""
    data = _with_lists(BASE)
    twin_data, markers = twin(data)
    got = render(data, folder, ("md",))
    want = render(twin_data, folder, ("md",))
    check_markdown(got, want, markers, {"techdocs-core": techdocs})


def test_lists_in_fields_read_back_in_every_other_reader(folder: Path) -> None:
    """A quote in a tight item was text (`> quoted`) to Python-Markdown."""
    check_documents(_with_lists(BASE), folder)
