"""Format 1.1 together with what landed beside it: audience marks, the salvage of an invalid
record's cross-field rules, and the review rules."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem.audience import project
from postmortem.checker import Policy, check_bytes
from postmortem.loader import load_text
from postmortem.model import json_schema
from postmortem.review import review_result

from conftest import FIXTURES

BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "format-1.1.yaml").read_text())
FORMAT_1: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text())


def _dump(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _rules(data: dict[str, Any], policy: Policy | None = None) -> list[tuple[str, str]]:
    result = check_bytes("r.yaml", _dump(data), policy or Policy())
    return [(i.rule, i.field) for i in result.issues]


# --- the audience marks are format 1.1 keys ------------------------------------------------

MARKED = [
    (("title",), None, ("public",)),
    (("cascade", 0), "internal", ("cascade", 0, "internal")),
    (("tags",), [{"text": "secret-tag", "internal": True}], ("tags", 0)),
]


@pytest.mark.parametrize(("at", "value", "field"), MARKED, ids=lambda v: str(v))
def test_a_mark_in_a_format_1_record_is_explained(
    at: tuple[str | int, ...], value: Any, field: tuple[str | int, ...]
) -> None:
    data = copy.deepcopy(FORMAT_1)
    if at == ("title",):
        data["public"] = {"title": "Checkout outage"}
    elif value == "internal":
        data["cascade"][0]["internal"] = True
    else:
        data["tags"] = value
    found = _rules(data)
    dotted = ".".join(f"[{p}]" if isinstance(p, int) else p for p in field).replace(".[", "[")
    assert ("format-version", dotted) in found
    data["format"] = 1.1
    assert _rules(data) == []


def test_the_schema_refuses_marks_in_format_1_and_takes_them_in_1_1() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    # As an editor reads the file: YAML's dates and times are text in JSON.
    data = json.loads(json.dumps(BASE, default=lambda v: v.isoformat()))
    data["contributing_factors"][0]["internal"] = True
    data["contributing_factors"].append({"text": "Said only inside.", "internal": True})
    data["cascade"][0]["public"] = {"description": "A change was made."}
    assert not list(validator.iter_errors(data))
    plain = json.loads(json.dumps(FORMAT_1, default=lambda v: v.isoformat()))
    assert not list(validator.iter_errors(plain))
    for mark in ({"internal": True}, {"public": {"description": "A change was made."}}):
        marked = copy.deepcopy(plain)
        marked["cascade"][0].update(mark)
        assert [e.absolute_path for e in validator.iter_errors(marked)]
        marked["format"] = 1.1
        assert not list(validator.iter_errors(marked))


# --- a factor {id, text} is the one shape of a list entry: {id?, text, internal?, public?} ---


@settings(max_examples=25, derandomize=True, deadline=None)
@given(internal=st.booleans(), public=st.one_of(st.none(), st.sampled_from(["Said publicly."])))
def test_a_factor_entry_keeps_its_id_in_both_renditions(internal: bool, public: str | None) -> None:
    data = copy.deepcopy(BASE)
    factor: dict[str, Any] = {"id": "single-cluster", "text": "Said inside.", "internal": internal}
    if public is not None:
        factor["public"] = public
    data["contributing_factors"][0] = factor
    said = {"id": "single-cluster", "text": "Said inside."}
    doc = load_text(_dump(data).decode())
    inside = project(doc, "internal", "r.yaml")
    outside = project(doc, "public", "r.yaml")
    assert not inside.issues and not outside.issues
    assert inside.data is not None and outside.data is not None
    assert inside.data["contributing_factors"][0] == {
        "id": "single-cluster",
        "text": "Said inside.",
    }
    shown = outside.data["contributing_factors"]
    if public is not None:
        assert shown[0] == {"id": "single-cluster", "text": public}
    elif internal:
        assert all(not isinstance(f, dict) or f["id"] != "single-cluster" for f in shown)
    else:
        assert shown[0] == said
    assert ("required", "contributing_factors[0].id") not in _rules(data)


# --- the cross-field rules of 1.1 run on the valid parts of an invalid record ---------------


def test_a_condition_is_a_cause_also_when_another_field_is_wrong() -> None:
    data = copy.deepcopy(BASE)
    data["title"] = ["not", "text"]
    found = _rules(data)
    assert [r for r, _ in found] == ["type"]
    data["cascade"][1]["caused_by"] = ["boltdb-freelst"]
    assert ("unknown-step", "cascade[1].caused_by[0]") in _rules(data)


def test_completion_and_addresses_are_checked_when_another_field_is_wrong() -> None:
    data = copy.deepcopy(BASE)
    data["title"] = 3
    data["action_items"][0].update(completed="2000-01-01", status="done")
    data["action_items"][1]["addresses"] = ["nowhere"]
    found = _rules(data)
    assert ("completed-before-date", "action_items[0].completed") in found
    assert ("unknown-id", "action_items[1].addresses[0]") in found


def test_a_refused_condition_id_is_not_a_second_error() -> None:
    data = copy.deepcopy(BASE)
    data["conditions"][0]["id"] = "BoltDB Freelist"
    assert [r for r, _ in _rules(data)] == ["id"]


# --- review reads the 1.1 fields ---------------------------------------------------------


def _review(data: dict[str, Any]) -> list[str]:
    result = check_bytes("r.yaml", _dump(data))
    assert result.ok, result.issues
    return [i.rule for i in review_result(result, ignore=(), strict=False)]


def test_a_ticket_says_where_an_action_item_is_tracked() -> None:
    data = copy.deepcopy(BASE)
    item = data["action_items"][0]
    item.update(status="open")
    for key in ("owner", "link", "completed"):
        item.pop(key, None)
    item["ticket"] = "PAY-1"
    assert "action-owner" not in _review(data)
    item.pop("ticket")
    assert "action-owner" in _review(data)


def test_latent_conditions_are_causes_beside_the_trigger() -> None:
    data = copy.deepcopy(BASE)
    data["contributing_factors"] = []
    data["action_items"] = [dict(a, addresses=[]) for a in data["action_items"]]
    assert "single-cause" not in _review(data)
    data["conditions"][0]["component"] = "the on-call engineer"
    assert "person-cause" in _review(data)


# --- the public rendition of a record whose conditions or factors are internal ------------


@pytest.mark.parametrize(
    ("hidden", "gone"),
    [
        (("contributing_factors", 0), "single-cluster"),
        (("conditions", 0), "boltdb-freelist"),
        (("cascade", 0), "streaming"),
    ],
    ids=str,
)
def test_links_to_what_is_internal_leave_the_public_rendition(
    hidden: tuple[str, int], gone: str
) -> None:
    data = copy.deepcopy(BASE)
    data[hidden[0]][hidden[1]]["internal"] = True
    result = check_bytes("r.yaml", _dump(data), Policy(audience="public"))
    assert result.ok, result.issues
    assert result.incident is not None
    links = [c for s in result.incident.cascade for c in s.caused_by or ()]
    links += [a for item in result.incident.action_items for a in item.addresses]
    assert gone not in links
    assert "boltdb-freelist" in links or gone == "boltdb-freelist"


def test_a_step_caused_only_by_an_internal_condition_is_an_issue() -> None:
    data = copy.deepcopy(BASE)
    data["conditions"][0]["internal"] = True
    data["cascade"][1]["caused_by"] = ["boltdb-freelist"]
    found = _rules(data, Policy(audience="public"))
    assert ("public-wording", "cascade[1].caused_by") in found
