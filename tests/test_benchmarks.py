"""The benchmark corpora (benchmarks/generate.py) are valid records. No timing here, ever."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from conftest import ROOT, run_cli


def _generate_module() -> ModuleType:
    """benchmarks/generate.py, which lives outside the package."""
    path = ROOT / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("benchmarks_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_records_pass_check(tmp_path: Path) -> None:
    paths = _generate_module().generate(5, tmp_path, seed=3)
    assert len(paths) == 5
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "5 record(s) valid" in result.stderr


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate = _generate_module().generate
    first = [p.read_bytes() for p in generate(3, tmp_path / "a", seed=1)]
    second = [p.read_bytes() for p in generate(3, tmp_path / "b", seed=1)]
    assert first == second


def test_records_are_shaped_like_the_examples(tmp_path: Path) -> None:
    from postmortem.checker import check_paths
    from postmortem.fields import markdown_fields

    _generate_module().generate(3, tmp_path)
    for result in check_paths([tmp_path]):
        incident = result.incident
        assert incident is not None
        assert len(incident.timeline) == 15
        assert len(incident.cascade) == 5
        assert len(incident.action_items) == 4
        assert "\n\n" in incident.summary  # paragraphs
        text = "\n".join(t for _, t in markdown_fields(incident))
        assert all(mark in text for mark in ("**", "`", "](https://"))
