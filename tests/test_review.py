"""`postmortem review`: each rule trips, stays quiet, and can be silenced; the examples pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmortem.checker import check_bytes
from postmortem.diagnostics import Issue
from postmortem.loader import load_text
from postmortem.review import review_result
from postmortem.review_rules import RULES

from conftest import INCIDENTS, ROOT, run_cli

# A record a careful team would write: no rule finds anything in it.
GOOD = """\
id: good
title: Checkout errors after a pool change
date: "2024-03-02"
authors: [Ada Lovelace]
summary: Checkout failed for 20 minutes.
trigger:
  kind: config
  description: >-
    A connection-pool limit was lowered from 200 to 20 by a config change
    that passed review.
cascade:
  - id: pool
    component: payments DB pool
    description: Exhausted within minutes.
contributing_factors:
  - The pool limit was not covered by config review.
impact:
  start: "2024-03-02T10:00:00Z"
  description: Customers could not pay.
resolution:
  description: The limit was restored.
lessons:
  went_wrong:
    - The error-rate alert took 12 minutes to fire.
action_items:
  - title: Alert when the pool is over 80% in use for 5 minutes
    owner: payments-team
    due: "2024-04-01"
"""


def review(text: str, *, strict: bool = False, ignore: tuple[str, ...] = ()) -> list[Issue]:
    """The review's issues on one record's text (which must be valid)."""
    result = check_bytes("r.yaml", text.encode())
    assert result.ok, result.issues
    return review_result(result, ignore=ignore, strict=strict)


def rules(text: str) -> list[str]:
    return [i.rule for i in review(text)]


def test_the_good_record_has_no_finding() -> None:
    assert review(GOOD) == []


# rule → (GOOD changed so that it trips the rule: old text, new text)
TRIPS: dict[str, tuple[str, str]] = {
    "blame-word": ("passed review.", "passed review. It was human error."),
    "person-cause": ("component: payments DB pool", "component: the on-call engineer"),
    "single-cause": (
        "contributing_factors:\n  - The pool limit was not covered by config review.\n",
        "",
    ),
    "action-owner": ("    owner: payments-team\n", ""),
    "action-due": ('    due: "2024-04-01"\n', ""),
    "action-vague": (
        "title: Alert when the pool is over 80% in use for 5 minutes",
        "title: Improve monitoring",
    ),
    "went-wrong-empty": (
        "  went_wrong:\n    - The error-rate alert took 12 minutes to fire.",
        "  went_well:\n    - The rollback took two minutes.",
    ),
    "placeholder": ("Checkout failed for 20 minutes.", '"TODO: two or three sentences."'),
}


def test_every_rule_has_a_trip_and_a_doc() -> None:
    docs = (ROOT / "docs" / "review.md").read_text()
    assert set(TRIPS) | {"silence-invalid", "silence-unused"} == set(RULES)
    for rule in RULES:
        assert f"### `{rule}`" in docs, rule


@pytest.mark.parametrize("rule", sorted(TRIPS))
def test_rule_trips(rule: str) -> None:
    old, new = TRIPS[rule]
    assert old in GOOD
    assert rules(GOOD.replace(old, new, 1)) == [rule]


@pytest.mark.parametrize("rule", sorted(TRIPS))
def test_rule_switched_off(rule: str) -> None:
    old, new = TRIPS[rule]
    assert review(GOOD.replace(old, new, 1), ignore=(rule,)) == []


def _first_line(text: str, issue: Issue) -> int:
    """The line where the value an issue concerns starts (a comment cannot be inside it)."""
    parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", issue.field)
    path = tuple(int(i) if i else name for i, name in parts)
    document = load_text(text, positions=True)
    return document.key_positions.get(path, document.position(path))[0]


def _silenced_above(text: str, rule: str, line: int) -> str:
    """`text` with a silence of `rule`, with a reason, alone on the line before `line`."""
    lines = text.split("\n")
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    comment = " " * indent + f"# postmortem: ignore[{rule}] reason: checked with the team"
    return "\n".join([*lines[: line - 1], comment, *lines[line - 1 :]])


@pytest.mark.parametrize("rule", sorted(TRIPS))
def test_rule_silenced_on_the_line_before(rule: str) -> None:
    old, new = TRIPS[rule]
    tripped = GOOD.replace(old, new, 1)
    (issue,) = review(tripped)
    assert review(_silenced_above(tripped, rule, _first_line(tripped, issue))) == []


@pytest.mark.parametrize("rule", sorted(TRIPS))
def test_rule_silenced_on_its_line(rule: str) -> None:
    old, new = TRIPS[rule]
    tripped = GOOD.replace(old, new, 1)
    (issue,) = review(tripped)
    lines = tripped.split("\n")
    # A trailing comment after a block scalar's header, a key, or a plain value.
    lines[_first_line(tripped, issue) - 1] += (
        f"  # postmortem: ignore[{rule}] reason: agreed in review"
    )
    assert review("\n".join(lines)) == []


@pytest.mark.parametrize("folder", [INCIDENTS, ROOT / "tests" / "fixtures" / "review"])
def test_real_post_mortems_pass_a_strict_review(folder: Path) -> None:
    """The examples, and records of other public post-mortems written to tune the rules."""
    result = run_cli("review", "--strict", "--quiet", str(folder))
    assert (result.exit_code, result.stdout) == (0, "")


def _in_trigger(sentence: str) -> str:
    return GOOD.replace("that passed review.", f"that passed review. {sentence}", 1)


# Each names the rule it must trip, as a careless post-mortem would write it.
BLAMING = [
    ("blame-word", "The outage was caused by human error."),
    ("blame-word", "A careless engineer pushed the change."),
    ("blame-word", "The engineer on call failed to notice the alert."),
    ("blame-word", "Someone should have checked the limit."),
    ("blame-word", "Ada forgot to run the canary."),  # an author's first name
    ("blame-word", "The new intern made a mistake in the config."),
    ("person-cause", "The outage was caused by the operator."),
    ("person-cause", "It happened because of Ada Lovelace."),
    ("person-cause", "@alice pushed the limit change."),
]
# Blameless writing that looks close: none of these may trip a rule.
BLAMELESS = [
    # AWS, 2017: the very example of blameless writing.
    "Using an established playbook, an authorized team member executed a command.",
    "One of the command's inputs was entered incorrectly.",
    "An engineer on the firewall team deployed a minor change.",  # Cloudflare, 2019
    "The on-call rotation failed to page anyone.",  # a rotation is not a person
    "The engineer's deploy failed to roll out.",  # the deploy failed
    "The Kubernetes operator failed to reconcile the pool.",
    "The admin console failed to load.",
    "We should have canaried the change.",  # a team reflecting on itself
    "Status went out through the `@AWSCloud` Twitter account.",
    "Mail to ops@example.com bounced.",
    "The cascade could have been worse.",
    "The limit change was blameless by the book: reviewed and approved.",
    "Retries were due to the client library's defaults.",
]


@pytest.mark.parametrize(("rule", "sentence"), BLAMING)
def test_blaming_sentences_trip(rule: str, sentence: str) -> None:
    assert rule in rules(_in_trigger(sentence))


@pytest.mark.parametrize("sentence", BLAMELESS)
def test_blameless_sentences_pass(sentence: str) -> None:
    assert review(_in_trigger(sentence)) == []


def test_a_finding_suggests_better_wording() -> None:
    (issue,) = review(_in_trigger("It was human error."))
    assert "e.g. 'the tool accepted an input" in issue.message


_WORDS = st.lists(st.sampled_from(["the", "pool", "limit", "was", "lowered", "by", "a"]))


@settings(max_examples=60, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=_WORDS,
    after=_WORDS,
    style=st.sampled_from([">-", "|", ""]),
    width=st.integers(min_value=1, max_value=6),
)
def test_a_word_is_pointed_at_where_it_is_written(
    before: list[str], after: list[str], style: str, width: int
) -> None:
    """Whatever the scalar style and line breaks, line:col is the word's first letter."""
    words = [*before, "careless", *after]
    lines = [" ".join(words[i : i + width]) for i in range(0, len(words), width)]
    if style:
        body = f"{style}\n" + "".join(f"    {line}\n" for line in lines)
    else:  # a plain scalar over several lines
        body = lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])
    old = GOOD.split("  description: >-\n", 1)[1].split("cascade:")[0]
    text = GOOD.replace(f"  description: >-\n{old}", f"  description: {body}", 1)
    (issue,) = review(text)
    source_line = text.split("\n")[issue.line - 1]
    assert source_line[issue.column - 1 :].startswith("careless")


def test_a_silence_above_a_list_covers_its_items() -> None:
    text = GOOD.replace("    owner: payments-team\n", "").replace(
        "action_items:\n",
        "# postmortem: ignore[action-owner] reason: imported record, no owners given\n"
        "action_items:\n  - title: Add a canary stage for config changes\n",
    )
    assert review(text) == []


def test_a_silence_without_a_reason_silences_nothing_and_is_a_finding() -> None:
    text = _in_trigger("It was human error.").replace(
        "  description: >-", "  description: >-  # postmortem: ignore[blame-word]"
    )
    assert sorted(rules(text)) == ["blame-word", "silence-invalid"]


def test_a_silence_of_an_unknown_rule_is_a_finding() -> None:
    text = GOOD.replace("id: good", "id: good  # postmortem: ignore[blame-words] reason: x")
    (issue,) = review(text)
    assert (issue.rule, issue.line, issue.column) == ("silence-invalid", 1, 11)
    assert "blame-words" in issue.message


def test_an_unused_silence_is_a_finding() -> None:
    text = GOOD.replace(
        "action_items:", "action_items:  # postmortem: ignore[action-due] reason: x"
    )
    assert rules(text) == ["silence-unused"]
    assert review(text, ignore=("action-due",)) == []  # switched off: not the comment's fault


def test_silence_words_inside_a_value_are_text() -> None:
    text = _in_trigger("It was human error. # postmortem: ignore[blame-word] reason: x")
    assert rules(text) == ["blame-word"]


def test_strict_makes_findings_errors() -> None:
    (issue,) = review(_in_trigger("It was human error."), strict=True)
    assert issue.severity == "error"


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with one good record and one that blames; the working folder is tmp_path."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "incidents"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    (folder / "blame.yaml").write_text(_in_trigger("It was human error.").replace("good", "blame"))
    return folder


def test_cli_warns_and_exits_0_or_1_with_strict(records: Path) -> None:
    result = run_cli("review", "incidents")
    assert result.exit_code == 0
    assert result.stdout == (
        "incidents/blame.yaml:10:32: warning: 'human error' judges a person; name the "
        "condition that made the action possible or likely, e.g. 'the tool accepted an "
        "input that removed all capacity' [blame-word]\n"
    )
    assert result.stderr == "2 record(s) reviewed, 1 finding(s)\n"
    assert run_cli("review", "--strict", "incidents").exit_code == 1


def test_cli_json_and_github(records: Path) -> None:
    (found,) = json.loads(run_cli("review", "--format", "json", "incidents").stdout)
    assert found["rule"] == "blame-word"
    assert found["severity"] == "warning"
    assert found["field"] == "trigger.description"
    github = run_cli("review", "--format", "github", "--strict", "incidents").stdout
    assert github.startswith("::error file=incidents/blame.yaml,line=10,col=32,")


def test_cli_gives_checks_errors_for_an_invalid_record(records: Path) -> None:
    (records / "bad.yaml").write_text(GOOD.replace("id: good", "id: Bad!"))
    result = run_cli("review", "--quiet", "incidents")
    assert result.exit_code == 1
    assert "incidents/bad.yaml:1:5: error:" in result.stdout
    assert "[blame-word]" in result.stdout  # the valid records are still reviewed


def test_config_switches_a_rule_off(records: Path) -> None:
    Path("postmortem.toml").write_text('review_ignore = ["blame-word"]\n')
    result = run_cli("review", "--strict", "incidents")
    assert (result.exit_code, result.stdout) == (0, "")


def test_config_refuses_an_unknown_rule(records: Path) -> None:
    Path("postmortem.toml").write_text('review_ignore = ["blame-words"]\n')
    result = run_cli("review", "incidents")
    assert result.exit_code == 2
    assert "did you mean 'blame-word'?" in result.stderr


def test_a_hostile_silence_cannot_run_a_workflow_command(records: Path) -> None:
    text = GOOD.replace("id: good", "id: good  # postmortem: ignore[%0A::error y] reason: z")
    (records / "good.yaml").write_text(text)
    output = run_cli("review", "--format", "github", "incidents").stdout
    assert all(line.startswith("::warning ") for line in output.splitlines())
    (line,) = [line for line in output.splitlines() if "good.yaml" in line]
    assert line.startswith("::warning file=incidents/good.yaml,line=1,col=11,")
    assert "names %250A::error y;" in line  # GitHub reads %0A as a line break: escaped


@pytest.mark.parametrize(
    ("title", "vague"),
    [
        # Google's poorly worded items (Lunney, Lueder, Beyer, ;login: 2017), and the issue's.
        ("Investigate monitoring for this scenario", True),
        ("Fix the issue that caused the outage", True),
        ("Make sure engineer checks that database schema can be parsed before updating", True),
        ("Be more careful", True),
        ("Improve monitoring.", True),
        # ... and their better wording.
        ("Add alerting for all cases where this service returns >1% errors", False),
        ("Handle invalid postal code in user address form input safely", False),
        ("Add automated presubmit check for schema changes", False),
        ("Make changes to improve the recovery time of key S3 subsystems", False),
        ("Improve monitoring of the pool's saturation with an alert at 80%", False),
    ],
)
def test_vague_action_items(title: str, vague: bool) -> None:
    text = GOOD.replace("Alert when the pool is over 80% in use for 5 minutes", title)
    assert rules(text) == (["action-vague"] if vague else [])


def test_review_is_in_the_readme_and_help() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "postmortem review --strict --format github incidents/" in readme
    assert "review_ignore" in run_cli("config", "--help").stdout
    assert "--strict" in run_cli("review", "--help").stdout


_PIECES = st.sampled_from(
    [
        "careless ",
        "human error",
        "the engineer ",
        "failed to ",
        "caused by ",
        "Ada ",
        "@bob ",
        "`",
        " # postmortem: ignore[blame-word] reason: x",
        "\n",
        "  ",
        "é😀",
        '"',
        "\\",
    ]
)


@settings(max_examples=80, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=12).map("".join),
    style=st.sampled_from(["json", "literal"]),
)
def test_any_valid_record_is_reviewed_without_error(text: str, style: str) -> None:
    """Whatever the text, a valid record gets findings at real places, never an exception."""
    if style == "json":
        body = json.dumps(text, ensure_ascii=False)
    else:
        body = "|\n" + "".join(f"    {line}\n" for line in text.split("\n"))
    record = GOOD.replace("summary: Checkout failed for 20 minutes.", f"summary: {body}")
    result = check_bytes("r.yaml", record.encode())
    if not result.ok:  # text `check` refuses (a control character): nothing to review
        return
    lines = record.split("\n")
    for issue in review_result(result):
        assert issue.rule != "internal", issue.message
        assert 1 <= issue.line <= len(lines)
        assert 1 <= issue.column <= len(lines[issue.line - 1]) + 1


def test_every_placeholder_of_a_new_skeleton_is_found_where_it_is(tmp_path: Path) -> None:
    from datetime import date

    from postmortem.skeleton import write_skeleton

    path = write_skeleton("demo", tmp_path, title=None, day=date(2024, 3, 2))
    text = path.read_text()
    found = review(text)
    assert {i.rule for i in found} == {"placeholder"}
    lines = text.split("\n")
    assert all(lines[i.line - 1][i.column - 1 :].startswith("TODO") for i in found)
    # Every TODO outside the skeleton's comments is found.
    values = [line.split(" #")[0] for line in lines if not line.lstrip().startswith("#")]
    assert len(found) == sum(v.count("TODO") for v in values)
