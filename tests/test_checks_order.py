"""Order and consistency checks, and `check` reporting every error (issue 15)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem.checker import check_bytes
from postmortem.consistency import Closest
from postmortem.files import LoadError
from postmortem.loader import load_text

from conftest import run_cli

# --- a ': ' inside plain text (finding 9) ---------------------------------------------------

FULL = Path(__file__).parent / "fixtures" / "valid" / "full.yaml"
_FIXED = re.compile(r"needs quotes: (.*)\)$")


def _load_error(text: str) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load_text(text)
    return caught.value


def test_colon_in_text_says_to_quote_and_shows_the_fixed_line() -> None:
    error = _load_error(
        "timeline:\n  - time: 2024-01-01T10:00:00Z\n    event: Engineers are paged: too late.\n"
    )
    assert (error.line, error.column) == (3, 31)
    assert error.rule == "yaml-syntax"
    assert error.message == (
        "invalid YAML: mapping values are not allowed here (a ': ' inside text needs quotes: "
        """event: "Engineers are paged: too late.")"""
    )


# Plain text that YAML would take as one scalar up to the ': ' it holds.
_WORD = st.text(st.sampled_from("abcXYZ019 .,'\"\\()é#-"), min_size=1, max_size=12).filter(
    lambda w: w.strip() == w and w[0].isalnum() and " #" not in w
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.booleans(), _WORD, _WORD, st.sampled_from(["", "  # a comment"]))
def test_the_fixed_line_reads_back_as_the_text_written(
    in_list: bool, before: str, after: str, comment: str
) -> None:
    text = f"{before}: {after}"
    head = "items:\n  " if in_list else ""
    line = f"{'- ' if in_list else ''}note: {text}{comment}"
    with pytest.raises(LoadError) as caught:
        load_text(f"{head}{line}\n")
    found = _FIXED.search(caught.value.message)
    assert found, caught.value.message
    data = load_text(f"{head}{found.group(1)}\n").data
    assert (data["items"][0] if in_list else data)["note"] == text


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("- The page: came late", """(a ': ' inside text needs quotes: "The page: came late")"""),
        ("- Retries: 3", "(a ': ' inside text needs quotes: quote the whole value)"),
    ],
)
def test_text_that_yaml_read_as_a_mapping_says_to_quote(line: str, hint: str) -> None:
    text = FULL.read_text().replace("- Retries had no jitter.", line)
    [issue] = check_bytes("r.yaml", text.encode()).issues
    assert issue.message == f"contributing_factors[1]: expected text, got a mapping {hint}"


# --- every error, one at each broken place (findings 6 and 8) -------------------------------

# Independent ways to break the full example: where, and the value written there. Each is
# one error at that place, whatever others are broken with it.
BREAKS: list[tuple[tuple[str | int, ...], Any, str]] = [
    (("status",), "finished", "enum"),
    (("title",), "", "empty"),
    (("timezone",), "Mars/Base", "timezone"),
    (("trigger", "kind"), "oops", "enum"),
    (("cascade", 0, "caused_by"), 5, "type"),
    (("cascade", 1, "caused_by", 0), "poool", "unknown-step"),
    # `checkout` still names `queue`: that is this one error, not a second.
    (("cascade", 2, "id"), "Queue!", "id"),
    (("impact", "services", 0, "start"), "2024-03-02T09:58:00+01:00", "service-outside-impact"),
    (("impact", "services", 0, "end"), "2024-03-02T09:57:00+01:00", "end-before-start"),
    (("impact", "services", 1, "end"), "2024-03-02T12:30:00+01:00", "service-outside-impact"),
    (("detection", "time"), "2024-03-02T09:50:00+01:00", "detected-before-trigger"),
    (("resolution", "resolved"), "2024-03-02T11:00:00+01:00", "resolved-before-mitigated"),
    (("lessons",), {}, "lessons-empty"),
    (("action_items", 0, "priority"), "P9", "enum"),
    (("references", 0, "url"), "ftp://example.com/x", "url"),
]


def _broken(chosen: list[int]) -> tuple[str, list[tuple[tuple[int, int], str]]]:
    """The full example with the chosen breaks, as YAML; and where each error must be."""
    data = yaml.safe_load(FULL.read_text())
    for i in chosen:
        loc, value, _ = BREAKS[i]
        parent = data
        for part in loc[:-1]:
            parent = parent[part]
        parent[loc[-1]] = value
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    doc = load_text(text, positions=True)
    return text, sorted((doc.position(BREAKS[i][0]), BREAKS[i][2]) for i in chosen)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.integers(0, len(BREAKS) - 1), min_size=1, max_size=len(BREAKS), unique=True))
def test_each_broken_field_is_one_error_at_its_place(chosen: list[int]) -> None:
    text, expected = _broken(chosen)
    result = check_bytes("r.yaml", text.encode())
    found = sorted(((i.line, i.column), i.rule) for i in result.issues)
    assert found == expected, [i.message for i in result.issues]


def test_a_bad_trigger_kind_does_not_hide_a_wrong_cause() -> None:
    text, _ = _broken([3, 5])
    messages = sorted(i.message for i in check_bytes("r.yaml", text.encode()).issues)
    assert messages == [
        "cascade[1].caused_by[0]: 'poool' is not a step id (did you mean 'pool'?)",
        "trigger.kind: 'oops' is not one of: change, deploy, config, operation, capacity, "
        "load, software, hardware, power, network, dependency, security, unknown",
    ]


# --- related ids the run can resolve (finding 11) -------------------------------------------

MINIMAL = FULL.with_name("minimal.yaml").read_text()


def _records(folder: Path) -> Path:
    """Two records in `folder`: `a` relates to `b` and to an id no record has."""
    folder.mkdir(exist_ok=True)
    a = MINIMAL.replace("id: minimal", "id: a") + "related: [b, no-such-incident]\n"
    (folder / "a.yaml").write_text(a)
    (folder / "b.yaml").write_text(MINIMAL.replace("id: minimal", "id: b"))
    return folder


def test_an_unknown_related_id_is_a_warning_when_a_folder_is_checked(tmp_path: Path) -> None:
    folder = _records(tmp_path / "incidents")
    result = run_cli("check", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{folder / 'a.yaml'}:19:14: warning: related[1]: no record of this run has the id "
        "'no-such-incident' [unknown-related]\n"
    )
    assert result.stderr == "2 record(s) valid, 1 warning(s)\n"
    issues = json.loads(run_cli("check", "-o", "json", str(folder)).stdout)
    assert [(i["rule"], i["severity"], i["field"]) for i in issues] == [
        ("unknown-related", "warning", "related[1]")
    ]


def test_strict_makes_a_warning_fail(tmp_path: Path) -> None:
    folder = _records(tmp_path / "incidents")
    result = run_cli("check", "--strict", str(folder))
    assert result.exit_code == 1
    assert "[unknown-related]" in result.stdout
    assert result.stderr == "1 of 2 record(s) invalid, 0 error(s), 1 warning(s)\n"


def test_files_named_one_by_one_do_not_warn(tmp_path: Path) -> None:
    # As pre-commit runs it, on the changed files only: the others are not in the run.
    folder = _records(tmp_path / "incidents")
    for args in ([str(folder / "a.yaml")], [str(folder / "a.yaml"), str(folder / "b.yaml")]):
        result = run_cli("check", "--strict", *args)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""


def test_an_invalid_record_still_counts_as_known(tmp_path: Path) -> None:
    folder = _records(tmp_path / "incidents")
    (folder / "b.yaml").write_text(MINIMAL.replace("id: minimal", "id: b\nstatus: finished"))
    (folder / "c.yaml").write_text(
        MINIMAL.replace("id: minimal", "id: c\nsummary2: x") + "related: [a, nothing-here]\n"
    )
    result = run_cli("check", "-q", str(folder))
    assert result.exit_code == 1
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    assert [w.split(": ", 2)[2] for w in warnings] == [
        "related[1]: no record of this run has the id 'no-such-incident' [unknown-related]",
        "related[1]: no record of this run has the id 'nothing-here' [unknown-related]",
    ]


# --- "did you mean" at a bounded cost -------------------------------------------------------


def _long_alike_cascade() -> str:
    """200 steps with long ids alike, and 400 cause links close to them but unknown."""
    steps = [
        {
            "id": "a" * 96 + f"{i:04d}",
            "component": "c",
            "description": "d",
            "caused_by": ["a" * 95 + f"{i:04d}b", "a" * 94 + f"{i:04d}cc"],
        }
        for i in range(200)
    ]
    data = yaml.safe_load(MINIMAL) | {"cascade": steps}
    return yaml.safe_dump(data)


def test_did_you_mean_has_a_budget() -> None:
    # Before: 80,000 full comparisons of 100-character ids, over two minutes for one record.
    closest = Closest()
    text = _long_alike_cascade()
    links = [c for step in yaml.safe_load(text)["cascade"] for c in step["caused_by"]]
    ids = [step["id"] for step in yaml.safe_load(text)["cascade"]]
    hints = [closest(link, ids) for link in links]
    assert closest.spent <= Closest.BUDGET
    assert hints[0] == ids[0]  # the first ones still get their hint


def test_a_record_past_the_hint_budget_still_reports_every_link() -> None:
    result = check_bytes("r.yaml", _long_alike_cascade().encode())
    assert [i.rule for i in result.issues] == ["unknown-step"] * 400
    assert "did you mean" in result.issues[0].message


def _paths(node: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path in a loaded record, containers and leaves."""
    found = [at] if at else []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found += _paths(value, (*at, key))
    return found


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(
        ["trigger", "pool", "Pool!", "", "2024-03-02T09:00:00", "Mars/Base", "x" * 300]
    ),
    st.lists(st.sampled_from(["pool", "trigger", 3, None, "BAD"]), max_size=3),
    st.dictionaries(st.sampled_from(["id", "time", "name", "start"]), st.integers(), max_size=2),
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.data())
def test_any_part_replaced_by_anything_gives_diagnostics_never_an_internal_error(
    data: st.DataObject,
) -> None:
    record = yaml.safe_load(FULL.read_text())
    places = _paths(record)
    for loc in data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=4)):
        parent = record
        try:
            for part in loc[:-1]:
                parent = parent[part]
            parent[loc[-1]] = data.draw(_JUNK)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement took that place away
    text = yaml.safe_dump(record, sort_keys=False)
    result = check_bytes("r.yaml", text.encode())
    assert not [i.message for i in result.issues if i.rule == "internal"]
