"""The publish gate: placeholders of `new` in final records, `render --require-status`, and
the dates `new` takes from the id."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmortem.checker import check_file

from conftest import FIXTURES, run_cli

MINIMAL = (FIXTURES / "valid" / "minimal.yaml").read_text()
SLUG = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
FAST = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _new(folder: Path, ident: str, *extra: str) -> Path:
    result = run_cli("new", ident, "--dir", str(folder), *extra)
    assert result.exit_code == 0, result.output
    return folder / f"{ident}.yaml"


def _with_status(path: Path, status: str) -> None:
    text = path.read_text()
    path.write_text(re.sub(r"(?m)^status: draft", f"status: {status}", text, count=1))


def _placeholder_lines(text: str) -> list[int]:
    """1-based lines where a value written by `new` as a placeholder starts."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        if re.search(r'(: |- )"TODO:', line):
            found.append(number)
        elif line.rstrip().endswith("|") and lines[number : number + 1] != []:
            found += [number] if lines[number].lstrip().startswith("TODO:") else []
    return found


# --- Finding 12: `new <id>` takes the date written in the id --------------------------


@FAST
@given(prefix=SLUG, day=DAYS, suffix=st.one_of(st.just(""), SLUG))
def test_new_takes_the_date_in_the_id(tmp_path_factory, prefix: str, day: date, suffix: str):
    folder = tmp_path_factory.mktemp("new")
    ident = f"{prefix}-{day.isoformat()}" + (f"-{suffix}" if suffix else "")
    data = yaml.safe_load(_new(folder, ident).read_text())
    assert data["date"] == day.isoformat()
    assert data["trigger"]["time"].startswith(day.isoformat() + "T")
    assert data["impact"]["start"].startswith(day.isoformat() + "T")
    assert data["action_items"][0]["due"] == day.isoformat()


def test_new_date_option_wins_over_the_id(tmp_path: Path) -> None:
    path = _new(tmp_path, "roblox-2021-10-28-consul", "--date", "2021-10-29")
    assert yaml.safe_load(path.read_text())["date"] == "2021-10-29"


def test_new_without_a_real_date_in_the_id_takes_today(tmp_path: Path) -> None:
    # 2021-02-30 is no day: the id holds no date.
    for ident in ("api-outage", "db-2021-02-30", "v12021-10-280"):
        assert yaml.safe_load(_new(tmp_path, ident).read_text())["date"] == (
            date.today().isoformat()
        )


# --- Finding 10: placeholders left from `new` ----------------------------------------


def test_final_record_with_placeholders_fails_at_each_one(tmp_path: Path) -> None:
    path = _new(tmp_path, "db-2024-03-02")
    _with_status(path, "final")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    found = re.findall(
        rf"^{re.escape(str(path))}:(\d+):(\d+): error: (.*) \[placeholder\]$", result.output, re.M
    )
    assert [int(line) for line, _, _ in found] == _placeholder_lines(path.read_text())
    assert all("TODO:" in message for _, _, message in found)


def test_draft_with_placeholders_passes_silently(tmp_path: Path) -> None:
    path = _new(tmp_path, "db-2024-03-02")
    result = run_cli("check", str(path))
    assert result.exit_code == 0 and "placeholder" not in result.output


def test_review_record_with_placeholders_warns(tmp_path: Path) -> None:
    path = _new(tmp_path, "db-2024-03-02")
    _with_status(path, "review")
    result = run_cli("check", str(path))
    assert result.exit_code == 0
    lines = re.findall(r":(\d+):\d+: warning: .* \[placeholder\]$", result.output, re.M)
    assert [int(n) for n in lines] == _placeholder_lines(path.read_text())


@FAST
@given(keep=st.sets(st.integers(min_value=0, max_value=40), max_size=6))
def test_final_record_is_flagged_exactly_where_placeholders_remain(
    tmp_path_factory, keep: set[int]
) -> None:
    folder = tmp_path_factory.mktemp("final")
    path = _new(folder, "db-2024-03-02")
    text = path.read_text()
    # Fill in every placeholder but those numbered in `keep`.
    counter = iter(range(1000))
    filled = re.sub(
        r"TODO:[^\"\n]*",
        lambda m: m.group() if next(counter) in keep else "Written by the author",
        text,
    )
    path.write_text(filled)
    _with_status(path, "final")
    result = check_file(path)
    flagged = [i.line for i in result.issues if i.rule == "placeholder"]
    assert flagged == _placeholder_lines(path.read_text())
    assert result.ok == (not flagged)


# --- render --require-status ----------------------------------------------------------


def _records(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    paths = {}
    for status in ("draft", "review", "final"):
        path = folder / f"{status}.yaml"
        path.write_text(MINIMAL.replace("id: minimal", f"id: {status}") + f"status: {status}\n")
        paths[status] = path
    return paths


def test_require_status_final_refuses_the_others(tmp_path: Path) -> None:
    records = _records(tmp_path / "in")
    out = tmp_path / "site"
    result = run_cli(
        "render", str(tmp_path / "in"), "-o", str(out), "-f", "md", "--require-status", "final"
    )
    assert result.exit_code == 1
    for status in ("draft", "review"):
        assert re.search(
            rf"^{re.escape(str(records[status]))}:\d+:\d+: error: status: '{status}' .*"
            r"'final'.* \[require-status\]$",
            result.stderr,
            re.M,
        ), result.stderr
        assert not (out / f"{status}.md").exists()
    assert (out / "final.md").is_file()
    index = (out / "index.md").read_text()
    assert "final.md" in index and "draft.md" not in index and "review.md" not in index
    assert "Traceback" not in result.stderr


def test_require_status_review_takes_review_and_final(tmp_path: Path) -> None:
    _records(tmp_path / "in")
    out = tmp_path / "site"
    result = run_cli(
        "render", str(tmp_path / "in"), "-o", str(out), "-f", "md", "--require-status", "review"
    )
    assert result.exit_code == 1
    assert sorted(p.name for p in out.glob("*.md") if p.name != "index.md") == [
        "final.md",
        "review.md",
    ]


def test_require_status_from_config_and_a_later_build_is_not_unchanged(tmp_path: Path) -> None:
    _records(tmp_path / "in")
    args = ("render", "in", "-o", "site", "-f", "md")
    assert run_cli(*args, cwd=tmp_path).exit_code == 0
    (tmp_path / "postmortem.toml").write_text('require_status = "final"\n')
    # Nothing changed but the gate: the build must not call everything unchanged.
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 1
    assert "[require-status]" in result.stderr


def test_require_status_bad_values_are_usage_errors(tmp_path: Path) -> None:
    _records(tmp_path / "in")
    result = run_cli("render", str(tmp_path / "in"), "--require-status", "done")
    assert result.exit_code == 2
    assert "draft, review, final" in result.stderr
    (tmp_path / "postmortem.toml").write_text('require_status = "published"\n')
    result = run_cli("render", "in", cwd=tmp_path)
    assert result.exit_code == 2
    assert re.search(r"postmortem.toml:1:1: error: require_status: .*\[config\]", result.stderr)
    assert "Traceback" not in result.stderr
