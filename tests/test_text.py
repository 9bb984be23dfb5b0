"""Record text: the plain-prose path gives exactly what the parser's path gives."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from postmortem.render import text

OUTPUTS = (
    text.to_html,
    text.to_html_inline,
    text.to_markdown,
    text.to_markdown_inline,
    text.plain_text,
)

# Mostly what plain prose is made of, and every kind of character that must leave it.
ALPHABET = st.sampled_from(
    [
        *"abcXYZ019 \n\n.,;:'\"?%/@$+=-()!{}^",
        *("é", "٣", "²", "—", "\u2019", "日", "\u00a0", "\u2003", "\t", "\r", "\x00", "\x0b"),
        *"\x85\\`*_[]#&<>|~",
    ]
)


def _by_parser(monkeypatch: pytest.MonkeyPatch, source: str) -> list[str]:
    with monkeypatch.context() as m:
        m.setattr(text, "_plain", lambda _: None)
        return [f(source) for f in OUTPUTS]


@settings(max_examples=3000, deadline=None)
@given(st.text(ALPHABET, max_size=40))
@example('Engineers restarted the fleet.\nErrors fell.\n\n\nThen "it" recovered.\n')
@example("1. not plain")
@example("12) not plain")
@example("٣. not plain either")
@example("a\n- b")
@example("a  \nb")
@example("a\n b")
def test_plain_prose_renders_as_the_parser_renders_it(source: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert [f(source) for f in OUTPUTS] == _by_parser(monkeypatch, source)


@pytest.mark.parametrize(
    "source",
    [
        "Engineers restarted the fleet.",
        "Errors fell to 2% by 09:40 (UTC); p99 latency — 1.2 s.\nSecond line.\n",
        "One.\n\nTwo, after a blank line.\n",
        "2021 was the year: 3 outages.",
        "Café, 日本, ½ — all letters or digits at the start of a line.",
    ],
)
def test_plain_prose_takes_the_plain_path(source: str) -> None:
    assert text._plain(source) is not None


@pytest.mark.parametrize(
    "source",
    [
        "*emphasis*",
        "a `code` span",
        "[a link](https://example.com)",
        "1. a list",
        "- a list",
        "    indented code",
        "a hard  \nbreak",
        "AT&amp;T",
        "a <b>tag</b>",
        "tab\there",
        "non\u00a0breaking",
        "",
        "\n\n",
    ],
)
def test_anything_else_goes_to_the_parser(source: str) -> None:
    assert text._plain(source) is None


@given(st.lists(st.sampled_from(["a", " ", "\n", "\n\n\n"]), max_size=30).map("".join))
def test_tidy_keeps_at_most_one_blank_line(source: str) -> None:
    import re

    from postmortem.render.markdown import tidy

    assert tidy(source) == re.sub(r"\n{3,}", "\n\n", source).strip() + "\n"


def test_the_line_start_guard_looks_at_every_character_its_pattern_can_start_with() -> None:
    """`_guard_line_start` skips its regex for text that starts with anything else."""
    import re
    import sys

    start = re.compile(r"\s|\d|[-+=]")
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if start.match(ch):
            assert ch in "-+=" or ch.isdigit() or ch.isspace(), hex(code)
    assert text._guard_line_start("1. a") == "1\\. a"
    assert text._guard_line_start("\u0663) a") == "\u0663\\) a"
    assert text._guard_line_start(" - a") == " &#45; a"
