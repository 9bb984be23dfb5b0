"""Record text: the fast reader emits markdown-it's own tokens, for one set of writers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

from postmortem.writers import markdown_out, tokens

# Mostly what plain prose is made of, and every kind of character that must leave it.
ALPHABET = st.sampled_from(
    [
        *"abcXYZ019 \n\n.,;:'\"?%/@$+=-()!{}^",
        *("é", "٣", "²", "—", "\u2019", "日", "\u00a0", "\u2003", "\t", "\r", "\x00", "\x0b"),
        *"\x85\\`*_[]#&<>|~",
    ]
)


_KEPT = ("type", "tag", "nesting", "attrs", "map", "level", "content", "markup", "info")
_KEPT += ("meta", "block", "hidden")


def _fields(toks: list[Token] | None) -> list[tuple[object, ...]] | None:
    """Everything a token holds, its children's too (`map` of the blocks included)."""
    if toks is None:
        return None
    return [(*(getattr(t, name) for name in _KEPT), _fields(t.children)) for t in toks]


def _same_as_parser(source: str) -> None:
    """The fast reader either declines or emits markdown-it's very tokens."""
    fast = tokens._simple(source)
    if fast is not None:
        assert _fields(fast) == _fields(tokens.parser().parse(source))


@settings(max_examples=3000, deadline=None)
@given(st.text(ALPHABET, max_size=40))
@example('Engineers restarted the fleet.\nErrors fell.\n\n\nThen "it" recovered.\n')
@example("1. not plain")
@example("12) not plain")
@example("٣. not plain either")
@example("a\n- b")
@example("a  \nb")
@example("a\n b")
def test_plain_prose_reads_as_the_parser_reads_it(source: str) -> None:
    _same_as_parser(source)


# The simple subset's pieces in well-formed shape, the text around them that decides
# CommonMark's flanking, and marks that must send a field to the parser.
STARTS = ["a", "Z9", "é", "日", "word", "two words", "٣"]  # how a field may start
WORDS = [*STARTS, "end.", "(it)", "two\nlines", "1.", "٣) a"]
AROUND = [*" ().,;:!?'\"-#%$", "\nA", "\n\nB"]
CODES = ["x", "a b", "ttl=30s", "<b>&amp;", "*a*", "[x](y)", "\\"]
URLS = ["https://example.com/a_b*c?d=1&e=2", "HTTPS://EXAMPLE.COM/%7e%zz", "mailto:a@b.c"]
URLS += ["../x.md", "#top"]
URLS += [*URLS, "javascript:x", "//host/x", "data:text/html,x", "FILE:///etc"]
# Marks and shapes that must send a field to the parser (or look as if they should).
MARKS = ["*", "**", "***", "_", "__", "`", "``", "[", "]", "](", "![", "\\", "&", "<", "~~", "|"]
NOISE = [*MARKS, "javascript:alert(1)", "//host/x", "a b", "&amp;", "x;y", "(x)", "`` a ``"]
NOISE += ["` a`", "`a `", "`\u00a0`", "\u00a0", "\t", "\x00", "\n", "1.", "1. ", " - "]
NOISE += ["\n- ", "\n+ ", "\n# ", "\n> ", "\n1) ", "\n```", "\n***", "\n    "]


def _piece(kind: int, pick: Callable[[list[str]], str]) -> str:
    if kind == 0:
        mark = pick(["*", "**", "_", "__"])
        return f"{mark}{pick(WORDS)}{mark}"
    if kind == 1:
        return f"`{pick(CODES)}`"
    if kind == 2:
        return f"[{pick(WORDS)}]({pick(URLS)})"
    if kind == 3:
        return pick(NOISE)
    return pick(AROUND) if kind < 6 else pick(WORDS)


def _mix(pick: Callable[[list[str]], str], kinds: list[int]) -> str:
    return "".join(pick(["", " ", " ", " ", "\n"]) + _piece(kind, pick) for kind in kinds)


@st.composite
def simple_prose(draw: st.DrawFn) -> str:
    kinds = draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8]), max_size=12))
    return draw(st.sampled_from(STARTS)) + _mix(lambda c: draw(st.sampled_from(c)), kinds)


@settings(max_examples=6000, deadline=None)
@given(simple_prose())
@example("A **latent** fault meant that `ttl=30s` was never applied (see *this*).")
@example("See the [api dashboard](https://example.com/d/1234?a=1&b=2) for the error rate.")
@example("a *b*\nc _d_.\n\ne `x y` f")
@example("(*a*) _b_: **c**; __d__!")
@example("a*b* c_d_ *e*f *g *h* [i](j) ![k](l)")
@example("`a`` b `c` `` d `` ` e`")
@example("[a](https://ex.com/(x)) [b](<c>) [d](e 'f') [g]( h)")
@example("**a*b** *a**b* ***a*** *a _b_ c*")
@example("a *b** c **d*** e")
@example("**1.**\na\n__2) b__ *3.*")
@example("a [b\nc](d) **e\n1. f** [g\n- h](i) *j\n\nk*")
def test_simple_markdown_reads_as_the_parser_reads_it(source: str) -> None:
    _same_as_parser(source)


def test_the_simple_path_is_taken_by_what_it_is_for(tmp_path: Path) -> None:
    """Every text of the benchmark corpus, and many of the mixes the test above draws."""
    import importlib.util
    import random

    import yaml

    path = Path(__file__).parent.parent / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("generate", path)
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)

    def texts(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            for item in value:
                yield from texts(item)
        elif isinstance(value, str) and len(value) > 60:
            yield value

    fields = [
        t for p in generate.generate(30, tmp_path) for t in texts(yaml.safe_load(p.read_text()))
    ]
    assert len(fields) > 30 * 10
    assert [f for f in fields if tokens._simple(f) is None] == []

    rng = random.Random(1)
    mixes = [
        rng.choice(STARTS) + _mix(rng.choice, [rng.choice(range(9)) for _ in range(6)])
        for _ in range(3000)
    ]
    taken = sum(tokens._simple(s) is not None for s in mixes)
    assert taken > len(mixes) // 6, taken


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
def test_plain_prose_takes_the_simple_path(source: str) -> None:
    assert tokens._simple(source) is not None


@pytest.mark.parametrize(
    "source",
    [
        "*emphasis*not closed before a letter",
        "a ``double`` code span",
        "[a link](https://example.com 'with a title')",
        "an ![image](https://example.com/i.png)",
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
    assert tokens._simple(source) is None


@given(st.lists(st.sampled_from(["a", " ", "\n", "\n\n\n"]), max_size=30).map("".join))
def test_tidy_keeps_at_most_one_blank_line(source: str) -> None:
    import re

    from postmortem.writers.markdown import tidy

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
    assert markdown_out._guard_line_start("1. a") == "1\\. a"
    assert markdown_out._guard_line_start("\u0663) a") == "\u0663\\) a"
    assert markdown_out._guard_line_start(" - a") == " &#45; a"
