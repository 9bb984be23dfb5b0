"""The YAML loader: positions, traps and hostile input, below the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem.files import LoadError, decode
from postmortem.loader import load_text


def test_positions_of_values_and_keys_are_one_based() -> None:
    doc = load_text("a: 1\nb:\n  - x\n  - {c: d}\n")
    assert doc.positions[("a",)] == (1, 4)
    assert doc.positions[("b", 1, "c")] == (4, 9)
    assert doc.key_positions[("b", 1, "c")] == (4, 6)
    assert doc.position(("b", 7, "zz")) == doc.positions[("b",)] == (3, 3)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("v: no", "YAML 1.1 reads no as the boolean false"),
        ("v: On", "YAML 1.1 reads On as the boolean true"),
        ("v: 1:30", "YAML 1.1 reads 1:30 as the base-60 number 90"),
        ("v: 0755", "YAML 1.1 reads 0755 as the octal number 493"),
        ("v: 1.10", "YAML 1.1 reads 1.10 as the number 1.1"),
        ("v: 2024-01-02", "YAML reads 2024-01-02 as a date"),
    ],
)
def test_yaml_1_1_readings_are_remembered(text: str, reading: str) -> None:
    assert load_text(text).readings[("v",)] == reading


def test_quoted_values_stay_text_without_a_reading() -> None:
    doc = load_text('v: "no"\nw: "12:30"\n')
    assert doc.data == {"v": "no", "w": "12:30"}
    assert doc.readings == {}


def test_bom_and_crlf_are_accepted() -> None:
    raw = "\ufeffid: x\r\ntitle: y\r\n".encode()
    assert load_text(decode(raw)).data == {"id": "x", "title": "y"}


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(9)
    ]
    with pytest.raises(LoadError) as exc:
        load_text("\n".join(levels))
    assert (exc.value.rule, exc.value.line, exc.value.column) == ("yaml-alias", 1, 4)


def test_merge_keys_are_refused() -> None:
    with pytest.raises(LoadError) as exc:
        load_text("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert exc.value.rule == "yaml-alias"


def test_nesting_100000_deep_is_refused() -> None:
    with pytest.raises(LoadError) as exc:
        load_text("a: " + "[" * 100_000 + "]" * 100_000)
    assert exc.value.rule == "limit-depth"


def test_unquoted_impossible_date_stays_text() -> None:
    assert load_text("d: 2021-13-45").data == {"d": "2021-13-45"}


def test_explicit_standard_tags_are_allowed() -> None:
    assert load_text("a: !!str 12\nb: !!int '7'").data == {"a": "12", "b": 7}


def test_read_file_reads_whole_files_up_to_the_limit(tmp_path: Path) -> None:
    from postmortem.files import MAX_BYTES, LoadError, read_file

    for size in (0, 1, 70_000, MAX_BYTES):
        path = tmp_path / f"r{size}.yaml"
        data = bytes(i % 251 for i in range(size))
        path.write_bytes(data)
        assert read_file(path) == data
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * (MAX_BYTES + 1))
    with pytest.raises(LoadError) as over:
        read_file(big)
    assert over.value.rule == "limit-size"
    with pytest.raises(LoadError) as folder:
        read_file(tmp_path)
    assert folder.value.rule == "io" and "directory" in folder.value.message.lower()


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    tag=st.sampled_from(["bool", "int", "float", "timestamp", "null", "str"]),
    text=st.one_of(
        st.text(alphabet="0123456789+-_.:xobeEtTzZ yesnoYNn", max_size=12),
        st.sampled_from(["", "maybe", "0x", "_", "2024-13-01", "2024-01-02 10:00:00 +99"]),
    ),
)
def test_an_explicit_tag_on_any_text_gives_data_or_a_clean_error(tag: str, text: str) -> None:
    # PyYAML's constructors trust the resolver's patterns: `!!bool maybe` raised KeyError.
    try:
        doc = load_text(f"v: !!{tag} {json.dumps(text)}")
    except LoadError as exc:
        assert (exc.rule, exc.line, exc.column) == ("yaml-tag", 1, 4)
        assert exc.message == f"{text!r} is not a valid {tag}"
    else:
        assert list(doc.data) == ["v"]
