"""Format 1.1 (issue 17): its keys, the rules of `check` on them, and what every output shows."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem.loader import load_text
from postmortem.model import FORMAT_1_1_KEYS, Incident
from postmortem.validate import validate

from conftest import FIXTURES, run_cli

EXAMPLE = FIXTURES / "valid" / "format-1.1.yaml"
BASE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())


def _issues(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(rule, field, message) of every issue `check` finds in `data`."""
    doc = load_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    _, issues = validate(doc, "r.yaml")
    return [(i.rule, i.field, i.message) for i in issues]


def _record(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def test_the_example_uses_every_key_format_1_1_added() -> None:
    doc = load_text(EXAMPLE.read_text())
    incident, issues = validate(doc, str(EXAMPLE))
    assert issues == [] and incident is not None
    written = {(type(m).__name__, k) for m, k in _written_keys(incident)}
    wanted = {(m.__name__, k) for m, keys in FORMAT_1_1_KEYS.items() for k in keys}
    assert wanted <= written
    assert any(not isinstance(f, str) for f in incident.contributing_factors)


def _written_keys(model: Any) -> list[tuple[Any, str]]:
    found = []
    for key in model.model_fields_set:
        found.append((model, key))
        value = getattr(model, key)
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "model_fields_set"):
                found.extend(_written_keys(item))
    return found


@pytest.mark.parametrize("version", [1.1, "1.1"])
def test_format_1_1_is_written_as_a_number_or_text(version: object) -> None:
    assert _issues(_record(format=version)) == []


@pytest.mark.parametrize("version", [True, 2, "1", 1.2])
def test_other_versions_are_refused(version: object) -> None:
    assert [r for r, _, _ in _issues(_record(format=version))] == ["format"]


# Every place a 1.1 key can stand, as (path to its mapping, key).
NEW_KEYS = [
    ((), "conditions"),
    ((), "responders"),
    ((), "communications"),
    ((), "numbers"),
    (("impact",), "first_symptom"),
    (("impact",), "data"),
    (("impact", "services", 0), "level"),
    (("detection",), "declared"),
    (("resolution",), "stages"),
    (("action_items", 1), "completed"),
    (("action_items", 1), "ticket"),
    (("action_items", 1), "addresses"),
]


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _format_1_with_only(path: tuple[str | int, ...], key: str) -> dict[str, Any]:
    """The example as format 1, every 1.1 key taken out but the one at `path` (if any)."""
    data = copy.deepcopy(BASE)
    data["format"] = 1
    data["contributing_factors"] = [
        f if isinstance(f, str) else f["text"] for f in data["contributing_factors"]
    ]
    for mapping in [data, data["impact"], data["detection"], data["resolution"]]:
        for k in ("conditions", "responders", "communications", "numbers"):
            mapping.pop(k, None)
        for k in ("first_symptom", "data", "declared", "stages"):
            mapping.pop(k, None)
    for mapping in [*data["impact"]["services"], *data["action_items"]]:
        for k in ("level", "completed", "ticket", "addresses"):
            mapping.pop(k, None)
    data["cascade"][1]["caused_by"] = ["streaming"]
    if key:
        _at(data, path)[key] = copy.deepcopy(_at(BASE, path)[key])
    return data


def test_without_its_1_1_keys_the_example_is_a_valid_format_1_record() -> None:
    data = _format_1_with_only((), "")
    assert _issues(data) == []


@pytest.mark.parametrize(("path", "key"), NEW_KEYS, ids=lambda p: str(p))
def test_a_1_1_key_in_a_format_1_record_is_explained(path: tuple[str | int, ...], key: str) -> None:
    issues = _issues(_format_1_with_only(path, key))
    assert issues, "a format 1 record holding a 1.1 key passed"
    rules = {r for r, _, _ in issues}
    assert "format-version" in rules
    (message,) = [m for r, _, m in issues if r == "format-version"]
    assert message.startswith(f"{key!r} is a format 1.1 key: change `format: 1` on line")


def test_a_1_1_key_without_any_format_says_to_write_it() -> None:
    data = _format_1_with_only((), "numbers")
    del data["format"]
    (message,) = [m for r, _, m in _issues(data) if r == "format-version"]
    assert message == "'numbers' is a format 1.1 key: write `format: 1.1` at the top of the record"


def test_a_factor_with_an_id_in_a_format_1_record_is_explained() -> None:
    data = _format_1_with_only((), "")
    data["contributing_factors"].append({"id": "x", "text": "A factor."})
    assert [r for r, _, _ in _issues(data)] == ["format-version"]


def test_every_format_1_1_key_is_in_the_schema_and_marked() -> None:
    schema = json.loads(run_cli("schema").stdout)
    gate = json.dumps(schema["else"])
    for model, keys in FORMAT_1_1_KEYS.items():
        for key in keys:
            assert f'"{key}": false' in gate, (model.__name__, key)


def test_check_jsonschema_refuses_1_1_keys_in_format_1(tmp_path: Path) -> None:
    import subprocess
    import sys

    schema = tmp_path / "schema.json"
    schema.write_text(run_cli("schema").stdout)
    exe = Path(sys.executable).with_name("check-jsonschema")
    for path, key in NEW_KEYS:
        record = tmp_path / "r.yaml"
        record.write_text(yaml.safe_dump(_format_1_with_only(path, key), sort_keys=False))
        done = subprocess.run(
            [str(exe), "--schemafile", str(schema), str(record)], capture_output=True
        )
        assert done.returncode == 1, key


# --- the rules of `check` on 1.1 keys, one test each ---------------------------------


def test_caused_by_may_name_a_condition_but_not_an_unknown_one() -> None:
    data = _record()
    data["cascade"][1]["caused_by"] = ["streaming", "boltdb-freelst"]
    issues = _issues(data)
    assert [(r, f) for r, f, _ in issues] == [("unknown-step", "cascade[1].caused_by[1]")]
    assert "not a step or condition id (did you mean 'boltdb-freelist'?)" in issues[0][2]


@pytest.mark.parametrize("where", ["step", "factor"])
def test_condition_ids_are_unique_across_steps_and_factors(where: str) -> None:
    data = _record()
    if where == "step":
        data["conditions"][0]["id"] = "consul"
    else:
        data["contributing_factors"][0]["id"] = "boltdb-freelist"
        data["action_items"][0]["addresses"] = ["consul"]
    assert "duplicate-id" in [r for r, _, _ in _issues(data)]


def test_a_level_outside_the_list_is_refused() -> None:
    data = _record()
    data["impact"]["services"][0]["level"] = "dwn"
    ((rule, field, message),) = _issues(data)
    assert (rule, field) == ("enum", "impact.services[0].level")
    assert "did you mean 'down'?" in message


def test_a_data_state_outside_the_list_is_refused() -> None:
    data = _record()
    data["impact"]["data"]["loss"] = "no"
    assert [r for r, _, _ in _issues(data)] == ["enum"]


def test_completed_before_the_incident_is_an_error() -> None:
    data = _record()
    data["action_items"][1]["completed"] = "2021-10-01"
    assert [(r, f) for r, f, _ in _issues(data)] == [
        ("completed-before-date", "action_items[1].completed")
    ]


@pytest.mark.parametrize("status", ["open", "in-progress", "wont-do"])
def test_completed_needs_status_done(status: str) -> None:
    data = _record()
    data["action_items"][1]["status"] = status
    assert [r for r, _, _ in _issues(data)] == ["completed-not-done"]


def test_addresses_names_known_ids_only() -> None:
    data = _record()
    data["action_items"][0]["addresses"] = ["single-cluster", "nope"]
    assert [(r, f) for r, f, _ in _issues(data)] == [("unknown-id", "action_items[0].addresses[1]")]


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.one_of(st.booleans(), st.text(max_size=5), st.integers(), st.none()))
def test_a_number_value_is_a_finite_number(value: object) -> None:
    data = _record()
    data["numbers"][0]["value"] = value
    rules = [r for r, _, _ in _issues(data)]
    ok = isinstance(value, int) and not isinstance(value, bool)
    assert rules == ([] if ok else ["type"])


def test_a_broken_factor_mapping_is_reported_at_its_key() -> None:
    data = _record()
    data["contributing_factors"][0] = {"id": "single-cluster", "txt": "A factor."}
    fields = sorted(f for _, f, _ in _issues(data))
    assert fields == ["contributing_factors[0].text", "contributing_factors[0].txt"]


def test_incident_model_keeps_format_1_records_as_they_were() -> None:
    incident = Incident.model_validate(
        yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text())
    )
    assert incident.format == 1 and incident.conditions == [] and incident.numbers == []


# --- `postmortem new` ---------------------------------------------------------------


def _uncommented(text: str) -> str:
    """The skeleton with its commented-out 1.1 keys used: `# ` removed from each block."""
    new = {k for keys in FORMAT_1_1_KEYS.values() for k in keys}
    out: list[str] = []
    block: int | None = None  # the indentation of the block's first key
    for line in text.splitlines():
        m = re.match(r"^( *)# ( *)(- )?([a-z_]+):", line)
        if m:
            indent = len(m[1] + m[2])
            starts = m[4] in new or (m[3] and m[4] == "id")
            if starts:
                block = indent
            if block is not None and (starts or indent > block):
                out.append(line.replace("# ", "", 1))
                continue
        block = None
        out.append(line)
    return "\n".join(out) + "\n"


def test_new_shows_every_1_1_key_commented_out_and_they_check(tmp_path: Path) -> None:
    from datetime import date

    from postmortem.skeleton import write_skeleton

    text = write_skeleton("demo", tmp_path, title="Demo", day=date(2024, 1, 1)).read_text()
    for keys in FORMAT_1_1_KEYS.values():
        for key in keys:
            assert re.search(rf"^ *#  *(- )?{key}:", text, re.M), key
    full = _uncommented(text)
    data = yaml.safe_load(full)
    assert data["format"] == 1.1 and data["numbers"] and data["impact"]["data"]
    assert [r for r, _, _ in _issues(data)] == ["completed-not-done"]  # as its comment says
    data["action_items"][0]["status"] = "done"
    assert _issues(data) == []


# --- the index and `postmortem actions` ---------------------------------------------


def _summary(data: dict[str, Any]) -> Any:
    from postmortem.summary import RecordSummary

    incident, issues = validate(load_text(yaml.safe_dump(data, sort_keys=False)), "r.yaml")
    assert incident is not None, issues
    return RecordSummary.of(incident)


def test_index_flags_data_impact_and_counts_a_service_once() -> None:
    from datetime import date

    from postmortem.index import build_index

    other = _format_1_with_only((), "")
    other["id"] = "other"
    leaky = _record(id="leaky")
    leaky["impact"]["data"] = {"loss": "confirmed", "access": "none"}
    ix = build_index([_summary(BASE), _summary(leaky), _summary(other)], today=date(2026, 1, 1))
    assert ix.has_data
    flags = {r.incident.id: r.data for r in ix.rows}
    assert flags == {
        "format-1-1-example": "none",
        "leaky": "loss confirmed; access none",
        "other": None,
    }
    # Two windows of one service (down, then partial) in each record: counted once per incident.
    assert dict(ix.by_service)["Game platform"] == 3
    assert not build_index([_summary(other)], today=date(2026, 1, 1)).has_data


def test_actions_export_ticket_completed_addresses_and_order_by_priority() -> None:
    from datetime import date

    from postmortem.actions import collect, format_csv, format_json

    summary = _summary(BASE)
    actions = collect([summary], today=date(2026, 1, 1), statuses=["open", "in-progress", "done"])
    assert [a.item.priority for a in actions] == ["P0", "P1"]
    rows = json.loads(format_json(actions))
    assert rows[0]["ticket"] == "INFRA-1" and rows[0]["completed"] == "2021-10-31"
    assert rows[0]["addresses"] == ["streaming", "boltdb-freelist"]
    header, first, _ = format_csv(actions).splitlines()
    assert header.endswith(",ticket,completed,addresses")
    assert first.endswith(",INFRA-1,2021-10-31,streaming boltdb-freelist")


def test_actions_text_shows_the_ticket_where_there_is_one() -> None:
    from datetime import date

    from postmortem.actions import collect, format_text

    data = copy.deepcopy(BASE)
    del data["action_items"][0]["ticket"]
    statuses = ["open", "in-progress", "done"]
    actions = collect([_summary(data)], today=date(2026, 1, 1), statuses=statuses)
    first, second = format_text(actions).splitlines()
    assert first.endswith("Disable Consul streaming  [INFRA-1]  (format-1-1-example)")
    assert "[" not in second


# --- every new field in every format --------------------------------------------------

# What the example's 1.1 keys must show, as words in reading order (any markup between).
SHOWN = [
    "Latent conditions Present before the incident",
    "BoltDB freelist boltdb freelist present since 2021 01 01 00 00 PST",
    "Caused by Consul streaming BoltDB freelist latent condition",
    "Level From",
    "Game platform down 16 00 PDT",
    "Game platform partial 2021 10 31 12 50 PDT",
    "Levels down unusable partial",
    "First symptom 2021 10 28 13 37 PDT",
    "Data and security Data loss none Unauthorised access none No user data was lost",
    "In numbers Figure Value Note Outage length about 73 hours",
    "Days between trigger and impact 1 day streaming was enabled the day before",
    "single cluster Every backend service depended on one Consul cluster",
    "Declared an incident at 2021 10 28 16 00 PDT",
    "Staged recovery Time Stage 2021 10 31 12 50 PDT A first share of players let back in",
    "Customer communications Time Channel Update 2021 10 28 17 00 PDT status page We are aware",
    "2021 10 31 16 45 PDT social media The platform is back for everyone",
    "Responders Role Name Organization Incident commander Example engineer",
    "Consul engineers HashiCorp",
    "Disable Consul streaming",
    "INFRA 1",
    "2021 10 31 ",
    "streaming boltdb freelist",
    "Run more than one Consul cluster",
    "INFRA 2",
    "single cluster consul",
    "First symptom 2h 23m before impact began Time to declare 0s",
    "Time to first customer update 1h 00m From first symptom to resolved 75h 08m",
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import html
    import re as regex

    import pypdf

    out = tmp_path_factory.mktemp("f11")
    result = run_cli("render", str(EXAMPLE), "-o", str(out), "--today", "2026-01-15", "-q")
    assert result.exit_code == 0, result.stderr
    page = (out / "format-1-1-example.html").read_text()
    page = regex.sub(r"<(style|title|figure)\b.*?</\1>", " ", page, flags=regex.S)
    reader = pypdf.PdfReader(out / "format-1-1-example.pdf")
    return {
        "md": (out / "format-1-1-example.md").read_text(),
        "html": html.unescape(regex.sub(r"<[^>]+>", " ", page)),
        "pdf": " ".join(p.extract_text() for p in reader.pages),
    }


@pytest.mark.parametrize("kind", ["md", "html", "pdf"])
def test_every_1_1_field_shows_in_every_format(rendered: dict[str, str], kind: str) -> None:
    text = re.sub(r"\]\([^)]*\)", "]", rendered[kind])  # a Markdown link's destination
    words = " ".join(re.findall(r"[A-Za-z0-9]+", text))
    assert [p for p in SHOWN if p not in words] == []
