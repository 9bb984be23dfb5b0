"""Public and internal renditions (audience.py): nothing internal in any public output."""

from __future__ import annotations

import io
import json
import re
import shutil
import zlib
from pathlib import Path

import pypdf
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmortem.audience import dump, project
from postmortem.checker import Policy, check_bytes
from postmortem.loader import load_bytes
from postmortem.model import causes, step_key
from tests.conftest import FIXTURES, run_cli

HERE = FIXTURES / "public"
CANARY = re.compile(rb"CANARY-[A-Z0-9-]+")
EPOCH = "1700000000"


def canaries() -> set[bytes]:
    """Every canary the fixtures hold: each stands in one internal place."""
    found: set[bytes] = set()
    for name in ("marked.yaml", "internal-only.yaml"):
        found |= set(CANARY.findall((HERE / name).read_bytes()))
    return found


def pdf_texts(data: bytes) -> list[bytes]:
    """A PDF's bytes, every stream decompressed, its pages' text, metadata and attachments.

    Page text is drawn as glyph numbers, not letters: it is found by extracting it.
    """
    out = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            out.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    reader = pypdf.PdfReader(io.BytesIO(data))
    out += [page.extract_text().encode() for page in reader.pages]
    out.append(repr(reader.metadata).encode())
    out += [a.content for a in reader.attachment_list]
    return out


def leaks(folder: Path) -> dict[str, list[bytes]]:
    """Canaries found in any file below `folder` (PDFs decompressed), by file."""
    wanted = canaries()
    found: dict[str, list[bytes]] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts = pdf_texts(data) if path.suffix == ".pdf" else [data]
        hits = sorted({c for part in parts for c in wanted if c in part})
        if hits or CANARY.search(path.name.encode()):
            found[path.name] = hits
    return found


@pytest.fixture
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "incidents"
    folder.mkdir()
    for name in ("marked.yaml", "internal-only.yaml"):
        shutil.copy(HERE / name, folder / name)
    return folder


def test_public_outputs_hold_no_canary(
    records: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """render (md, html, pdf, index, manifest), actions, extract: no internal text anywhere."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)
    full, public = tmp_path / "full", tmp_path / "public"
    result = run_cli("render", str(records), "-o", str(full), "-j", "1", "--today", "2024-05-01")
    assert result.exit_code == 0, result.stderr
    # The canaries are real: the internal rendition shows them (the whole record's too).
    assert {c for hits in leaks(full).values() for c in hits} == canaries()
    assert set(leaks(full)["public-example.pdf"]) >= set(
        CANARY.findall((HERE / "marked.yaml").read_bytes())
    )
    args = ("-o", str(public), "-j", "1", "--today", "2024-05-01", "--audience", "public")
    result = run_cli("render", str(records), *args)
    assert result.exit_code == 0, result.stderr
    assert not CANARY.search(result.stderr.encode())
    names = {p.name for p in public.iterdir()}
    assert "public-example.pdf" in names and "index.html" in names
    assert not any("secret" in n for n in names)  # the internal record's files are not made
    out = tmp_path / "exports"
    out.mkdir()
    for fmt in ("text", "json", "csv"):
        result = run_cli(
            "actions", str(records), "--audience", "public", "-o", fmt, "--status", "open"
        )
        assert result.exit_code == 0, result.stderr
        (out / f"actions.{fmt}").write_text(result.stdout + result.stderr)
        assert "Add back-off to retries" in result.stdout
    result = run_cli("extract", str(public / "public-example.pdf"), "-o", str(out / "a.yaml"))
    assert result.exit_code == 0, result.stderr
    result = run_cli("extract", str(full / "public-example.pdf"), "--audience", "public", "-o", "-")
    assert result.exit_code == 0, result.stderr
    (out / "b.yaml").write_bytes(result.stdout_bytes)
    assert leaks(public) == {}
    assert leaks(out) == {}


def test_public_rendition_is_the_record_written_public_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same pages as the hand-written public record; the PDF attaches the public record."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    built = {}
    for name, audience in (("marked.yaml", "public"), ("by-hand.yaml", "internal")):
        src = tmp_path / name.removesuffix(".yaml")
        src.mkdir()
        shutil.copy(HERE / name, src / name)
        out = tmp_path / f"out-{name}"
        common = ("-j", "1", "--today", "2024-05-01", "--audience", audience)
        result = run_cli("render", str(src), "-o", str(out), *common)
        assert result.exit_code == 0, result.stderr
        built[name] = out
    mine, theirs = built["marked.yaml"], built["by-hand.yaml"]
    names = sorted(p.name for p in theirs.iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in mine.iterdir() if not p.name.startswith("."))
    for name in names:
        if not name.endswith(".pdf"):
            assert (mine / name).read_bytes() == (theirs / name).read_bytes(), name
    # The PDFs differ only in the attachment's bytes: both hold the same record.
    mine_pdf, theirs_pdf = ((f / "public-example.pdf").read_bytes() for f in (mine, theirs))
    [attached] = pypdf.PdfReader(io.BytesIO(mine_pdf)).attachment_list
    by_hand = yaml.safe_load((HERE / "by-hand.yaml").read_bytes())
    assert yaml.safe_load(attached.content) == by_hand
    assert check_bytes("attached.yaml", attached.content).ok
    texts = [pypdf.PdfReader(io.BytesIO(d)).pages[0].extract_text() for d in (mine_pdf, theirs_pdf)]
    assert texts[0] == texts[1]


def test_a_required_field_internal_without_public_wording_is_an_error(tmp_path: Path) -> None:
    text = (HERE / "by-hand.yaml").read_text()
    text = text.replace(
        "  description: A configuration change.\n",
        "  description: CANARY pool limit on pay-db-7.\n  internal: [description]\n",
    )
    record = tmp_path / "r.yaml"
    record.write_text(text)
    result = run_cli("check", str(record))
    assert result.exit_code == 1
    line = text.splitlines().index("  description: CANARY pool limit on pay-db-7.") + 1
    assert f"r.yaml:{line}:3: error: trigger.description is required and internal" in (
        result.stdout
    )
    assert "[public-wording]" in result.stdout
    # With a public wording it is valid, and the wording is what the public record says.
    record.write_text(
        text.replace("[description]\n", "[description]\n  public: {description: A change.}\n")
    )
    assert run_cli("check", str(record)).exit_code == 0


def test_every_step_internal_is_an_error_at_the_cascade(tmp_path: Path) -> None:
    text = (HERE / "by-hand.yaml").read_text()
    text = text.replace(
        "    description: Exhausted within minutes.\n",
        "    description: Exhausted.\n    internal: true\n",
    )
    text = text.replace(
        "    description: Clients retried without back-off.\n",
        "    description: Retried.\n    internal: true\n",
    )
    text = text.replace(
        "    description: Timed out for all users.\n",
        "    description: Timed out.\n    internal: true\n",
    )
    record = tmp_path / "r.yaml"
    record.write_text(text)
    result = run_cli("check", str(record))
    assert result.exit_code == 1
    assert "in the public rendition: missing required key 'cascade'" in result.stdout
    assert "[public-wording]" in result.stdout


def test_malformed_marks_are_diagnostics(tmp_path: Path) -> None:
    text = (HERE / "by-hand.yaml").read_text()
    text = text.replace(
        "  kind: config\n", "  kind: config\n  internal: sometimes\n  public: {kind: x}\n"
    )
    record = tmp_path / "r.yaml"
    record.write_text(text)
    result = run_cli("check", str(record))
    assert result.exit_code == 1
    assert "internal: expected true, false or a list of keys [public-wording]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_switching_audience_rerenders_and_removes_internal_records(
    records: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "site"
    run = ("render", str(records), "-o", str(out), "-f", "md", "-j", "1")
    assert run_cli(*run).exit_code == 0
    assert (out / "secret-incident.md").is_file()
    result = run_cli(*run, "--audience", "public")
    assert result.exit_code == 0, result.stderr
    assert not (out / "secret-incident.md").exists()
    manifest = (out / ".postmortem-manifest.json").read_text()
    assert "secret-incident" not in manifest
    assert b"Checkout outage" in (out / "public-example.md").read_bytes()
    assert json.loads(manifest)


def test_config_key_chooses_the_audience(records: Path, tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('audience = "public"\n')
    result = run_cli("render", str(records), "-o", "site", "-f", "md", "-j", "1", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert not CANARY.search((tmp_path / "site" / "public-example.md").read_bytes())
    (tmp_path / "postmortem.toml").write_text('audience = "everyone"\n')
    result = run_cli("render", str(records), "-o", "site", cwd=tmp_path)
    assert result.exit_code == 2
    assert "audience: expected one of internal, public" in result.stderr


# --- the cascade stays a connected, truthful graph ------------------------------------


@st.composite
def cascades(draw: st.DrawFn) -> tuple[list[dict[str, object]], list[bool]]:
    """A valid cascade (causes among earlier steps), and which steps are internal."""
    n = draw(st.integers(1, 8))
    steps: list[dict[str, object]] = []
    for i in range(n):
        step: dict[str, object] = {"id": f"s{i}", "component": f"c{i}", "description": "d"}
        earlier = ["trigger"] + [f"s{j}" for j in range(i)]
        if draw(st.booleans()):
            step["caused_by"] = draw(st.lists(st.sampled_from(earlier), min_size=1, unique=True))
        steps.append(step)
    internal = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if all(internal):
        internal[draw(st.integers(0, n - 1))] = False
    return steps, internal


def reaches(cascade: list[dict[str, object]]) -> dict[str, set[str]]:
    """Each step's ancestors (trigger included), by id, as the model reads causes."""
    from postmortem.model import Step

    models = [Step.model_validate(s) for s in cascade]
    graph = dict(zip((step_key(s, i) for i, s in enumerate(models)), causes(models), strict=True))
    memo: dict[str, set[str]] = {"trigger": set()}

    def up(key: str) -> set[str]:
        if key not in memo:
            memo[key] = set()
            memo[key] = set(graph[key]) | {a for c in graph[key] for a in up(c)}
        return memo[key]

    return {k: up(k) for k in graph}


@settings(max_examples=150, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(cascades())
def test_bridged_cascade_keeps_what_causes_what(
    drawn: tuple[list[dict[str, object]], list[bool]],
) -> None:
    """Kept steps keep exactly their kept ancestors, and reach the trigger: a connected DAG."""
    steps, internal = drawn
    record = yaml.safe_load((HERE / "by-hand.yaml").read_bytes())
    record["cascade"] = [
        dict(s, internal=True) if hidden else s for s, hidden in zip(steps, internal, strict=True)
    ]
    source = dump(record)
    result = check_bytes("r.yaml", source, Policy(audience="public"))
    assert result.ok, result.issues
    assert result.incident is not None
    before = reaches(steps)
    after = reaches([s.model_dump(exclude_none=True) for s in result.incident.cascade])
    kept = {s["id"] for s, hidden in zip(steps, internal, strict=True) if not hidden}
    assert set(after) == kept
    for key, ancestors in after.items():
        assert "trigger" in ancestors
        assert ancestors == (before[key] & kept) | {"trigger"}


def test_a_record_without_marks_is_the_same_record(tmp_path: Path) -> None:
    """The public projection of an unmarked record is the record, and no mark is found."""
    for path in sorted((FIXTURES / "valid").glob("*.yaml")):
        document = load_bytes(path.read_bytes())
        projection = project(document, "public", path.name)
        assert projection.data == document.data and not projection.marks


def test_the_json_schema_accepts_the_marks() -> None:
    """Editors that validate with `postmortem schema` accept marked records."""
    import jsonschema

    from postmortem.model import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    for name in ("marked.yaml", "internal-only.yaml"):
        assert not list(validator.iter_errors(yaml.safe_load((HERE / name).read_bytes())))
    wrong = yaml.safe_load((HERE / "by-hand.yaml").read_bytes())
    wrong["tags"] = [{"text": "x", "secret": True}]
    assert list(validator.iter_errors(wrong))


def test_the_mkdocs_plugin_publishes_the_public_rendition(records: Path, tmp_path: Path) -> None:
    """`audience: public` in mkdocs.yml: a real `mkdocs build --strict` holds no canary."""
    from test_mkdocs import make_site, mkdocs

    site = make_site(
        tmp_path / "site",
        "      audience: public\n      pdf: true\n      today: 2024-03-20\n",
        records=sorted(records.glob("*.yaml")),
    )
    result = mkdocs(site, "build", "--strict")
    assert result.returncode == 0, result.stderr
    built = site / "site"
    assert (built / "incidents" / "index.html").is_file()
    assert leaks(built) == {}
    # The canaries are real: the same site, internal, shows them.
    (site / "mkdocs.yml").write_text(
        (site / "mkdocs.yml").read_text().replace("audience: public", "audience: internal")
    )
    assert mkdocs(site, "build", "--strict").returncode == 0
    assert leaks(built) != {}
