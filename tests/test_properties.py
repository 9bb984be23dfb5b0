"""Property-based: generated records and mutations of valid ones never produce a traceback.

`check` says valid or gives clean, positioned errors; whatever `check` accepts renders.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmortem.checker import check_file
from postmortem.diagnostics import format_text
from postmortem.manifest import digest
from postmortem.workers import Task, render_task
from postmortem.writers import Options

from conftest import FIXTURES

BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "full.yaml").read_text())

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=80,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    text,
    st.sampled_from(
        [
            "no",
            "12:30",
            "0755",
            "2024-13-01",
            "<script>x</script>",
            "trigger",
            "2024-03-02T10:00:00Z",
            "[x](javascript:alert(1))",
            "{{ 7*7 }}",
            "#",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


PATHS = _paths(BASE)
RENDERED: list[str] = []  # ids of the generated records that passed check and rendered


def _mutate(data: dict[str, Any], path: tuple[Any, ...], action: str, value: Any) -> None:
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif isinstance(parent, dict):
        parent[f"extra_{action}"] = value


def _run(tmp: Path, data: Any) -> None:
    record = tmp / "record.yaml"
    record.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = check_file(record)
    if result.incident is None:
        assert result.issues
        for issue in result.issues:
            assert issue.rule != "internal", format_text(issue)
            assert format_text(issue).startswith(f"{record}:")
        return
    RENDERED.append(result.incident.id)
    task = Task(str(record), digest(result.source), Options(formats=("md", "html")), {})
    rendered = render_task(task)
    assert not rendered.issues, rendered.issues
    assert set(rendered.outputs) >= {f"{result.incident.id}.md", f"{result.incident.id}.html"}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(PATHS),
    action=st.sampled_from(["delete", "replace", "add"]),
    value=values,
)
def test_mutations_of_a_valid_record(
    tmp_path: Path, path: tuple[Any, ...], action: str, value: Any
) -> None:
    data = copy.deepcopy(BASE)
    _mutate(data, path, action, value)
    _run(tmp_path, data)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=text, summary=text, component=text, owner=text, event=text)
def test_any_text_in_any_field_renders(
    tmp_path: Path, title: str, summary: str, component: str, owner: str, event: str
) -> None:
    data = copy.deepcopy(BASE)
    data["title"], data["summary"] = title, summary
    data["cascade"][0]["component"] = component
    data["action_items"][0]["owner"] = owner
    data["timeline"][0]["event"] = event
    _run(tmp_path, data)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=values)
def test_arbitrary_yaml_documents(tmp_path: Path, data: Any) -> None:
    _run(tmp_path, data)


def test_the_properties_reached_rendering() -> None:
    # Runs after the property tests (pytest keeps file order): some cases were valid.
    assert len(RENDERED) > 20
