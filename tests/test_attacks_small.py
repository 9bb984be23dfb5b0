"""Attacks through names and values: CI log commands, line-end regexes, CSV formulas,
bracket floods in Markdown, and dates at the ends of the calendar."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import regress
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from postmortem import model, scalars
from postmortem.actions import Action, format_csv
from postmortem.checker import check_bytes
from postmortem.derive import Clock
from postmortem.diagnostics import Issue, format_text, printable

from conftest import FIXTURES, run_cli

MINIMAL = (FIXTURES / "valid" / "minimal.yaml").read_text(encoding="utf-8")
# What a CI log reader must never see raw: line breaks of any kind, other control
# characters, lone surrogates (which cannot even be encoded) and bidirectional overrides.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
HOSTILE = [
    *"\n\r\t\x1b\x07\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u202e\udc80",
    "::",
    "::error::x",
    "::stop-commands::t",
    " ",
    "%",
    ",",
    "a",
    "é",
    "\u00a0",
    "\\",
    "'",
]


def _hostile(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(HOSTILE), min_size=min_size, max_size=max_size).map("".join)


def _assert_log_safe(text: str) -> None:
    """Every line holds no control character and cannot be read as a workflow command."""
    for line in text.split("\n"):
        assert not UNSAFE.search(line), repr(line)
        # The runner trims leading white space before it looks for `::`.
        assert not line.lstrip().startswith("::"), repr(line)


# --- 7: nothing printed can start a workflow command or break a line ---------------------


@settings(max_examples=300, derandomize=True)
@given(_hostile(12))
def test_printable_is_one_safe_line(text: str) -> None:
    shown = printable(text)
    assert not UNSAFE.search(shown)
    if not UNSAFE.search(text):
        assert shown == text  # nothing to escape, nothing changed


@settings(max_examples=300, derandomize=True)
@given(path=_hostile(10), message=st.text(max_size=20))
@example(path="::error::x.yaml", message="m")
@example(path=" ::error::x.yaml", message="m")
def test_a_text_diagnostic_is_one_line_that_is_no_command(path: str, message: str) -> None:
    for line in (0, 3):
        shown = format_text(Issue(path, line, 1, message, "rule"))
        assert "\n" not in shown
        _assert_log_safe(shown)


def _record(folder: Path, name: str, text: str) -> Path | None:
    try:
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
    except (OSError, UnicodeEncodeError, ValueError):
        return None  # a name this file system cannot hold
    return path


@settings(max_examples=25, derandomize=True, deadline=None)
@given(_hostile(8, min_size=1))
@example("\n::error::x")
@example("\n::stop-commands::t")
@example("::error::x")
@example("a\u2028::error::b")
@example("\udc80")
def test_hostile_file_names_never_reach_the_log_raw(name: str) -> None:
    """check, render and actions on records named to inject workflow commands."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "in")
        folder.mkdir()
        bad = _record(folder, name, MINIMAL.replace("title: Minimal record", "titel: x"))
        if bad is None:
            return
        late = MINIMAL + (
            "action_items:\n  - title: '=cmd'\n    owner: '-x'\n    due: 2020-01-01\n"
        )
        _record(folder, name + "2", late.replace("id: minimal", "id: other"))
        runs = [
            run_cli("check", str(folder)),
            run_cli("check", str(folder), "-o", "json"),
            run_cli("render", str(folder), "-o", str(Path(tmp, "out")), "-f", "md", "-j", "1"),
            run_cli("actions", str(folder), "--today", "2024-01-01"),
            run_cli("actions", str(folder), "--today", "2024-01-01", "-o", "json"),
        ]
        for result in runs:
            assert result.exit_code == 1, result.output
            _assert_log_safe(result.stdout)
            _assert_log_safe(result.stderr)
        old = Path.cwd()
        os.chdir(folder)
        try:  # relative paths: the name itself starts the line
            relative = run_cli("check", ".")
        finally:
            os.chdir(old)
        _assert_log_safe(relative.stdout + relative.stderr)


def test_hostile_values_and_names_in_other_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "x\n::error::y.pdf"
    pdf.write_bytes(b"not a pdf")
    result = run_cli("extract", str(pdf))
    assert result.exit_code == 1
    _assert_log_safe(result.stderr)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POSTMORTEM_INCIDENTS", "a\n::error::b")
    result = run_cli("config")
    assert result.exit_code == 2  # a control character in a path is a bad setting
    _assert_log_safe(result.stdout + result.stderr)
    result = run_cli("new", "evil\n::error::x")
    assert result.exit_code == 2
    _assert_log_safe(result.stdout + result.stderr)
    result = run_cli("render", str(pdf), "-f", "md,x\n::error::y")
    assert result.exit_code == 2
    _assert_log_safe(result.stdout + result.stderr)


def test_json_output_stays_json_when_escaped(tmp_path: Path) -> None:
    name = "a\u2028\x85\udc80b"
    _record(tmp_path, name, MINIMAL.replace("title: Minimal record", "titel: x"))
    result = run_cli("check", str(tmp_path), "-o", "json")
    _assert_log_safe(result.stdout)
    issues = json.loads(result.stdout)
    assert issues
    assert {i["path"] for i in issues} == {str(tmp_path / f"{name}.yaml")}


# --- 8: ids, URLs, lines and times end where the string ends ---------------------------

TYPES = {
    "slug": scalars.Slug,
    "line": scalars.Line,
    "text": scalars.Markdown,
    "url": scalars.Url,
    "time": scalars.Time,
    "date": scalars.Date,
}
BASES = ["evil", "con", "a.b-c_1", "Title", "https://example.com/x", "2024-03-02"]
BASES += ["2024-03-02T10:00:00Z", "2024-03-02 10:00", "http://h"]
ENDS = ["", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x1c", "\ufeff", " ", "\t"]
CHARS = st.sampled_from(
    [*"a.-_:/ Z0@[]?#", "\n", "\x1f", "\x7f", "\u00a0", "\u3000", "\ufeff", "é"]
)


def _python_accepts(kind: str, value: str) -> bool:
    try:
        TypeAdapter(TYPES[kind]).validate_python(value)
    except ValidationError:
        return False
    return True


def _schema(kind: str) -> dict[str, object]:
    return TypeAdapter(TYPES[kind]).json_schema()


@settings(max_examples=400, derandomize=True)
@given(
    kind=st.sampled_from(sorted(TYPES)),
    base=st.sampled_from(["", *BASES]),
    middle=st.text(CHARS, max_size=4),
    end=st.sampled_from(ENDS),
)
@example(kind="slug", base="evil", middle="", end="\n")
@example(kind="url", base="https://example.com/x", middle="", end="\n")
@example(kind="line", base="Title", middle="", end="\n")
@example(kind="time", base="2024-03-02T10:00:00Z", middle="", end="\n")
@example(kind="date", base="2024-03-02", middle="", end="\n")
def test_python_and_the_json_schema_agree(kind: str, base: str, middle: str, end: str) -> None:
    """Python's own check, python-jsonschema and an ECMA-262 engine read each pattern alike."""
    value = base + middle + end
    schema = _schema(kind)
    by_schema = jsonschema.Draft202012Validator(schema).is_valid(value)
    pattern = schema.get("pattern")
    if pattern is not None:  # what check-jsonschema and editors (ECMA-262 regexes) see
        assert (regress.Regex(pattern).find(value) is not None) == bool(
            re.search(pattern, value)
        ), (pattern, value)
    by_python = _python_accepts(kind, value)
    if kind in ("time", "date"):
        # A pattern cannot know the calendar (2024-02-30) or the supported years.
        assert by_schema or not by_python, value
    else:
        assert by_python == by_schema, value
    if end in ("\n", "\r\n", "\r", "\u2028", "\u2029", "\x85") and kind != "text":
        assert not by_python, value
    if kind == "url" and by_python:  # what the renderers take apart
        parts = urlsplit(value)
        assert parts.scheme in ("http", "https") and parts.hostname, value


def test_blank_is_what_python_strips() -> None:
    """`must not be empty` in Python (str.strip) and in the schema (TEXT_PATTERN) agree."""
    text = re.compile(scalars.TEXT_PATTERN)
    for code in range(0x110000):
        char = chr(code)
        assert (text.search(char) is None) == char.isspace(), hex(code)


def test_an_id_with_a_final_newline_is_an_error_at_its_line() -> None:
    source = MINIMAL.replace("id: minimal", 'id: "evil\\n"')
    result = check_bytes("r.yaml", source.encode())
    assert result.incident is None
    [issue] = result.issues
    assert (issue.line, issue.rule) == (2, "id")


@pytest.mark.parametrize("value", ["a\u2028b", "a\x85b", "a\x1bb", "a\tb"])
def test_a_one_line_field_refuses_line_separators_and_control_characters(value: str) -> None:
    escaped = json.dumps(value)
    result = check_bytes("r.yaml", MINIMAL.replace("Minimal record", escaped).encode())
    assert [(i.line, i.rule) for i in result.issues] == [(3, "single-line")]


# --- 13b: no spreadsheet formulas in CSV ------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@settings(max_examples=300, derandomize=True)
@given(
    st.lists(
        # No line breaks: no column of a valid record can hold one (one-line fields, URLs).
        st.lists(st.sampled_from([*"=+-@\t,\"'a1 ", "SUM(A1)", "\uff1d"]), max_size=6).map("".join),
        min_size=9,
        max_size=9,
    )
)
def test_no_csv_cell_starts_a_formula(values: list[str]) -> None:
    """Every column, whatever it holds, reads back as written but never as a formula."""
    incident = model.Incident.model_construct(id=values[0], title=values[1])
    item = model.ActionItem.model_construct(
        title=values[2],
        kind=values[3],
        owner=values[4],
        priority=values[5],
        status=values[6],
        due=None,
        link=values[7],
        ticket=values[8],
        completed=None,
        addresses=[],
    )
    rows = list(csv.reader(io.StringIO(format_csv([Action(incident, item, False)]))))
    cells = rows[1]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), cells
    written = [*values[:7], "", "no", values[7], values[8], "", ""]
    for cell, value in zip(cells, written, strict=True):
        assert cell in (value, "'" + value), (cell, value)


# --- 11a: a flood of `![` costs what prose costs, and every image is still found -------

PIECES = ["![", "[", "]", "(", ")", "x", "a b", " ", "\n", "\n\n", "`", "``", "\\", "<", ">"]
PIECES += ["](", "![a](b)", "![a][r]", "![r]", "[r]: /u\n", "\n[r]: /v 't'\n", '"t"', "|"]
PIECES += ["\n| a | b |\n|---|---|\n| ![c](d) | e |\n", "<http://x>", "*", "!", "- ", "    "]


def _by_full_parse(text: str) -> list[str]:
    from postmortem.fields import _parser

    return [
        str(child.attrs.get("src", ""))
        for token in _parser().parse(text)
        for child in token.children or ()
        if child.type == "image"
    ]


@settings(max_examples=1500, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
@example("![" * 50 + "](x)")
@example("[r]: /u\n\n" + "![" * 30 + "r]")
@example("`![a](b)`")
@example("![a](b\n\n![c](d)")
def test_images_finds_what_the_full_parse_finds(text: str) -> None:
    from postmortem.fields import images

    assert images(text) == _by_full_parse(text)


def test_blocks_that_cannot_hold_an_image_are_not_parsed_inline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flood of `![` (17 s for 1 MiB) is only block-parsed; a real image is still found."""
    from postmortem.fields import _probe, images

    parsed: list[str] = []
    inline = _probe().inline
    real = inline.parse
    monkeypatch.setattr(inline, "parse", lambda src, *a: parsed.append(src) or real(src, *a))
    flood = "![" * 5000
    assert images(f"{flood}\n\nSee ![graph](g.png).\n\n{flood} ]") == ["g.png"]
    assert parsed[0] == "See ![graph](g.png)."  # then the image's alt text, on its own
    assert not any(flood in src for src in parsed)


# --- 12: every time check accepts can be shown in UTC and in the record's zone ---------

ZONES = ["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "America/Los_Angeles", "Asia/Kolkata"]


@settings(max_examples=400, derandomize=True)
@given(
    year=st.sampled_from([1, 1899, 1900, 1901, 9998, 9999]),
    day=st.sampled_from([(1, 1), (12, 31)]),
    hour=st.integers(0, 23),
    offset=st.one_of(st.none(), st.integers(-(24 * 60 - 1), 24 * 60 - 1)),
    zone=st.sampled_from(ZONES),
)
def test_every_time_check_accepts_can_be_shown(
    year: int, day: tuple[int, int], hour: int, offset: int | None, zone: str
) -> None:
    when = datetime(year, *day, hour)
    if offset is not None:
        when = when.replace(tzinfo=timezone(timedelta(minutes=offset)))
    text = when.isoformat()
    source = MINIMAL.replace("2024-03-02T10:00:00Z", f'"{text}"') + f"timezone: {zone}\n"
    result = check_bytes("r.yaml", source.encode())
    if result.incident is None:
        assert [(i.line, i.rule) for i in result.issues] == [(12, "time")], result.issues
        assert not scalars.MIN_YEAR <= year <= scalars.MAX_YEAR
        return
    start = result.incident.impact.start
    start.astimezone(UTC)
    clock = Clock(ZoneInfo(zone))
    assert clock.full(start) and clock.iso(start)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00"])
def test_far_times_are_errors_at_their_line(value: str) -> None:
    source = MINIMAL.replace("2024-03-02T10:00:00Z", f'"{value}"')
    result = check_bytes("r.yaml", source.encode())
    assert [(i.line, i.column, i.rule) for i in result.issues] == [(12, 10, "time")]
    assert "1900" in result.issues[0].message


@pytest.mark.parametrize("value", ["1900-01-01T00:00:00+14:00", "9998-12-31T23:59:59-23:59"])
def test_times_at_the_ends_of_the_range_render(tmp_path: Path, value: str) -> None:
    record = tmp_path / "r.yaml"
    record.write_text(
        MINIMAL.replace("2024-03-02T10:00:00Z", f'"{value}"') + "timezone: Etc/GMT-14\n"
    )
    result = run_cli("render", str(record), "-o", str(tmp_path / "out"), "-f", "md", "-j", "1")
    assert result.exit_code == 0, result.output
    shown = datetime.fromisoformat(value).astimezone(ZoneInfo("Etc/GMT-14")).date().isoformat()
    assert shown in (tmp_path / "out/minimal.md").read_text()


# --- a flood of brackets (finding 11) ----------------------------------------------------


def _lessons(unit: str, n: int) -> str:
    items = "".join(f"    - |\n      {unit}\n" for _ in range(n))
    return MINIMAL.replace(
        "  went_wrong:\n    - The change was not canaried.\n", "  went_wrong:\n" + items
    )


@pytest.mark.parametrize("unit", ["![" * 49_000 + "](x.png)", "[" * 98_000, "![a](x.png) " * 8_000])
def test_a_flood_of_brackets_is_refused_before_any_parse(unit: str) -> None:
    """A 1 MiB record of `![` took 19 s to check: markdown-it reads each `[` at 15-60 µs."""
    result = check_bytes("flood.yaml", _lessons(unit, 10).encode())
    assert result.incident is None
    [issue] = result.issues
    assert issue.rule == "limit-items" and (issue.line, issue.column) == (18, 7)
    assert "'[' number 5,001 of the record's Markdown" in issue.message
    assert issue.message.endswith("the limit is 5,000")


def test_the_bracket_limit_counts_every_markdown_field_and_allows_the_limit() -> None:
    at_limit = _lessons("[a](https://example.com/) " * 500, 10)
    assert check_bytes("ok.yaml", at_limit.encode()).incident is not None
    over = at_limit.replace("summary: The API", "summary: See [x](https://example.com/). The API")
    result = check_bytes("over.yaml", over.encode())
    assert [i.rule for i in result.issues] == ["limit-items"]
